"""A creator's commission sent to their own bank account: social forwards the account to
commerce's creator endpoint with its figures token (nobody else may call it); commerce checks it
with the disbursement partner and records it; the payout batch sends the commission through the
simulator's payouts: in transit, then paid out after the callback, or back to payable with the
bank's reason."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from keranjang.commerce.money.disbursements_db import CreatorPayoutAccountChangeRow
from keranjang.commerce.money.disbursing import DisbursingService
from keranjang.commerce.money.payout_accounts import PayoutAccountService
from keranjang.infra.clock import FixedClock
from tests.integration.conftest import FIGURES, HTML, OPERATOR, System, bearer
from tests.integration.partner_disbursements import SimulatorPayouts, simulator_payouts
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_creator_pages import OWN, PASSWORD, shown, sign_in
from tests.integration.test_money import Shop
from tests.integration.test_payouts import COMMISSION, released_after_window, rupiah

ACCOUNT = {"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Siti Rahayu"}
SOCIAL = {"Authorization": f"Bearer {FIGURES}"}


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    return Shop(system, partner)


@pytest.fixture
def sim(database_url: Any, clock: FixedClock, tmp_path: Path) -> Iterator[SimulatorPayouts]:
    yield from simulator_payouts(database_url, clock, tmp_path / "payouts")


def paying_out_through(shop: Shop, sim: SimulatorPayouts) -> DisbursingService:
    """Commerce as `build` makes it with the simulator's payouts configured."""
    app = shop.system.commerce.app
    commerce = app.state.commerce  # type: ignore[attr-defined]
    sessions, clock, partner = commerce.payouts.sessions, commerce.clock, sim.adapter()
    disbursing = DisbursingService(sessions, clock, partner)
    app.state.commerce = dataclasses.replace(  # type: ignore[attr-defined]
        commerce,
        disbursing=disbursing,
        payout_accounts=PayoutAccountService(sessions, clock, partner),
    )
    return disbursing


def put_account(shop: Shop, headers: dict[str, str] = SOCIAL, **fields: str) -> Any:
    path = f"/attribution/creators/{shop.c}/payout-account"
    return shop.system.commerce.put(path, json=ACCOUNT | fields, headers=headers)


def payout_of(shop: Shop) -> dict[str, Any]:
    r = shop.system.commerce.get(f"/attribution/creators/{shop.c}/payout-account", headers=SOCIAL)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def commission(shop: Shop) -> dict[str, int]:
    r = shop.system.commerce.get(f"/attribution/creators/{shop.c}", headers=SOCIAL)
    assert r.status_code == 200, r.text
    return r.json()["commission"]  # type: ignore[no-any-return]


def sent_commission(shop: Shop, svc: DisbursingService) -> str:
    shop.completed_order()
    assert released_after_window(shop) == 1
    batch = svc.run_batch()
    assert [(p.payee_kind, p.amount_idr) for p in batch.payouts] == [("creator", COMMISSION)]
    [sent] = svc.send_due()
    assert sent.status == "sent"
    assert payout_of(shop)["latest_payout"]["status"] == "sent"
    assert commission(shop) | {"pending_idr": 0} == {
        "pending_idr": 0,
        "payable_idr": 0,
        "paid_out_idr": 0,
    }
    return sent.key


def test_a_creators_commission_is_paid_out_after_the_simulators_callback(
    shop: Shop, sim: SimulatorPayouts
) -> None:
    svc = paying_out_through(shop, sim)
    r = put_account(shop)
    assert r.status_code == 200, r.text
    assert r.json()["account"]["holder_name"] == "Siti Rahayu"
    key = sent_commission(shop, svc)

    headers, body = sim.finish(key)
    for _ in range(2):  # a repeated callback changes nothing
        done = svc.notified(headers, body)
        assert done is not None and done.status == "completed"
    assert commission(shop)["paid_out_idr"] == COMMISSION
    assert commission(shop)["payable_idr"] == 0
    assert payout_of(shop)["latest_payout"] | {"made_at": None} == {
        "amount_idr": COMMISSION,
        "made_at": None,
        "status": "completed",
        "failure": "",
    }
    assert len(sim.by_key) == 1  # sent once
    assert svc.run_batch().payouts == ()  # never paid twice


def test_a_failed_disbursement_comes_back_to_payable_with_the_reason(
    shop: Shop, sim: SimulatorPayouts
) -> None:
    # registered before the partner was configured; the bank has since closed the account
    assert put_account(shop, account_number="0000123456").status_code == 200
    svc = paying_out_through(shop, sim)
    key = sent_commission(shop, svc)

    headers, body = sim.finish(key)
    done = svc.notified(headers, body)
    assert done is not None and done.status == "failed"
    assert commission(shop)["payable_idr"] == COMMISSION
    assert commission(shop)["paid_out_idr"] == 0
    latest = payout_of(shop)["latest_payout"]
    assert latest["status"] == "failed" and latest["failure"]


def test_the_account_is_checked_with_the_bank_and_changes_are_recorded_and_cool_off(
    shop: Shop, sim: SimulatorPayouts
) -> None:
    svc = paying_out_through(shop, sim)
    missing = put_account(shop, account_number="0000999999")
    assert missing.status_code == 422 and "account number" in str(missing.json()["detail"])
    other_name = put_account(shop, holder_name="Budi Santoso")
    assert other_name.status_code == 422 and "holder_name" in str(other_name.json()["detail"])
    assert payout_of(shop)["account"] is None  # nothing half-written

    shop.completed_order()
    released_after_window(shop)
    assert put_account(shop).status_code == 200
    assert put_account(shop, account_number="9876543210").status_code == 200
    with shop.system.commerce_engine.connect() as conn:
        changes = conn.scalar(select(func.count()).select_from(CreatorPayoutAccountChangeRow))
    assert changes == 2  # set, then replaced: both recorded
    assert svc.run_batch().payouts == ()  # the replaced account is cooling off
    assert shop.owed(f"commission_payable:{shop.c}") == COMMISSION
    shop.system.clock.advance(hours=24, seconds=1)
    [paid] = svc.run_batch().payouts
    assert (paid.payee_kind, paid.amount_idr) == ("creator", COMMISSION)
    assert svc.disbursement(paid.id).key == f"payout-{paid.id}"


def test_the_endpoint_answers_only_socials_token(shop: Shop) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {OPERATOR}"}):
        refused = put_account(shop, headers=headers)
        assert refused.status_code == 401, headers
        assert "figures token" in refused.json()["detail"]
        path = f"/attribution/creators/{shop.c}/payout-account"
        assert shop.system.commerce.get(path, headers=headers).status_code == 401
    assert payout_of(shop)["account"] is None


# --- the creator's own page in social: /kreator/rekening ---------------------------------------


def signed_in(shop: Shop, creator: dict[str, Any]) -> None:
    r = shop.system.social.put(
        "/api/creators/me/password", json={"password": PASSWORD}, headers=bearer(creator)
    )
    assert r.status_code == 204, r.text
    shop.system.social.cookies.clear()
    assert sign_in(shop.system, creator["handle"]).status_code == 303


def post_account(shop: Shop, **fields: str) -> Any:
    return shop.system.social.post(
        "/kreator/rekening", data=ACCOUNT | fields, headers=OWN, follow_redirects=False
    )


def test_a_creator_registers_their_account_on_their_page_and_sees_a_failed_payout_come_back(
    shop: Shop, sim: SimulatorPayouts
) -> None:
    signed_in(shop, shop.creator)
    empty = shop.system.social.get("/kreator/rekening", headers=HTML)
    assert empty.status_code == 200 and 'data-testid="no-account"' in empty.text
    # registered before the partner was configured; the bank has since closed the account
    saved = post_account(shop, account_number="0000123456", bank_code="bca")
    assert saved.status_code == 200 and 'data-testid="account-saved"' in saved.text
    assert shown(saved.text, "current-account") == "BCA · 0000123456 · a.n. Siti Rahayu"
    svc = paying_out_through(shop, sim)
    sim.finish(sent_commission(shop, svc))
    svc.reconcile()  # the callback was dropped: the look-up settles it

    page = shop.system.social.get("/kreator/rekening", headers=HTML).text
    assert shown(page, "latest-payout-amount") == rupiah(COMMISSION)
    assert shown(page, "latest-payout-status") == "Gagal: komisi kembali siap dibayar"
    assert shown(page, "latest-payout-reason").startswith("Alasan dari bank: ")
    assert len(shown(page, "latest-payout-reason")) > len("Alasan dari bank: ")
    board = shop.system.social.get("/kreator", headers=HTML).text
    assert shown(board, "commission-payable") == rupiah(COMMISSION)
    assert shown(board, "commission-paid") == rupiah(0)


def test_a_refused_account_is_explained_in_indonesian_and_nothing_changes(
    shop: Shop, sim: SimulatorPayouts
) -> None:
    paying_out_through(shop, sim)
    signed_in(shop, shop.creator)
    refused = post_account(shop, holder_name="Budi Santoso")
    assert refused.status_code == 422
    assert shown(refused.text, "account-error").startswith("Rekening belum dapat disimpan: ")
    assert 'value="Budi Santoso"' in refused.text  # what was typed is kept
    assert payout_of(shop)["account"] is None


def test_a_creator_can_only_set_their_own_account(shop: Shop) -> None:
    other = shop.system.creator("budi.review")
    signed_in(shop, other)
    r = post_account(shop, creator_id=str(shop.c))  # naming another creator changes nothing
    assert r.status_code == 200
    mine = shop.system.commerce.get(
        f"/attribution/creators/{other['id']}/payout-account", headers=SOCIAL
    )
    assert mine.json()["account"]["account_number"] == ACCOUNT["account_number"]
    assert payout_of(shop)["account"] is None
    foreign = shop.system.social.post(
        "/kreator/rekening",
        data=ACCOUNT | {"account_number": "9876543210"},
        headers=HTML | {"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403  # a form posted from another site changes nothing
    again = shop.system.commerce.get(
        f"/attribution/creators/{other['id']}/payout-account", headers=SOCIAL
    )
    assert again.json()["account"]["account_number"] == ACCOUNT["account_number"]
    shop.system.social.cookies.clear()
    anonymous = post_account(shop)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/kreator/masuk"

"""Money out through commerce's HTTP, with a disbursement partner (the Iris and Xendit replicas):
operators run and send a batch, the partner's callback settles it, the seller's statement page
shows it in transit, then paid out; forged callbacks are refused, unknown ones answered so the
partner stops; a payout account is checked with the bank and a replaced one cools off."""

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from keranjang.commerce.money.disbursements_db import PayoutAccountChangeRow
from keranjang.commerce.money.disbursing import DisbursingService
from keranjang.commerce.money.payout_accounts import PayoutAccountService
from tests.integration.conftest import System, bearer
from tests.integration.partner_disbursements import FAILING_ACCOUNT, Replica
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.seller_pages import page, sign_in
from tests.integration.test_disbursement_contract import transfer
from tests.integration.test_money import Shop
from tests.integration.test_payouts import MERCHANT_SHARE, released_after_window, rupiah

ACCOUNT = {"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Siti Rahayu"}


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    return Shop(system, partner)


def paying_out_through(shop: Shop, kind: str) -> Replica:
    """Commerce as `build` makes it with this disbursement partner configured."""
    replica = Replica(kind)
    app = shop.system.commerce.app
    commerce = app.state.commerce  # type: ignore[attr-defined]
    partner = replica.adapter()
    sessions, clock = commerce.payouts.sessions, commerce.clock
    app.state.commerce = dataclasses.replace(  # type: ignore[attr-defined]
        commerce,
        disbursing=DisbursingService(sessions, clock, partner),
        payout_accounts=PayoutAccountService(sessions, clock, partner),
    )
    return replica


def put_account(shop: Shop, **fields: str) -> Any:
    return shop.system.commerce.put(
        "/api/seller/payout-account", json=ACCOUNT | fields, headers=bearer(shop.merchant)
    )


def admin(shop: Shop, path: str) -> Any:
    r = shop.system.commerce.post(path, headers=shop.system.operator())
    assert r.status_code in (200, 201), r.text
    return r.json()


def figure(shop: Shop, testid: str) -> str:
    html = page(shop.system, "/seller/statement").text
    card = html.split(f'data-testid="{testid}"', 1)[1]
    return card.split('class="figure">', 1)[1].split("<", 1)[0]


@pytest.mark.parametrize("kind", ["iris", "xendit"])
def test_the_statement_page_shows_a_payout_in_transit_then_paid_out(shop: Shop, kind: str) -> None:
    replica = paying_out_through(shop, kind)
    assert put_account(shop).status_code == 200
    shop.completed_order()
    released_after_window(shop)
    batch = admin(shop, "/api/admin/payouts")
    assert batch["total_idr"] == MERCHANT_SHARE
    [sent] = admin(shop, "/api/admin/payouts/send")
    assert sent["status"] == "sent"
    sign_in(shop.system, shop.merchant)
    assert figure(shop, "in-transit") == rupiah(MERCHANT_SHARE)
    assert figure(shop, "paid-out") == rupiah(0)

    headers, body = replica.finish(sent["key"])
    forged = shop.system.commerce.post(
        "/payments/disbursements/callback", content=body, headers={k: "x" for k in headers}
    )
    assert forged.status_code == 400
    for _ in range(2):
        r = shop.system.commerce.post(
            "/payments/disbursements/callback", content=body, headers=headers
        )
        assert (r.status_code, r.json()) == (200, {"outcome": "completed"})
    assert figure(shop, "in-transit") == rupiah(0)
    assert figure(shop, "paid-out") == rupiah(MERCHANT_SHARE)


def test_a_callback_for_a_disbursement_commerce_never_sent_gets_a_final_answer(
    shop: Shop,
) -> None:
    replica = paying_out_through(shop, "xendit")
    replica.adapter().send(transfer("other-1"))  # someone else's, at the same partner
    headers, body = replica.finish("other-1")
    r = shop.system.commerce.post("/payments/disbursements/callback", content=body, headers=headers)
    assert (r.status_code, r.json()) == (200, {"outcome": "unknown"})


def test_a_payout_account_is_checked_with_the_bank_and_a_bad_one_changes_nothing(
    shop: Shop,
) -> None:
    paying_out_through(shop, "iris")
    wrong_name = put_account(shop, holder_name="Budi Santoso")
    assert wrong_name.status_code == 422 and "holder_name" in wrong_name.text
    no_such = put_account(shop, account_number=FAILING_ACCOUNT)
    assert no_such.status_code == 422 and "account number" in no_such.text
    assert (
        shop.system.commerce.get(
            "/api/seller/payout-account", headers=bearer(shop.merchant)
        ).status_code
        == 404
    )
    assert put_account(shop, holder_name="  siti   rahayu ").status_code == 200


def test_a_replaced_account_holds_payouts_for_the_cooling_off_period(shop: Shop) -> None:
    paying_out_through(shop, "xendit")
    assert put_account(shop).status_code == 200
    shop.completed_order()
    released_after_window(shop)
    assert put_account(shop, account_number="5550001111").status_code == 200
    held = admin(shop, "/api/admin/payouts")
    assert held["payouts"] == []  # the replaced account is cooling off
    assert shop.owed(f"merchant_payable:{shop.m}") == MERCHANT_SHARE
    shop.system.clock.advance(hours=24, seconds=1)
    paid = admin(shop, "/api/admin/payouts")
    assert [p["amount_idr"] for p in paid["payouts"]] == [MERCHANT_SHARE]
    with shop.system.commerce_engine.connect() as conn:
        changes = conn.scalar(select(func.count()).select_from(PayoutAccountChangeRow))
    assert changes == 2  # set, then replaced: both recorded


def test_a_failed_payout_is_back_on_the_statement_page_with_its_reason(shop: Shop) -> None:
    replica = paying_out_through(shop, "xendit")  # no account validation: the bank refuses later
    assert put_account(shop, account_number=FAILING_ACCOUNT).status_code == 200
    shop.completed_order()
    released_after_window(shop)
    admin(shop, "/api/admin/payouts")
    [sent] = admin(shop, "/api/admin/payouts/send")
    headers, body = replica.finish(sent["key"])
    r = shop.system.commerce.post("/payments/disbursements/callback", content=body, headers=headers)
    assert (r.status_code, r.json()) == (200, {"outcome": "failed"})
    sign_in(shop.system, shop.merchant)
    assert figure(shop, "payable") == rupiah(MERCHANT_SHARE)
    assert figure(shop, "paid-out") == rupiah(0)
    html = page(shop.system, "/seller/statement").text
    assert "Pencairan gagal, dana kembali" in html
    assert "Alasan: INVALID_DESTINATION" in html

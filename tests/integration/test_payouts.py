"""Payouts and statements: a batch pays exactly what the ledger says is payable, once; a seller's
statement adds up to the ledger to the rupiah; a creator's commission totals through the
aggregate attribution endpoint are the ledger's; one shop never reads another's money."""

import threading
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.payouts import PayoutService
from keranjang.commerce.money.settlement import SettlementService
from tests.integration.conftest import System, bearer
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.seller_pages import page, sign_in
from tests.integration.test_money import PRICE, SHIPPING, Shop

# A completed order of two units: the merchant's, the creator's and the platform's shares.
MERCHANT_SHARE, COMMISSION, FEE = 610_000, 70_000, 35_000
# What refunding one of those units takes back from each share.
ONE_UNIT = {"merchant": PRICE - PRICE // 10 - PRICE // 20, "creator": PRICE // 10}
WINDOW = timedelta(days=7)


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    return Shop(system, partner)


def payouts(shop: Shop) -> PayoutService:
    return shop.system.commerce.app.state.commerce.payouts  # type: ignore[attr-defined,no-any-return]


def settlement(shop: Shop) -> SettlementService:
    return shop.system.commerce.app.state.commerce.settlement  # type: ignore[attr-defined,no-any-return]


def run_batch(shop: Shop, **body: Any) -> dict[str, Any]:
    r = shop.system.commerce.post(
        "/api/admin/payouts", json=body or None, headers=shop.system.operator()
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def paid(batch: dict[str, Any]) -> dict[str, int]:
    return {p["account"]: p["amount_idr"] for p in batch["payouts"]}


def statement(shop: Shop, merchant: dict[str, Any] | None = None, **period: str) -> Any:
    return shop.system.commerce.get(
        "/api/seller/statement", params=period, headers=bearer(merchant or shop.merchant)
    )


def released_after_window(shop: Shop) -> int:
    shop.system.clock.advance(days=WINDOW.days)
    return settlement(shop).release_due()


def partly_refunded_order(shop: Shop) -> dict[str, Any]:
    """A completed order of two units, one refunded inside the refund window."""
    order = shop.completed_order(quantity=2)
    r = shop.refund(order, items=[{"product_id": shop.product["id"], "quantity": 1}])
    assert r.status_code == 201, r.text
    return order


def rupiah(n: int) -> str:
    """As the seller pages write amounts: Rp350.000."""
    return f"Rp{n:,}".replace(",", ".")


def payable(shop: Shop) -> tuple[str, str]:
    return f"merchant_payable:{shop.m}", f"commission_payable:{shop.c}"


# batches ---------------------------------------------------------------------------------------


def test_a_batch_pays_exactly_the_payable_and_running_it_again_pays_nothing(shop: Shop) -> None:
    shop.completed_order()
    assert released_after_window(shop) == 1
    merchant, creator = payable(shop)
    clearing_before = shop.balances()["partner_clearing:simulator"]

    big_only = run_batch(shop, minimum_idr=100_000)  # the commission is below it: it waits
    assert paid(big_only) == {merchant: MERCHANT_SHARE}
    assert shop.owed(merchant) == 0 and shop.owed(creator) == COMMISSION

    rest = run_batch(shop)
    assert paid(rest) == {creator: COMMISSION}
    assert rest["payouts"][0]["payee_kind"] == "creator"
    assert rest["payouts"][0]["payee_id"] == shop.c
    b = shop.balances()
    assert b[merchant] == b[creator] == 0
    assert b["partner_clearing:simulator"] == clearing_before - MERCHANT_SHARE - COMMISSION

    again = run_batch(shop)
    assert (again["payout_count"], again["total_idr"], again["payouts"]) == (0, 0, [])
    assert shop.balances() == b


def test_an_operator_reads_a_batch_and_nobody_else_runs_one(shop: Shop) -> None:
    shop.completed_order()
    released_after_window(shop)
    batch = run_batch(shop)
    assert (batch["payout_count"], batch["total_idr"]) == (2, MERCHANT_SHARE + COMMISSION)
    path = f"/api/admin/payouts/{batch['id']}"
    r = shop.system.commerce.get(path, headers=shop.system.operator())
    assert r.status_code == 200 and r.json() == batch
    assert shop.system.commerce.get(path, headers=bearer(shop.merchant)).status_code == 401
    assert shop.system.commerce.post("/api/admin/payouts").status_code == 401
    missing = shop.system.commerce.get("/api/admin/payouts/999999", headers=shop.system.operator())
    assert missing.status_code == 404
    refused = shop.system.commerce.post(
        "/api/admin/payouts", json={"minimum_idr": 0}, headers=shop.system.operator()
    )
    assert refused.status_code == 422


def test_a_refund_inside_the_window_reduces_what_is_paid_and_held_money_waits(
    shop: Shop,
) -> None:
    partly_refunded_order(shop)
    shop.system.clock.advance(days=WINDOW.days)
    shop.completed_order()  # completed now: its refund window is still open
    assert settlement(shop).release_due() == 1
    batch = run_batch(shop)
    merchant, creator = payable(shop)
    assert paid(batch) == {
        merchant: MERCHANT_SHARE - ONE_UNIT["merchant"],
        creator: COMMISSION - ONE_UNIT["creator"],
    }
    b = shop.balances()
    assert -b[f"merchant_pending:{shop.m}"] == MERCHANT_SHARE  # the second order, still held
    assert -b[f"commission_pending:{shop.c}"] == COMMISSION


def test_two_batches_at_once_pay_each_balance_once(shop: Shop) -> None:
    runs = 2
    shop.completed_order()
    released_after_window(shop)
    svc, start = payouts(shop), threading.Barrier(runs)
    batches: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            batches.append(svc.run_batch())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(b.payout_count for b in batches) == [0, 2]
    assert sum(b.total_idr for b in batches) == MERCHANT_SHARE + COMMISSION
    with shop.system.commerce_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(money_db.PayoutRow)) == 2
    merchant, creator = payable(shop)
    assert shop.owed(merchant) == shop.owed(creator) == 0


# statements ------------------------------------------------------------------------------------


def ledger_owed(shop: Shop, account: str) -> int:
    with shop.system.commerce_engine.connect() as conn, Session(bind=conn) as s:
        return money_db.owed(s, account)


def adds_up(st: dict[str, Any]) -> None:
    """Closing = opening + every movement, account by account."""
    for account in ("pending", "payable"):
        moved = sum(m["in_idr"] - m["out_idr"] for m in st["movements"] if m["account"] == account)
        assert st["closing"][f"{account}_idr"] == st["opening"][f"{account}_idr"] + moved


def test_a_statement_adds_up_to_the_ledger_to_the_rupiah(shop: Shop) -> None:
    first = partly_refunded_order(shop)  # day 0: completion, then a refund of one unit
    day0 = date(2024, 3, 27)
    shop.system.clock.advance(days=WINDOW.days)  # day 7: release, a second order, a payout
    second = shop.completed_order(quantity=3)
    assert settlement(shop).release_due() == 1
    batch = run_batch(shop)
    held, ready = f"merchant_pending:{shop.m}", f"merchant_payable:{shop.m}"

    whole = statement(shop).json()
    adds_up(whole)
    assert whole["opening"] == {"pending_idr": 0, "payable_idr": 0}
    assert whole["closing"] == {
        "pending_idr": ledger_owed(shop, held),
        "payable_idr": ledger_owed(shop, ready),
    }
    assert whole["closing"]["payable_idr"] == 0
    assert whole["closing"]["pending_idr"] == 3 * PRICE + SHIPPING - 3 * PRICE * 15 // 100
    assert whole["paid_out_idr"] == paid(batch)[ready] == MERCHANT_SHARE - ONE_UNIT["merchant"]
    rows = [(m["kind"], m["account"], m["order_number"]) for m in whole["movements"]]
    assert rows == [
        ("completion", "pending", first["number"]),
        ("refund", "pending", first["number"]),
        ("completion", "pending", second["number"]),
        ("release", "pending", first["number"]),
        ("release", "payable", first["number"]),
        ("payout", "payable", None),
    ]
    refund = whole["movements"][1]
    assert (refund["in_idr"], refund["out_idr"]) == (0, ONE_UNIT["merchant"])

    before, after = (
        statement(shop, until=day0.isoformat()).json(),
        statement(shop, since=(day0 + timedelta(days=1)).isoformat()).json(),
    )
    adds_up(before)
    adds_up(after)
    assert before["closing"] == after["opening"]
    assert after["opening"] == {
        "pending_idr": MERCHANT_SHARE - ONE_UNIT["merchant"],
        "payable_idr": 0,
    }
    assert after["closing"] == whole["closing"]
    assert [m["kind"] for m in after["movements"]] == ["completion", "release", "release", "payout"]


def test_a_statement_period_must_make_sense(shop: Shop) -> None:
    backwards = statement(shop, since="2024-04-02", until="2024-04-01")
    assert backwards.status_code == 422 and "before since" in backwards.text
    assert statement(shop, since="kemarin").status_code == 422
    assert shop.system.commerce.get("/api/seller/statement").status_code == 401


def test_a_merchant_cannot_see_another_merchants_statement(shop: Shop) -> None:
    order = shop.completed_order()
    other = shop.system.merchant("kopi-gayo", "Kopi Gayo")
    theirs = statement(shop, other)
    assert theirs.status_code == 200
    assert theirs.json()["merchant_id"] == other["id"] != shop.m
    assert theirs.json()["movements"] == []
    assert theirs.json()["closing"] == {"pending_idr": 0, "payable_idr": 0}
    assert order["number"] not in theirs.text
    assert statement(shop).json()["closing"]["pending_idr"] == MERCHANT_SHARE


# creators --------------------------------------------------------------------------------------


def test_a_creators_commission_through_the_attribution_endpoint_is_the_ledgers(
    shop: Shop,
) -> None:
    partly_refunded_order(shop)
    shop.system.clock.advance(days=WINDOW.days)
    shop.completed_order()
    settlement(shop).release_due()
    batch = run_batch(shop)
    shop.paid_order(via_creator=False)  # not the creator's: not counted
    shop.paid_order()  # paid, not completed: counted, no commission yet

    figures = shop.system.creator_figures(shop.c)
    pending, ready = f"commission_pending:{shop.c}", f"commission_payable:{shop.c}"
    assert figures["commission"] == {
        "pending_idr": ledger_owed(shop, pending),
        "payable_idr": ledger_owed(shop, ready),
        "paid_out_idr": paid(batch)[ready],
    }
    assert figures["commission"] == {
        "pending_idr": COMMISSION,
        "payable_idr": 0,
        "paid_out_idr": COMMISSION - ONE_UNIT["creator"],
    }
    assert figures["orders"] == 3
    assert asdict(payouts(shop).creator_commissions(shop.c)) == {"creator_id": shop.c} | {
        k: v for k, v in figures["commission"].items()
    }
    assert "pembeli" not in str(figures) and "buyer" not in str(figures)


def test_a_creator_without_orders_has_zero_commission(system: System) -> None:
    figures = system.creator_figures(424242)
    assert figures["orders"] == 0
    assert figures["commission"] == {"pending_idr": 0, "payable_idr": 0, "paid_out_idr": 0}


# the seller center page ------------------------------------------------------------------------


def test_the_seller_reads_balances_movements_and_payouts_on_the_statement_page(
    shop: Shop,
) -> None:
    first = partly_refunded_order(shop)
    shop.system.clock.advance(days=WINDOW.days)
    settlement(shop).release_due()
    run_batch(shop)
    shop.completed_order()
    sign_in(shop.system, shop.merchant)
    assert 'href="/seller/statement"' in page(shop.system, "/seller").text

    r = page(shop.system, "/seller/statement")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    html = r.text
    assert "Saldo &amp; Pencairan" in html
    for testid, amount in (
        ("pending", MERCHANT_SHARE),
        ("payable", 0),
        ("paid-out", MERCHANT_SHARE - ONE_UNIT["merchant"]),
    ):
        card = html.split(f'data-testid="{testid}"')[1].split("</div>")[0]
        assert rupiah(amount) in card, testid
    kinds = [k.split('"')[0] for k in html.split('data-kind="')[1:]]
    assert kinds == [
        "completion",
        "refund",
        "release",
        "release",
        "payout",
        "completion",
    ]
    assert first["number"] in html and "Pencairan dana" in html
    assert rupiah(ONE_UNIT["merchant"]) in html

    bad = page(shop.system, "/seller/statement?since=kemarin")
    assert bad.status_code == 422 and "TTTT-BB-HH" in bad.text


def test_another_shop_sees_nothing_of_this_shops_money_on_its_page(shop: Shop) -> None:
    order = shop.completed_order()
    other = shop.system.merchant("kopi-gayo", "Kopi Gayo")
    sign_in(shop.system, other)
    html = page(shop.system, "/seller/statement").text
    assert "Kopi Gayo" in html and order["number"] not in html
    assert "Tidak ada mutasi" in html
    assert 'data-testid="movement"' not in html

"""A moved merchant's money opens in commerce's ledger: the escrow of its open paid orders and its
payable balance, against the migration clearing account, balanced to the rupiah and posted once.
From then on its orders are like any other: a late notification of the payment that paid one is
not taken for a second payment, it completes, its share becomes payable and is paid out, the
statement adds up, and a refund goes back through the partner under its legacy number."""

from typing import Any

import pytest
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.money.settlement import SettlementService
from keranjang.commerce.orders import db as order_db
from keranjang.payments import CreatedPayment
from tests.integration.conftest import System, bearer
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_migrated_payments import (
    NUMBER,
    PRICE,
    TOTAL,
    MovedShop,
    books,
    entries_of,
    moved_shop,
    order_status,
)

PAYABLE = 250_000
FEE = 2 * PRICE * 500 // 10_000  # the platform's 5% on the goods
SHARE = TOTAL - FEE


@pytest.fixture
def moved(system: System, partner: SimulatorHarness) -> MovedShop:
    return moved_shop(system, partner)


def opening_of(shop: MovedShop, order_id: int, payable: int = PAYABLE) -> ledger.Opening:
    return ledger.Opening(
        shop.merchant["id"], (ledger.OpenOrder(order_id, NUMBER, TOTAL),), payable_idr=payable
    )


def post_opening(system: System, opening: ledger.Opening) -> int:
    with Session(system.commerce_engine) as s, s.begin():
        return money_db.post_opening(s, opening, system.clock.now())


def paid_moved_order(shop: MovedShop) -> tuple[CreatedPayment, int]:
    """An order paid in the app before the cutover, moved paid, with its escrow opened here."""
    shop.partner.set_faults(delay_seconds=3600)  # social's notifications are not ours to see
    created = shop.legacy_payment(paid=True)
    order_id = shop.move_order(created, status="paid")
    assert post_opening(shop.system, opening_of(shop, order_id)) == 2
    return created, order_id


def settlement(system: System) -> SettlementService:
    svc: SettlementService = system.commerce.app.state.commerce.settlement  # type: ignore[attr-defined]
    return svc


def seller(shop: MovedShop, path: str, **body: Any) -> Any:
    r = shop.system.commerce.post(
        f"/api/seller/orders/{path}", json=body, headers=bearer(shop.merchant)
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_the_opening_balances_and_is_posted_once(moved: MovedShop) -> None:
    _, order_id = paid_moved_order(moved)
    m = moved.merchant["id"]
    assert books(moved.system) == {
        ledger.MIGRATION_CLEARING: TOTAL + PAYABLE,
        ledger.ESCROW: -TOTAL,
        ledger.merchant_payable(m): -PAYABLE,
    }
    assert post_opening(moved.system, opening_of(moved, order_id)) == 0
    assert entries_of(moved.system, order_id) == [f"payment:{order_id}"]
    report = moved.reconciliation.run()  # the partner agrees the order is paid: nothing to do
    assert (report.settled, report.disagreements) == (0, [])
    assert books(moved.system)[ledger.ESCROW] == -TOTAL


def test_a_late_notification_of_the_legacy_payment_is_not_a_second_payment(
    moved: MovedShop,
) -> None:
    _, order_id = paid_moved_order(moved)
    moved.system.clock.advance(seconds=3600)
    outcomes = []
    for note in moved.partner.delivered():
        r = moved.system.commerce.post(
            "/payments/notifications", content=note.body, headers={"content-type": "x"}
        )
        outcomes.append(r.json()["outcome"])
    assert "noted: order is already paid" in outcomes
    assert not any(o.startswith(("stray", "order paid")) for o in outcomes)
    assert entries_of(moved.system, order_id) == [f"payment:{order_id}"]
    assert ledger.STRAY not in books(moved.system)


def test_a_moved_order_completes_and_its_share_is_paid_out_with_the_opening_payable(
    moved: MovedShop,
) -> None:
    _, order_id = paid_moved_order(moved)
    seller(moved, f"{order_id}/ship", tracking_number="JNE-12345678")
    seller(moved, f"{order_id}/deliver")
    moved.system.clock.advance(days=3, seconds=1)
    settlement(moved.system).run_due()
    assert order_status(moved.system, order_id) == "completed"
    m = moved.merchant["id"]
    assert books(moved.system)[ledger.ESCROW] == 0
    moved.system.clock.advance(days=7, seconds=1)
    settlement(moved.system).run_due()
    assert books(moved.system)[ledger.merchant_payable(m)] == -(PAYABLE + SHARE)

    r = moved.system.commerce.post(
        "/api/admin/payouts", json={"minimum_idr": 10_000}, headers=moved.system.operator()
    )
    assert r.status_code == 201, r.text
    assert [(p["payee_id"], p["amount_idr"]) for p in r.json()["payouts"]] == [(m, PAYABLE + SHARE)]
    statement = moved.system.commerce.get("/api/seller/statement", headers=bearer(moved.merchant))
    body = statement.json()
    assert body["closing"] == {"pending_idr": 0, "payable_idr": 0}
    assert body["paid_out_idr"] == PAYABLE + SHARE
    kinds = [x["kind"] for x in body["movements"]]
    assert kinds[0] == "opening" and "completion" in kinds and kinds[-1] == "payout"
    assert books(moved.system)[ledger.MIGRATION_CLEARING] == TOTAL + PAYABLE


def test_an_order_completed_in_the_old_shop_is_neither_refunded_nor_released_again(
    moved: MovedShop,
) -> None:
    created = moved.legacy_payment(paid=True)
    order_id = moved.move_order(created, status="paid")
    with Session(moved.system.commerce_engine) as s, s.begin():
        order = s.get_one(order_db.OrderRow, order_id)
        order.status, order.completed_at = "completed", moved.system.clock.now()
    assert post_opening(moved.system, ledger.Opening(moved.merchant["id"], payable_idr=SHARE)) == 1
    refused = moved.system.commerce.post(
        f"/api/seller/orders/{order_id}/refunds",
        json={"reason": "Barang rusak"},
        headers=bearer(moved.merchant),
    )
    assert refused.status_code == 409
    assert "completed in the old in-app shop" in refused.json()["detail"]
    assert moved.partner.partner.status(NUMBER).refunded_amount == 0
    moved.system.clock.advance(days=8)
    settlement(moved.system).run_due()
    m = moved.merchant["id"]
    assert books(moved.system) == {
        ledger.MIGRATION_CLEARING: SHARE,
        ledger.merchant_payable(m): -SHARE,
    }


def test_a_moved_paid_order_is_refunded_through_the_partner_under_its_legacy_number(
    moved: MovedShop,
) -> None:
    _, order_id = paid_moved_order(moved)
    r = moved.system.commerce.post(
        f"/api/seller/orders/{order_id}/refunds",
        json={"reason": "Stok habis"},
        headers=bearer(moved.merchant),
    )
    assert r.status_code in (200, 201), r.text
    assert r.json()["status"] == "succeeded"
    assert order_status(moved.system, order_id) == "refunded"
    at_partner = moved.partner.partner.status(NUMBER)
    assert at_partner.refunded_amount == TOTAL
    balances = books(moved.system)
    assert balances[ledger.ESCROW] == 0
    assert balances[ledger.partner_clearing("simulator")] == -TOTAL
    assert balances[ledger.MIGRATION_CLEARING] == TOTAL + PAYABLE

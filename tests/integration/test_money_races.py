"""Where money code meets concurrency and bad timing: two requests moving one order, refunds
that settle out of order, a retried payment racing the attempt it replaces."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.errors import OrderChanged
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.paying import PayingService
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import Move, OrderStatus
from keranjang.payments import PaymentMethod
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_money import Shop, shop, status
from tests.integration.test_paying import hold
from tests.integration.test_reconciliation import pay_at_partner, unpaid_order

__all__ = ["shop"]  # the fixture


def test_an_order_moved_meanwhile_is_not_moved_again(shop: Shop) -> None:
    """The hold's expiry read the order unpaid; the payment lands first: the expiry loses."""
    order = unpaid_order(shop)
    with Session(shop.system.commerce_engine) as stale:
        seen = stale.get_one(order_db.OrderRow, order["id"])
        assert seen.status == "awaiting_payment"
        pay_at_partner(shop, order)
        shop.deliver()
        assert status(shop.system, order["id"]) == "paid"
        with pytest.raises(OrderChanged):
            order_db.move_order(
                stale, seen, Move(OrderStatus.EXPIRED, "system:test"), seen.updated_at
            )
        stale.rollback()
    assert status(shop.system, order["id"]) == "paid"
    assert -shop.balances()["escrow"] == order["total_idr"]


def test_the_hold_expiry_leaves_an_order_paid_meanwhile_alone(shop: Shop) -> None:
    paid = shop.paid_order()
    unpaid = unpaid_order(shop, "lain@example.com")
    shop.system.clock.advance(minutes=31)
    buying = shop.system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    assert buying.release_expired_holds() == 1
    assert status(shop.system, paid["id"]) == "paid"
    assert status(shop.system, unpaid["id"]) == "expired"


def test_refunds_settling_out_of_order_still_end_the_order(shop: Shop) -> None:
    """One unit is refunded while the partner is down; the rest is refunded once it is back;
    the first refund settles last, and the order, now refunded in full, ends."""
    order = shop.delivered_order(quantity=2)
    refunds = shop.system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    reachable, refunds.partner = refunds.partner, shop.partner.unreachable()
    one = shop.refund(order, items=[{"product_id": shop.product["id"], "quantity": 1}])
    assert one.status_code == 202
    refunds.partner = reachable
    rest = shop.refund(order)
    assert rest.status_code == 201, rest.text
    assert status(shop.system, order["id"]) == "delivered"  # one unit is still at the partner
    assert refunds.settle_requested() == 1
    assert status(shop.system, order["id"]) == "refunded"
    assert shop.balances().get("escrow", 0) == 0
    settlement = shop.system.commerce.app.state.commerce.settlement  # type: ignore[attr-defined]
    shop.system.clock.advance(days=4)
    assert settlement.complete_due() == 0  # nothing to complete, nothing crashes


def test_a_settling_job_goes_on_past_an_order_it_cannot_settle(shop: Shop) -> None:
    first, second = shop.delivered_order(), shop.delivered_order()
    with Session(shop.system.commerce_engine) as s:  # one order carries an unreadable refund
        s.add(
            money_db.RefundRow(
                order_id=first["id"],
                refund_key="rf-corrupt",
                amount_idr=1,
                shipping_idr=0,
                lines="not json",
                reason="",
                actor="test",
                stage="escrow",
                status="succeeded",
                created_at=shop.system.clock.now(),
                updated_at=shop.system.clock.now(),
            )
        )
        s.commit()
    settlement = shop.system.commerce.app.state.commerce.settlement  # type: ignore[attr-defined]
    shop.system.clock.advance(days=4)
    assert settlement.complete_due() == 1
    assert status(shop.system, first["id"]) == "delivered"
    assert status(shop.system, second["id"]) == "completed"


def test_a_new_attempt_never_replaces_the_attempt_that_paid(
    shop: Shop, partner: SimulatorHarness
) -> None:
    """Attempt 1 looked ended and the buyer asked for a new one; while commerce waited on the
    partner, attempt 1 was paid after all: the new attempt is not stored over it."""
    order = shop.paid_order()
    paying: PayingService = shop.system.commerce.app.state.commerce.paying  # type: ignore[attr-defined]
    new = paying.partner.create_payment(
        paying._new_payment(
            order["id"], order["number"] + "-2", order["total_idr"], PaymentMethod.QRIS, hold(order)
        )
    )
    kept = paying._keep(order["id"], new, 2, replaced=1)
    assert kept.partner_transaction_id != new.partner_transaction_id
    assert kept.status == "paid"
    with Session(shop.system.commerce_engine) as s:
        row = s.scalars(
            select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order["id"])
        ).one()
        assert (row.attempt, row.status) == (1, "paid")


def test_two_attempts_paid_at_once_book_one_payment_and_return_the_other(
    shop: Shop, partner: SimulatorHarness
) -> None:
    """The settlements of two attempts of one order arrive at the same moment: one pays the
    order, the other is owed back; one answered 409 (the order moved under it) is retried by
    the partner and then counts as the second payment."""
    order = unpaid_order(shop)
    paying: PayingService = shop.system.commerce.app.state.commerce.paying  # type: ignore[attr-defined]
    orphan = paying.partner.create_payment(
        paying._new_payment(
            order["id"],
            order["number"] + "-2",
            order["total_idr"],
            PaymentMethod.VIRTUAL_ACCOUNT,
            hold(order),
        )
    )
    pay_at_partner(shop, order)
    partner.pay(orphan)
    settlements = [n for n in partner.delivered() if b'"settlement"' in n.body]
    assert len(settlements) == 2

    def send(note: Any) -> tuple[int, str]:
        r = shop.system.commerce.post(
            "/payments/notifications",
            content=note.body,
            headers={"content-type": "application/json"},
        )
        return r.status_code, r.text

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(send, settlements))
    for note, (code, _) in zip(settlements, answers, strict=True):
        if code != 200:  # the partner retries what was not taken
            assert code == 409
            assert send(note)[0] == 200
    balances = shop.balances()
    assert -balances["escrow"] == order["total_idr"]
    assert -balances["stray_payments"] == order["total_idr"]
    assert status(shop.system, order["id"]) == "paid"


def test_a_merchant_cancel_racing_the_payment_refunds_the_buyer(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merchant cancels an order it saw unpaid; the buyer's payment lands before the cancel
    commits. The order must not end cancelled with the money kept: it is refunded, then
    cancelled."""
    order = unpaid_order(shop)
    fulfilment = shop.system.commerce.app.state.commerce.fulfilment  # type: ignore[attr-defined]
    move = fulfilment._merchant_move
    landed: list[bool] = []

    def payment_lands_first(*args: Any, **kw: Any) -> Any:
        if not landed:
            landed.append(True)
            pay_at_partner(shop, order)
            shop.deliver()
            assert status(shop.system, order["id"]) == "paid"
        return move(*args, **kw)

    monkeypatch.setattr(fulfilment, "_merchant_move", payment_lands_first)
    r = shop.seller(f"{order['id']}/cancel", reason="Stok habis")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    with Session(shop.system.commerce_engine) as s:
        refunds = s.execute(select(money_db.RefundRow.amount_idr, money_db.RefundRow.status)).all()
    assert refunds == [(order["total_idr"], "succeeded")]
    assert shop.balances().get("escrow", 0) == 0  # nothing kept from the buyer
    assert shop.partner.partner.status(order["number"]).status.value == "refunded"


def test_a_shipment_landing_before_the_cancel_is_reserved_stops_the_cancel(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merchant cancels a paid order while the same order is being shipped; the shipment
    commits first. A cancel cannot become a refund of goods on their way: it is refused, and
    the order stays shipped with the money in escrow."""
    order = shop.paid_order()
    refunds = shop.system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    fulfilment = shop.system.commerce.app.state.commerce.fulfilment  # type: ignore[attr-defined]
    reserve = refunds._reserve

    def shipped_first(*args: Any, **kw: Any) -> Any:
        fulfilment.ship(shop.m, order["id"], "JNE-12345678")
        return reserve(*args, **kw)

    monkeypatch.setattr(refunds, "_reserve", shipped_first)
    r = shop.seller(f"{order['id']}/cancel", reason="Stok habis")
    assert r.status_code == 409, r.text
    assert "shipped" in r.json()["detail"]
    assert status(shop.system, order["id"]) == "shipped"
    with Session(shop.system.commerce_engine) as s:
        assert s.scalars(select(money_db.RefundRow)).all() == []
    assert -shop.balances()["escrow"] == order["total_idr"]

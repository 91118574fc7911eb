"""A rolled-back order that was paid in commerce as part of a checkout across shops: the partner
knows that money only by the checkout's one payment (`KRG-…`), not by the order's number. The
app refunds such an order through that payment, for the order's share only, and the other
shop's order stays paid in commerce. While such an order is still unpaid, the rollback waits:
paid later, its money would land in commerce for an order the app owns. On SQLite and
PostgreSQL."""

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.migration.errors import Unsettled
from keranjang.migration.phases import Phase
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.migration_books import both_books_balance
from tests.integration.test_checkout import ADDRESS
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401
from tests.integration.test_migration_rollback_money import (
    cancelled_by_the_seller_in_the_app,
    commerce_state,
)


def two_shops_checkout(moving: Moving) -> list[dict[str, Any]]:
    """After the cutover a buyer puts one of the moved merchant's products and one of a shop
    native to commerce in one cart and checks out: two orders, one payment."""
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    system = moving.legacy.system
    moved = one(
        moving.commerce,
        "SELECT min(id) FROM products WHERE merchant_id = :m AND stock > 0",
        m=moving.move().commerce_merchant_id,
    )
    kopi = system.product(system.merchant("kopi-gayo-asli", "Kopi Gayo"), price_idr=80_000)
    r = system.commerce.post("/api/buyers", json={"email": "dua.toko@example.com",
                             "name": "Sari Dua Toko", "password": "rahasia-sekali"})  # fmt: skip
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    for product in (moved, kopi["id"]):
        r = system.commerce.put(f"/api/cart/items/{product}", json={"quantity": 1}, headers=auth)
        assert r.status_code == 200, r.text
    commerce_state(moving).paying.partner = moving.legacy.sim.partner
    r = system.commerce.post(
        "/api/checkout",
        json={"shipping_address": ADDRESS, "payment_method": "virtual_account"},
        headers=auth | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    orders: list[dict[str, Any]] = r.json()["orders"]
    assert len(orders) == 2
    return orders


def checkout_payment(moving: Moving) -> str:
    with Session(moving.commerce) as s:
        number = s.scalar(select(money_db.CheckoutPaymentRow.number))
    assert number is not None and number.startswith("KRG-")
    return number


def test_an_order_paid_with_a_checkout_payment_is_refunded_in_the_app_through_that_payment(
    moving: Moving,
) -> None:
    orders = two_shops_checkout(moving)
    merchant = moving.move().commerce_merchant_id
    (moved,) = [o for o in orders if o["merchant_id"] == merchant]
    (other,) = [o for o in orders if o["merchant_id"] != merchant]
    moving.legacy.pay(moved)  # the one pay page pays both
    state = commerce_state(moving)
    state.reconciliation.partner = moving.legacy.sim.partner
    state.reconciliation.run()
    statuses = rows(moving.commerce, "SELECT status FROM orders WHERE id IN (:a, :b)",
                    a=moved["id"], b=other["id"])  # fmt: skip
    assert statuses == [("paid",), ("paid",)]
    number = checkout_payment(moving)

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )
    legacy_order, paid_by = rows(
        moving.social,
        "SELECT id, paid_by FROM legacy_orders WHERE number = :n",
        n=moved["number"],
    )[0]
    assert paid_by == number  # the app knows where the money is
    refunds = cancelled_by_the_seller_in_the_app(moving, legacy_order)
    assert refunds == [(number, moved["total_idr"], "succeeded")]
    at_partner = moving.legacy.sim.partner.status(number)
    assert at_partner.refunded_amount == moved["total_idr"]  # the moved shop's share only
    assert at_partner.gross_amount == moved["total_idr"] + other["total_idr"]
    assert one(moving.commerce, "SELECT status FROM orders WHERE id = :o", o=other["id"]) == "paid"
    both_books_balance(moving)


def test_an_unpaid_order_sharing_a_checkout_payment_makes_the_rollback_wait(
    moving: Moving,
) -> None:
    """Unpaid, its money would land in commerce after the way back: the rollback waits, names
    the order and changes nothing; once the buyer pays, it goes ahead."""
    orders = two_shops_checkout(moving)
    merchant = moving.move().commerce_merchant_id
    (moved,) = [o for o in orders if o["merchant_id"] == merchant]
    number = checkout_payment(moving)

    with pytest.raises(Unsettled, match=f"order {moved['number']} awaits payment {number}"):
        moving.mover.rollback(moving.seller_id, "operator", "the seller asked")
    assert moving.move().phase == Phase.VERIFIED.value
    assert one(moving.social, "SELECT count(*) FROM legacy_orders WHERE number = :n",
               n=moved["number"]) == 0  # fmt: skip
    assert one(moving.commerce, "SELECT status FROM orders WHERE id = :o", o=moved["id"]) == (
        "awaiting_payment"
    )

    moving.legacy.pay(moved)
    state = commerce_state(moving)
    state.reconciliation.partner = moving.legacy.sim.partner
    state.reconciliation.run()
    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )
    assert rows(moving.social, "SELECT status, paid_by FROM legacy_orders WHERE number = :n",
                n=moved["number"]) == [("paid", number)]  # fmt: skip
    both_books_balance(moving)

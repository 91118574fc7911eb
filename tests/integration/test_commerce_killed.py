"""Commerce killed in the middle of a checkout (SIGKILL to a real `keranjang serve commerce`
process, see `commerce_kills`) and started again on the same database. What a buyer and the books
must see afterwards: nothing half-written (an order is there with all its lines, holds and its
idempotency key, or not at all), a retry with the same Idempotency-Key gets the checkout it
started (never a second one), and the order ends with exactly one payment that the partner holds
for the order's total."""

import threading
import uuid

import httpx
from sqlalchemy import select

from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.payment_news import partner_order_id
from keranjang.commerce.orders import db as order_db
from tests.integration.commerce_kills import (
    SERVER_KEY,
    SHIPPING_IDR,
    WAIT_TIMEOUT,
    Killable,
    eventually,
    gross_idr,
    killable_fixture,  # noqa: F401
)
from tests.integration.conftest import OPERATOR


def test_commerce_killed_while_the_partner_creates_the_payment(killable: Killable) -> None:
    """Killed after the orders committed, while the partner call was in flight; the partner then
    creates that payment although commerce never hears of it. The buyer's retry gets the same
    order, paid for through a new attempt at the partner, and paying it marks the order paid."""
    product = killable.product("batik-sekar", 100_000, stock=10)
    auth = killable.buyer(1, {product: 2})
    key = uuid.uuid4().hex

    killable.relay.hold()
    failures: list[BaseException] = []

    def first_try() -> None:
        try:
            killable.checkout(auth, key)
        except httpx.TransportError as exc:
            failures.append(exc)

    trying = threading.Thread(target=first_try)
    trying.start()
    assert killable.relay.holding.wait(WAIT_TIMEOUT), "commerce never called the partner"
    assert killable.count(order_db.OrderRow) == 1  # the orders commit before the partner is called
    killable.commerce.kill()
    trying.join(WAIT_TIMEOUT)
    assert len(failures) == 1, "the buyer's first try must have lost its connection"

    with killable.engine.connect() as c:
        number = c.scalar(select(order_db.OrderRow.number))
    assert number is not None
    killable.relay.release()  # the partner now creates the payment nobody will store
    eventually(lambda: _partner_has(killable, number), "the partner to create the orphan payment")
    assert killable.count(money_db.PaymentRow) == 0

    killable.commerce.start()
    retry = killable.checkout(auth, key)
    assert retry.status_code == 201, retry.text
    [order] = retry.json()["orders"]
    assert order["number"] == number
    assert order["total_idr"] == 2 * 100_000 + SHIPPING_IDR
    payment = order["payment"]
    assert payment is not None, order
    assert payment["amount_idr"] == order["total_idr"]

    with killable.engine.connect() as c:
        stored = c.execute(
            select(money_db.PaymentRow.attempt, money_db.PaymentRow.amount_idr)
        ).all()
        stock = c.scalar(select(ProductRow.stock).where(ProductRow.id == product))
    assert stored == [(2, order["total_idr"])]  # the first attempt's id is the orphan's
    assert stock == 8
    assert gross_idr(killable.partner_status(partner_order_id(number, 2))) == order["total_idr"]
    assert killable.partner_status(number)["transaction_status"] == "pending"  # the orphan

    paid = killable.http.post(
        f"{killable.partner_url}/pay/{payment['partner_transaction_id']}",
        data={"method": "bank_transfer"},
    )
    assert paid.status_code == 303, paid.text
    assert killable.partner.dispatch_due().failed == 0  # commerce takes every notification
    assert killable.api("GET", f"/api/orders/{order['id']}", 200, headers=auth)["status"] == "paid"

    expired = killable.http.post(  # the orphan ends at the partner later: that changes nothing
        f"{killable.partner_url}/admin/transactions/{number}/expire",
        headers={"Authorization": f"Bearer {OPERATOR}"},
    )
    assert expired.status_code == 200, expired.text
    assert killable.partner.dispatch_due().sent == 1
    assert killable.api("GET", f"/api/orders/{order['id']}", 200, headers=auth)["status"] == "paid"
    with killable.engine.connect() as c:
        assert c.execute(select(money_db.PaymentRow.attempt, money_db.PaymentRow.status)).all() == [
            (2, "paid")
        ]
    again = killable.checkout(auth, key)  # and a third try with the key still answers the same
    assert again.status_code == 201
    assert [o["id"] for o in again.json()["orders"]] == [order["id"]]
    assert killable.count(money_db.PaymentRow) == 1


def _partner_has(killable: Killable, partner_id: str) -> bool:
    r = killable.http.get(f"{killable.partner_url}/v2/{partner_id}/status", auth=(SERVER_KEY, ""))
    return r.status_code == 200

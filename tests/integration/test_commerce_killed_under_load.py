"""Commerce killed under load (SIGKILL to a real `keranjang serve commerce` process, see
`commerce_kills`) and started again on the same database: no unit sold twice or lost, no checkout
lost or doubled, and every order with exactly one payment that the partner holds for the order's
total."""

import contextlib
import threading
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.payment_news import partner_order_id
from keranjang.commerce.orders import db as order_db
from tests.integration.commerce_kills import (
    SHIPPING_IDR,
    WAIT_TIMEOUT,
    Killable,
    eventually,
    gross_idr,
    killable_fixture,  # noqa: F401
)

MERCHANTS = 3
BUYERS = 16
STOCK = 40


@pytest.mark.parametrize("kill_after_orders", [1, 16])
def test_commerce_killed_under_load_loses_and_doubles_nothing(
    killable: Killable, kill_after_orders: int
) -> None:
    """Sixteen buyers across three shops. The first eight check out at once and are answered;
    the other eight check out at once while the partner holds what commerce sends it, and
    commerce is killed once the first of their orders is in (some may still be being placed),
    or once all sixteen are (every partner call in flight; the partner makes those payments
    after commerce died). Started again, every buyer retries with the same key. Each then has
    exactly one checkout's orders (the first eight the very ones they were answered), the stock
    adds up, carts are empty and each order has one payment at the partner."""
    products = [killable.product(f"toko-{m}", 10_000 * (m + 1), STOCK) for m in range(MERCHANTS)]
    price = {p: 10_000 * (m + 1) for m, p in enumerate(products)}
    carts = [
        {p: 1 + (n + m) % 2 for m, p in enumerate(products) if (n + m) % 3 != 0}
        for n in range(BUYERS)
    ]
    buyers = [killable.buyer(n, cart) for n, cart in enumerate(carts)]
    keys = [uuid.uuid4().hex for _ in buyers]
    first: dict[int, httpx.Response] = {}

    def at_once(wave: range) -> list[threading.Thread]:
        start = threading.Barrier(len(wave))

        def first_try(n: int) -> None:
            start.wait()
            with contextlib.suppress(httpx.TransportError):  # killed before it answered
                first[n] = killable.checkout(buyers[n], keys[n])

        threads = [threading.Thread(target=first_try, args=(n,)) for n in wave]
        for thread in threads:
            thread.start()
        return threads

    answered, cut = range(BUYERS // 2), range(BUYERS // 2, BUYERS)
    for thread in at_once(answered):
        thread.join(WAIT_TIMEOUT)
    placed = killable.count(order_db.OrderRow)
    killable.relay.hold()
    threads = at_once(cut)
    eventually(
        lambda: killable.count(order_db.OrderRow) >= placed + kill_after_orders, "the orders"
    )
    killable.commerce.kill()
    for thread in threads:
        thread.join(WAIT_TIMEOUT)
    killable.relay.release()
    assert sorted(first) == list(answered)  # the first eight answered, none of the others
    assert all(r.status_code == 201 for r in first.values()), [r.text for r in first.values()]
    answered_before = {n: r.json() for n, r in first.items()}
    answers: dict[int, dict[str, Any]] = {}

    killable.commerce.start()
    for n, auth in enumerate(buyers):
        r = killable.checkout(auth, keys[n])
        assert r.status_code == 201, r.text
        answers[n] = r.json()

    for n, answer in answered_before.items():  # a retry gets the checkout it already had
        assert _ids(answers[n]) == _ids(answer)
    with killable.engine.connect() as c:
        orders = c.execute(
            select(order_db.OrderRow.id, order_db.OrderRow.buyer_id, order_db.OrderRow.total_idr)
        ).all()
        lines = c.execute(
            select(
                order_db.OrderLineRow.order_id,
                order_db.OrderLineRow.product_id,
                order_db.OrderLineRow.quantity,
            )
        ).all()
        holds = c.execute(
            select(order_db.StockHoldRow.product_id, order_db.StockHoldRow.quantity)
        ).all()
        stock = {p.id: p.stock for p in c.execute(select(ProductRow.id, ProductRow.stock))}
        payments = c.execute(
            select(
                money_db.PaymentRow.order_id,
                money_db.PaymentRow.attempt,
                money_db.PaymentRow.amount_idr,
            )
        ).all()
        carts_left = c.scalar(select(func.count()).select_from(buying_db.CartLineRow))
        keys_kept = c.scalar(select(func.count()).select_from(buying_db.IdempotencyKeyRow))

    answered_ids = sorted(i for a in answers.values() for i in _ids(a))
    assert sorted(o.id for o in orders) == answered_ids  # no order nobody was told of
    by_order: dict[int, dict[int, int]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, {})[line.product_id] = line.quantity
    for n, answer in answers.items():
        bought: dict[int, int] = {}
        for order in answer["orders"]:
            bought |= by_order[order["id"]]
            assert order["payment"] is not None, order
            assert order["payment"]["amount_idr"] == order["total_idr"]
        assert bought == carts[n], f"buyer {n} got {bought}, had {carts[n]} in the cart"
    sold: Counter[int] = Counter()
    for line in lines:
        sold[line.product_id] += line.quantity
    held: Counter[int] = Counter()
    for hold in holds:
        held[hold.product_id] += hold.quantity
    assert held == sold
    assert all(stock[p] + sold[p] == STOCK for p in products), (stock, sold)
    total = {o.id: o.total_idr for o in orders}
    for order_id, goods in by_order.items():
        assert total[order_id] == sum(price[p] * q for p, q in goods.items()) + SHIPPING_IDR
    assert sorted(p.order_id for p in payments) == answered_ids  # one payment per order
    assert all(p.amount_idr == total[p.order_id] for p in payments)
    numbers = {o["id"]: o["number"] for a in answers.values() for o in a["orders"]}
    together = killable.checkout_payments()  # a checkout across shops: one partner payment
    for p in payments:
        number, amount = together.get(p.order_id) or (
            partner_order_id(numbers[p.order_id], p.attempt),
            total[p.order_id],
        )
        assert gross_idr(killable.partner_status(number)) == amount
    assert carts_left == 0
    assert keys_kept == BUYERS


def _ids(answer: dict[str, Any]) -> list[int]:
    return sorted(int(o["id"]) for o in answer["orders"])

"""A merchant that sold in commerce, was rolled back, and is moved again: the orders placed in
commerce and what happened in commerce to moved ones come back to commerce as the same rows,
once each: one order per number, its lines, its creator's attribution (the hand-off's, with its
content and pin), one payment, its stock holds, and each state change once. The second move verifies and commerce's ledger balances. On SQLite and
PostgreSQL."""

from typing import Any

from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.migration.phases import Phase
from tests.integration.conftest import bearer
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.test_migration_engine import Moving, moving_fixture, rows  # noqa: F401
from tests.integration.test_migration_rollback import buy_through_a_creator, complete_in_commerce

ORDER_ROWS = {
    "lines": "SELECT id, product_id, quantity, attribution_id FROM order_lines WHERE order_id = {o}",
    "payments": "SELECT id, attempt, status, amount_idr FROM payments WHERE order_id = {o}",
    "events": "SELECT to_status, at FROM order_events WHERE order_id = {o} ORDER BY at, id",
    "holds": "SELECT product_id, quantity FROM stock_holds WHERE order_id = {o} ORDER BY id",
}


def order_rows(moving: Moving, number: str) -> dict[str, Any]:
    """What commerce holds of the order with this number (there must be one)."""
    [(order, status, total)] = rows(
        moving.commerce, "SELECT id, status, total_idr FROM orders WHERE number = :n", n=number
    )
    held: dict[str, Any] = {"order": (order, status, total)}
    for name, query in ORDER_ROWS.items():
        held[name] = rows(moving.commerce, query.format(o=order))
    return held


def ship_in_commerce(moving: Moving) -> str:
    """The seller ships, in commerce, an order moved paid from the app: its number."""
    merchant = moving.move().commerce_merchant_id
    order, number = rows(moving.commerce, f"SELECT id, number FROM orders WHERE merchant_id = {merchant} AND status = 'paid' ORDER BY id LIMIT 1")[0]  # fmt: skip
    r = moving.legacy.system.commerce.post(
        f"/api/seller/orders/{order}/ship",
        json={"tracking_number": "JNE555"},
        headers=bearer(moving.seller),
    )
    assert r.status_code == 200, r.text
    return str(number)


def test_orders_made_and_changed_in_commerce_come_back_once_when_the_merchant_moves_again(
    moving: Moving,
) -> None:
    bought = buy_through_a_creator(moving)  # placed in commerce, after the first move
    complete_in_commerce(moving, bought.order)
    shipped = ship_in_commerce(moving)  # moved from the app, shipped in commerce
    numbers = (bought.order["number"], shipped)
    before = {n: order_rows(moving, n) for n in numbers}
    attributed = before[numbers[0]]["lines"][0][3]
    attribution = f"SELECT creator_id, jti, content_id, pin_id FROM attributions WHERE id = {attributed}"  # fmt: skip
    [(creator, jti, content, pin)] = rows(moving.commerce, attribution)
    assert creator == bought.creator and None not in (jti, content, pin)  # the hand-off's

    assert moving.mover.rollback(moving.seller_id, "operator", "once") is Phase.ROLLED_BACK
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

    for number in numbers:
        again = order_rows(moving, number)
        assert again == before[number], number
    assert rows(moving.commerce, attribution) == [(creator, jti, content, pin)]
    with Session(moving.commerce) as s:
        debits, credits = money_db.totals(s)
    assert debits == credits

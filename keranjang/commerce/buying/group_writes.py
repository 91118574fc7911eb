"""A group's writes: one statement per table for the whole group (stock taken with the lone
checkout's guard, orders, lines, holds, events and outbox messages, emptied carts, stored
answers)."""

import secrets
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.buying.domain import (
    CartLine,
)
from keranjang.commerce.buying.group import Accepted, Rules
from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus, OrderView


class StockMoved(Exception):
    """Stock changed between the group's read and its write: place the group one by one."""


def write_stock(c: Connection, accepted: list[Accepted]) -> None:
    taken: dict[int, int] = {}
    for item in accepted:
        for draft in item.drafts:
            for line in draft.lines:
                taken[line.product_id] = taken.get(line.product_id, 0) + line.quantity
    done = c.execute(_TAKE_STOCK, [{"pid": p, "units": n} for p, n in sorted(taken.items())])
    if done.rowcount != len(taken):
        raise StockMoved(f"{len(taken) - done.rowcount} product(s) changed while placing")


def insert_orders(
    c: Connection,
    accepted: list[Accepted],
    now: datetime,
    expires: datetime,
    rules: Rules,
) -> list[list[dict[str, Any]]]:
    """Every order of the group in one INSERT (ids returned in order), then their lines, stock
    holds, events and outbox messages in one multi-row INSERT each; the orders' views."""
    rows = _order_rows(accepted, now, expires, rules)
    ids = iter(c.execute(_INSERT_ORDERS, rows).scalars().all())
    placed: list[list[tuple[order_db.OrderRow, list[order_db.OrderLineRow]]]] = []
    row_iter = iter(rows)
    for item in accepted:
        mine = []
        for draft in item.drafts:
            # Transient rows, never in a session: what `order_view` and the events read.
            order = order_db.OrderRow(id=next(ids), **next(row_iter))
            mine.append((order, [_order_line(order.id, line) for line in draft.lines]))
        placed.append(mine)
    every = [pair for mine in placed for pair in mine]
    c.execute(
        _INSERT_ORDER_LINES,
        [{k: getattr(x, k) for k in _LINE_COLUMNS} for _, lines in every for x in lines],
    )
    c.execute(_INSERT_STOCK_HOLDS, _holds(every, expires))
    actors = [
        (order, f"buyer:{item.buyer_id}")
        for item, mine in zip(accepted, placed, strict=True)
        for order, _ in mine
    ]
    order_db.record_events_by(c, actors, None, "checkout", now)
    return [
        [answer_order(order_db.order_view(c, order, lines)) for order, lines in mine]
        for mine in placed
    ]


def _order_rows(
    accepted: list[Accepted], now: datetime, expires: datetime, rules: Rules
) -> list[dict[str, Any]]:
    """The INSERT's rows: one order per merchant of each accepted checkout, in order."""
    return [
        {
            "number": "KRJ-" + secrets.token_hex(6).upper(),
            "buyer_id": item.buyer_id,
            "merchant_id": draft.merchant_id,
            "status": OrderStatus.AWAITING_PAYMENT.value,
            "subtotal_idr": draft.subtotal_idr,
            "shipping_idr": draft.shipping_idr,
            "total_idr": draft.total_idr,
            "shipping_address": item.address,
            "tracking_number": None,
            "hold_expires_at": expires,
            "created_at": now,
            "updated_at": now,
            "platform_fee_bp": rules.platform_fee_bp,
            "refunded_idr": 0,
            "refunded_shipping_idr": 0,
            "completed_at": None,
            "released_at": None,
        }
        for item in accepted
        for draft in item.drafts
    ]


def _holds(
    every: list[tuple[order_db.OrderRow, list[order_db.OrderLineRow]]], expires: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "order_id": x.order_id,
            "product_id": x.product_id,
            "quantity": x.quantity,
            "expires_at": expires,
            "released_at": None,
        }
        for _, lines in every
        for x in lines
    ]


def answer_order(view: OrderView) -> dict[str, Any]:
    """A just-placed order as the stored checkout answer gives it (the API's order shape: not
    yet invoiced, so no invoice)."""
    body = asdict(view)
    del body["invoice_number"], body["history"]
    body["lines"] = list(body["lines"])  # as it reads back from the stored JSON
    body["hold_expires_at"] = view.hold_expires_at.isoformat()
    body["created_at"] = view.created_at.isoformat()
    return body | {"invoice": None}


def _order_line(order_id: int, line: CartLine) -> order_db.OrderLineRow:
    attributed = line.creator_id is not None
    return order_db.OrderLineRow(
        order_id=order_id,
        product_id=line.product_id,
        title=line.title,
        unit_price_idr=line.unit_price_idr,
        quantity=line.quantity,
        attribution_id=line.attribution_id if attributed else None,
        commission_bp=line.commission_bp if attributed else 0,
        refunded_quantity=0,
    )


_p, _cl = catalog_db.ProductRow, buying_db.CartLineRow
# The guard holds the shop selling too: on SQLite the group's reads run before its write
# transaction begins, so a fence committed in between is seen here (the group is then placed
# one by one, and each checkout finds the shop not selling).
_m = catalog_db.MerchantRow
_TAKE_STOCK = (
    update(_p)
    .where(
        _p.id == bindparam("pid"),
        _p.stock >= bindparam("units"),
        _p.merchant_id.in_(select(_m.id).where(_m.selling)),
    )
    .values(stock=_p.stock - bindparam("units"))
)
EMPTY_CARTS = delete(_cl).where(_cl.id.in_(bindparam("lines", expanding=True)))
INSERT_KEYS = insert(buying_db.IdempotencyKeyRow.__table__)  # type: ignore[arg-type]
_orders = order_db.OrderRow.__table__
_INSERT_ORDERS = insert(_orders).returning(_orders.c.id, sort_by_parameter_order=True)  # type: ignore[arg-type]
_INSERT_ORDER_LINES = insert(order_db.OrderLineRow.__table__)  # type: ignore[arg-type]
_INSERT_STOCK_HOLDS = insert(order_db.StockHoldRow.__table__)  # type: ignore[arg-type]
_LINE_COLUMNS = [c.key for c in order_db.OrderLineRow.__table__.columns if c.key != "id"]

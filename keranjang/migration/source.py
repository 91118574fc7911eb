"""Reading one legacy seller's rows out of social's database: in key order and in batches for
the copy (`after` the last key copied, `limit` rows), by key for the catch-up, and the figures
the cutover's money and the verification need. Reads only; every function takes the caller's
connection, so a batch reads one consistent state.

Each step of the copy reads one table (or, for buyers, the viewers the seller's orders name)
and answers plain row mappings with the extra columns the mapping needs (a line's order's
refund, a refund's order), so `mapping` stays free of the database.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Select, exists, func, literal, select, union_all
from sqlalchemy.engine import RowMapping

from keranjang.migration.mapping import OPEN_REFUND_STATUSES
from keranjang.social import db as promotion
from keranjang.social.legacy_shop import db as legacy
from keranjang.social.legacy_shop import ledger as legacy_ledger
from keranjang.social.legacy_shop import moving
from keranjang.social.legacy_shop.changes import ChangeRow
from keranjang.social.viewers.db import ViewerRow

o, p, v = legacy.OrderRow, legacy.ProductRow, ViewerRow
ln, hd, ev = legacy.OrderLineRow, legacy.StockHoldRow, legacy.OrderEventRow
pay, rf = legacy.PaymentRow, legacy.RefundRow
# The copy's steps, parents before children: a step's rows only name rows of earlier steps.
STEPS = ("products", "buyers", "orders", "lines", "holds", "events", "payments", "refunds")
MAX_IN = 900  # ids per IN (...): under SQLite's bound-parameter limit


def _refunded(order_id: Any) -> Any:
    """What the order's refunds took or are taking (the app refunded whole orders)."""
    return (
        select(func.coalesce(func.sum(rf.amount_idr), 0))
        .where(rf.order_id == order_id, rf.kind == "order", rf.status.in_(OPEN_REFUND_STATUSES))
        .scalar_subquery()
    )


def _order_refunded(order_id: Any) -> Any:
    return exists().where(
        rf.order_id == order_id, rf.kind == "order", rf.status.in_(OPEN_REFUND_STATUSES)
    )


def _latest_attempt() -> Any:
    inner = legacy.PaymentRow.__table__.alias("later")
    return ~exists().where(inner.c.order_id == pay.order_id, inner.c.attempt > pay.attempt)


def _buyers() -> Select[Any]:
    phone = select(legacy.BuyerProfileRow.phone).where(legacy.BuyerProfileRow.viewer_id == v.id)
    return select(v.id, v.email, v.name, v.created_at, phone.scalar_subquery().label("phone"))


def _products(seller_id: int) -> tuple[Select[Any], Any]:
    return select(p).where(p.seller_id == seller_id), p.id


def _buyers_of(seller_id: int) -> tuple[Select[Any], Any]:
    return _buyers().where(exists().where(o.viewer_id == v.id, o.seller_id == seller_id)), v.id


def _orders(seller_id: int) -> tuple[Select[Any], Any]:
    return select(o, _refunded(o.id).label("refunded_idr")).where(o.seller_id == seller_id), o.id


def _lines(seller_id: int) -> tuple[Select[Any], Any]:
    query = select(
        ln,
        _order_refunded(ln.order_id).label("order_refunded"),
        o.created_at.label("order_created_at"),  # a creator's attribution's time
    ).join(o, o.id == ln.order_id)
    return query.where(o.seller_id == seller_id), ln.id


def _holds(seller_id: int) -> tuple[Select[Any], Any]:
    return select(hd).join(o, o.id == hd.order_id).where(o.seller_id == seller_id), hd.id


def _events(seller_id: int) -> tuple[Select[Any], Any]:
    return select(ev).join(o, o.id == ev.order_id).where(o.seller_id == seller_id), ev.id


def _payments(seller_id: int) -> tuple[Select[Any], Any]:
    """Keyed by the order: an order's latest attempt is its payment in commerce."""
    query = select(pay).join(o, o.id == pay.order_id)
    return query.where(o.seller_id == seller_id, _latest_attempt()), pay.order_id


def _refunds(seller_id: int) -> tuple[Select[Any], Any]:
    query: Any = select(
        rf,
        o.status.label("order_status"),
        o.completed_at.label("order_completed_at"),
        o.shipping_idr.label("order_shipping_idr"),
    ).join(o, o.id == rf.order_id)
    return query.where(o.seller_id == seller_id), rf.id


# Built on demand, one step at a time: building every step's query for each call cost a
# merchant's move more Python than its statements did (bench/README.md, the migration).
_STEP_QUERIES: dict[str, Callable[[int], tuple[Select[Any], Any]]] = {
    "products": _products,
    "buyers": _buyers_of,
    "orders": _orders,
    "lines": _lines,
    "holds": _holds,
    "events": _events,
    "payments": _payments,
    "refunds": _refunds,
}


def step_query(step: str, seller_id: int) -> tuple[Select[Any], Any]:
    """A step's rows of the seller and the key they are copied in order of."""
    return _STEP_QUERIES[step](seller_id)


def step_keys(c: Connection, seller_id: int) -> dict[str, set[int]]:
    """Every step's keys of the seller, read in one statement (one consistent state)."""
    parts = [
        step_query(step, seller_id)[0].with_only_columns(literal(step).label("step"), key)
        for step, key in ((s, step_query(s, seller_id)[1]) for s in STEPS)
    ]
    found: dict[str, set[int]] = {step: set() for step in STEPS}
    for step, key in c.execute(union_all(*parts)):
        found[str(step)].add(int(key))
    return found


def batch(c: Connection, step: str, seller_id: int, after: int, limit: int) -> list[RowMapping]:
    """The next `limit` rows of a step, in key order, after key `after`."""
    query, key = step_query(step, seller_id)
    return list(c.execute(query.where(key > after).order_by(key).limit(limit)).mappings())


def by_keys(c: Connection, step: str, seller_id: int, keys: Iterable[int]) -> list[RowMapping]:
    """A step's rows of the seller with these keys, as they are now (the catch-up)."""
    query, key = step_query(step, seller_id)
    wanted = sorted(set(keys))
    rows: list[RowMapping] = []
    for start in range(0, len(wanted), MAX_IN):
        chunk = wanted[start : start + MAX_IN]
        rows += c.execute(query.where(key.in_(chunk)).order_by(key)).mappings()
    return rows


def addresses(c: Connection, viewer_ids: Sequence[int]) -> list[RowMapping]:
    a = legacy.AddressRow
    query = select(a).where(a.viewer_id.in_(list(viewer_ids))).order_by(a.id)
    return list(c.execute(query).mappings())


def order_lines(c: Connection, order_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Per legacy order: legacy product id -> quantity."""
    found: dict[int, dict[int, int]] = {}
    query = select(ln.order_id, ln.product_id, ln.quantity).where(ln.order_id.in_(set(order_ids)))
    for order_id, product_id, quantity in c.execute(query):
        lines = found.setdefault(int(order_id), {})
        lines[int(product_id)] = lines.get(int(product_id), 0) + int(quantity)
    return found


# -- the seller, its consent and its books ---------------------------------------------------


def seller(c: Connection, seller_id: int) -> RowMapping | None:
    return (
        c.execute(select(legacy.SellerRow).where(legacy.SellerRow.id == seller_id))
        .mappings()
        .first()
    )


def payout_account(c: Connection, seller_id: int) -> RowMapping | None:
    a = legacy.PayoutAccountRow
    return c.execute(select(a).where(a.seller_id == seller_id)).mappings().first()


def consented(c: Connection, seller_id: int) -> bool:
    row = moving.MoveConsentRow
    return c.scalar(select(row.seller_id).where(row.seller_id == seller_id)) is not None


def open_escrow(c: Connection, seller_id: int) -> list[tuple[int, str, int]]:
    """(order id, number, rupiah) the app's escrow holds for each of the seller's orders that
    holds any (its open paid orders): escrow is credited, so a holding is minus the sum."""
    post, entry = legacy.LedgerPostingRow, legacy.LedgerEntryRow
    held = func.sum(post.amount_idr)
    query = (
        select(o.id, o.number, held)
        .join(entry, entry.order_id == o.id)
        .join(post, post.entry_id == entry.id)
        .where(post.seller_id == seller_id, post.account == legacy_ledger.Account.ESCROW.value)
        .group_by(o.id, o.number)
        .having(held != 0)
        .order_by(o.id)
    )
    return [(int(i), str(n), -int(amount)) for i, n, amount in c.execute(query)]


def payable(c: Connection, seller_id: int) -> int:
    post = legacy.LedgerPostingRow
    query = select(func.coalesce(func.sum(post.amount_idr), 0)).where(
        post.seller_id == seller_id, post.account == legacy_ledger.Account.SELLER_PAYABLE.value
    )
    return -int(c.scalar(query) or 0)


def rows_total(c: Connection, seller_id: int) -> int:
    """The seller's rows that move: itself, its payout account, and every step's rows (one
    statement: a count per step, in one round trip)."""
    a = legacy.PayoutAccountRow
    counts = [
        select(func.count()).select_from(step_query(step, seller_id)[0].subquery())
        for step in STEPS
    ]
    account = exists().where(a.seller_id == seller_id)
    figures = c.execute(select(account, *(q.scalar_subquery() for q in counts))).one()
    return 1 + sum(int(n or 0) for n in figures)


# -- the change log ---------------------------------------------------------------------------


def pending_changes(c: Connection, seller_id: int, after_id: int) -> int:
    """How many changes of the seller the log holds past id `after_id` (the lag, in changes)."""
    query = select(func.count()).where(ChangeRow.seller_id == seller_id, ChangeRow.id > after_id)
    return int(c.scalar(query) or 0)


def route(c: Connection, seller_id: int) -> str:
    return str(promotion.route_of(c, seller_id).value)


def viewer_ids_by_email(c: Connection, emails: Iterable[str]) -> dict[str, int]:
    wanted = sorted({e.lower() for e in emails})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), MAX_IN):
        query = select(func.lower(v.email), v.id).where(
            func.lower(v.email).in_(wanted[start : start + MAX_IN])
        )
        found.update({str(e): int(i) for e, i in c.execute(query)})
    return found


def order_ids_by_number(c: Connection, seller_id: int, numbers: Iterable[str]) -> dict[str, int]:
    query = select(o.number, o.id).where(o.seller_id == seller_id, o.number.in_(list(numbers)))
    return {str(n): int(i) for n, i in c.execute(query)}


def orders_of_payments(c: Connection, payment_ids: Iterable[int]) -> set[int]:
    query = select(pay.order_id).where(pay.id.in_(sorted(set(payment_ids))))
    return {int(i) for i in c.scalars(query)}

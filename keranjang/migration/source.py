"""Reading legacy sellers' rows out of social's database: in key order and in batches for the
copy (`after` the last key copied, `limit` rows), by key for the catch-up, and the figures the
verification needs (the seller itself and its books are `source_books`'). Reads only; every
function takes the caller's connection, so a batch reads one consistent state.

Every read takes `Sellers`: one seller, or the sellers of a batch moved together (small
merchants share one set of statements per step, bench/README.md); a row read for several
sellers says whose it is in `owner_id`, and answers are grouped per seller where the caller
needs them apart.

Each step of the copy reads one table (or, for buyers, the viewers the sellers' orders name)
and answers plain row mappings with the extra columns the mapping needs (a line's order's
refund, a refund's order, the row's seller), so `mapping` stays free of the database.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Select, exists, func, literal, select, union_all
from sqlalchemy.engine import RowMapping

from keranjang.infra.bulk import among, chunks, one_of
from keranjang.migration.mapping import OPEN_REFUND_STATUSES
from keranjang.social import db as promotion
from keranjang.social.legacy_shop import db as legacy
from keranjang.social.legacy_shop.books import PARTLY
from keranjang.social.legacy_shop.changes import ChangeRow
from keranjang.social.viewers.db import ViewerRow

o, p, v = legacy.OrderRow, legacy.ProductRow, ViewerRow
ln, hd, ev = legacy.OrderLineRow, legacy.StockHoldRow, legacy.OrderEventRow
pay, rf = legacy.PaymentRow, legacy.RefundRow
# The copy's steps, parents before children: a step's rows only name rows of earlier steps.
STEPS = ("products", "buyers", "orders", "lines", "holds", "events", "payments", "refunds")


def _refunded(order_id: Any) -> Any:
    """What the order's refunds took or are taking: the app's own (whole orders) and those
    made in commerce before a rollback (part of one)."""
    return (
        select(func.coalesce(func.sum(rf.amount_idr), 0))
        .where(
            rf.order_id == order_id,
            rf.kind.in_(("order", PARTLY)),
            rf.status.in_(OPEN_REFUND_STATUSES),
        )
        .scalar_subquery()
    )


def _partly_shipping(order_id: Any) -> Any:
    """The shipping refunds made in commerce before a rollback took."""
    return (
        select(func.coalesce(func.sum(rf.shipping_idr), 0))
        .where(rf.order_id == order_id, rf.kind == PARTLY, rf.status == "succeeded")
        .scalar_subquery()
    )


def _order_refunded(order_id: Any) -> Any:
    return exists().where(
        rf.order_id == order_id, rf.kind == "order", rf.status.in_(OPEN_REFUND_STATUSES)
    )


def _latest_attempt() -> Any:
    inner = legacy.PaymentRow.__table__.alias("later")
    return ~exists().where(inner.c.order_id == pay.order_id, inner.c.attempt > pay.attempt)


Sellers = int | Iterable[int]


def ids_of(sellers: Sellers) -> list[int]:
    """The sellers asked for, as a sorted list (one seller is a batch of one)."""
    return [sellers] if isinstance(sellers, int) else sorted(set(sellers))


def _buyers(sellers: list[int]) -> Select[Any]:
    phone = select(legacy.BuyerProfileRow.phone).where(legacy.BuyerProfileRow.viewer_id == v.id)
    owner = select(func.min(o.seller_id)).where(o.viewer_id == v.id, one_of(o.seller_id, sellers))
    return select(
        v.id,
        v.email,
        v.name,
        v.created_at,
        phone.scalar_subquery().label("phone"),
        owner.scalar_subquery().label("owner_id"),  # the batch's first seller it bought from
    )


def _products(sellers: list[int]) -> tuple[Select[Any], Any]:
    query: Any = select(p, p.seller_id.label("owner_id"))
    return query.where(one_of(p.seller_id, sellers)), p.id


def _buyers_of(sellers: list[int]) -> tuple[Select[Any], Any]:
    bought = exists().where(o.viewer_id == v.id, one_of(o.seller_id, sellers))
    return _buyers(sellers).where(bought), v.id


def _orders(sellers: list[int]) -> tuple[Select[Any], Any]:
    query = select(
        o,
        _refunded(o.id).label("refunded_idr"),
        _order_refunded(o.id).label("order_refunded"),
        _partly_shipping(o.id).label("partly_shipping_idr"),
        o.seller_id.label("owner_id"),
    )
    return query.where(one_of(o.seller_id, sellers)), o.id


def _lines(sellers: list[int]) -> tuple[Select[Any], Any]:
    query = select(
        ln,
        _order_refunded(ln.order_id).label("order_refunded"),
        o.created_at.label("order_created_at"),  # a creator's attribution's time
        o.seller_id.label("owner_id"),
    ).join(o, o.id == ln.order_id)
    return query.where(one_of(o.seller_id, sellers)), ln.id


def _holds(sellers: list[int]) -> tuple[Select[Any], Any]:
    query: Any = select(hd, o.seller_id.label("owner_id")).join(o, o.id == hd.order_id)
    return query.where(one_of(o.seller_id, sellers)), hd.id


def _events(sellers: list[int]) -> tuple[Select[Any], Any]:
    query: Any = select(ev, o.seller_id.label("owner_id")).join(o, o.id == ev.order_id)
    return query.where(one_of(o.seller_id, sellers)), ev.id


def _payments(sellers: list[int]) -> tuple[Select[Any], Any]:
    """Keyed by the order: an order's latest attempt is its payment in commerce."""
    query: Any = select(pay, o.seller_id.label("owner_id")).join(o, o.id == pay.order_id)
    return query.where(one_of(o.seller_id, sellers), _latest_attempt()), pay.order_id


def _refunds(sellers: list[int]) -> tuple[Select[Any], Any]:
    query: Any = select(
        rf,
        o.status.label("order_status"),
        o.completed_at.label("order_completed_at"),
        o.shipping_idr.label("order_shipping_idr"),
        o.seller_id.label("owner_id"),
    ).join(o, o.id == rf.order_id)
    return query.where(one_of(o.seller_id, sellers)), rf.id


# Built on demand, one step at a time: building every step's query for each call cost a
# merchant's move more Python than its statements did (bench/README.md, the migration).
_STEP_QUERIES: dict[str, Callable[[list[int]], tuple[Select[Any], Any]]] = {
    "products": _products,
    "buyers": _buyers_of,
    "orders": _orders,
    "lines": _lines,
    "holds": _holds,
    "events": _events,
    "payments": _payments,
    "refunds": _refunds,
}


def step_query(step: str, sellers: Sellers) -> tuple[Select[Any], Any]:
    """A step's rows of the sellers and the key they are copied in order of."""
    return _STEP_QUERIES[step](ids_of(sellers))


def _owned_keys(c: Connection, step: str, sellers: list[int], orders: list[int] | None) -> Any:
    """(step, seller, key) of the sellers' rows of a step: a buyer once per seller it bought
    from (each seller's verification counts its own buyers). `orders`: the sellers' orders,
    named (`orders_to_name`), if known."""
    if step == "buyers":
        buyers: Any = select(literal(step).label("step"), o.seller_id, o.viewer_id.label("key"))
        return buyers.where(one_of(o.seller_id, sellers)).distinct()
    query, key = step_query(step, sellers)
    if step in ORDER_OF and orders is not None:
        query = query.where(among(c, ORDER_OF[step], orders))
    owner = query.selected_columns.owner_id.label("seller_id")
    return query.with_only_columns(literal(step).label("step"), owner, key.label("key"))


def _every_step(c: Connection, sellers: list[int]) -> list[Any]:
    """`_owned_keys` of every step, the rows under orders named by their orders: through the
    join on the seller, PostgreSQL misjudged 500 small sellers' orders (13,564 for 3,705)
    and scanned all lines, holds and payments (counting them took 410 ms a batch)."""
    orders = orders_to_name(c, sellers)
    return [_owned_keys(c, step, sellers, orders) for step in STEPS]


def owned_keys(c: Connection, sellers: Sellers) -> dict[int, dict[str, set[int]]]:
    """Every step's keys, per seller, read in one statement (one consistent state)."""
    wanted = ids_of(sellers)
    found = {seller: {step: set[int]() for step in STEPS} for seller in wanted}
    for step, owner, key in c.execute(union_all(*_every_step(c, wanted))):
        found[int(owner)][str(step)].add(int(key))
    return found


def step_keys(c: Connection, seller_id: int) -> dict[str, set[int]]:
    """Every step's keys of one seller, read in one statement."""
    return owned_keys(c, seller_id)[seller_id]


# The order a row of a step under orders belongs to.
ORDER_OF = {
    "lines": ln.order_id,
    "holds": hd.order_id,
    "events": ev.order_id,
    "payments": pay.order_id,
    "refunds": rf.order_id,
}
FEW_ORDERS = 20_000  # a batch's orders named as one array, up to this many


def orders_to_name(c: Connection, sellers: Sellers) -> list[int] | None:
    """On PostgreSQL, the sellers' orders, for `batch` to name the rows under them by (None:
    SQLite, or too many to name). Asked for the rows of 500 small sellers through the join
    to their orders, its planner walks the whole table in key order and checks each row's
    order: 224-393 ms a batch of events at 100,000 merchants, 28 ms with the ids named
    (bench/README.md). A giant's orders are too many to name; its own plan is right.
    Orders placed after this read are the catch-up's: its cursor was taken before."""
    if c.dialect.name != "postgresql":
        return None
    query = select(o.id).where(one_of(o.seller_id, ids_of(sellers))).limit(FEW_ORDERS + 1)
    orders = [int(i) for i in c.scalars(query)]
    return None if len(orders) > FEW_ORDERS else orders


def _next_buyers(c: Connection, sellers: list[int], after: int, limit: int) -> list[int]:
    """The next `limit` viewers, in id order after `after`, who bought from the sellers:
    read from the sellers' orders first (a giant's buyers were read in 300 ms a batch by
    walking every viewer and looking for an order). A batch's orders are read whole first
    (a materialized CTE): asked for the first buyers in id order, PostgreSQL walked the
    viewer index of all 450,000 orders looking for 500 small sellers' (280-670 ms a batch);
    their 3,700 orders read by seller and sorted take 24 ms. A giant alone keeps the walk,
    which finds its buyers at once."""
    query = select(o.viewer_id).where(among(c, o.seller_id, sellers), o.viewer_id > after)
    if len(sellers) > 1:
        mine = query.cte("mine").prefix_with("MATERIALIZED")
        query = select(mine.c.viewer_id)
    column = query.selected_columns[0]
    return [int(i) for i in c.scalars(query.distinct().order_by(column).limit(limit))]


def batch(
    c: Connection,
    step: str,
    sellers: Sellers,
    page: tuple[int, int],
    orders: list[int] | None = None,
) -> list[RowMapping]:
    """The next rows of a step, in key order: `page` is (the key they come after, how many at
    most). `orders`: the sellers' orders (`orders_to_name`), if known."""
    after, limit = page
    query, key = step_query(step, sellers)
    if step == "buyers" and c.dialect.name == "postgresql":
        wanted = ids_of(sellers)
        query = _buyers(wanted).where(among(c, v.id, _next_buyers(c, wanted, after, limit)))
    elif step in ORDER_OF and orders is not None:
        query = query.where(among(c, ORDER_OF[step], orders))
    return list(c.execute(query.where(key > after).order_by(key).limit(limit)).mappings())


def keys_after(
    c: Connection, step: str, sellers: Sellers, after: int, orders: list[int]
) -> list[int]:
    """The keys of a step's rows of the sellers after `after`, in order, the rows under orders
    named by the sellers' `orders` (`orders_to_name`): the copy reads them once and then its
    pages by key (`by_keys`). Read a page at a time (`batch`), the 15,000 order events of a
    batch of three large sellers were all read and sorted for each page of 1,000, 85 ms a
    page at 100,000 merchants (bench/README.md)."""
    query, key = step_query(step, sellers)
    if step not in ORDER_OF:
        listed = query.with_only_columns(key)
    else:  # the sellers' orders name their rows: no need to join them
        listed = select(key).where(one_of(ORDER_OF[step], orders))
        listed = listed.where(_latest_attempt()) if step == "payments" else listed
    return [int(k) for k in c.scalars(listed.where(key > after).order_by(key))]


def by_keys(c: Connection, step: str, sellers: Sellers, keys: Iterable[int]) -> list[RowMapping]:
    """A step's rows of the sellers with these keys, as they are now, in key order (the copy's
    pages, the catch-up)."""
    query, key = step_query(step, sellers)
    wanted = sorted(set(keys))
    if not wanted:
        return []
    return list(c.execute(query.where(one_of(key, wanted)).order_by(key)).mappings())


def addresses(c: Connection, viewer_ids: Sequence[int]) -> list[RowMapping]:
    a = legacy.AddressRow
    query = select(a).where(one_of(a.viewer_id, list(viewer_ids))).order_by(a.id)
    return list(c.execute(query).mappings())


def order_lines(c: Connection, order_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Per legacy order: legacy product id -> the units not refunded in part (in commerce,
    before a rollback): what a refund of the whole order took."""
    found: dict[int, dict[int, int]] = {}
    left = ln.quantity - ln.refunded_quantity
    query = select(ln.order_id, ln.product_id, left).where(one_of(ln.order_id, set(order_ids)))
    for order_id, product_id, quantity in c.execute(query):
        lines = found.setdefault(int(order_id), {})
        lines[int(product_id)] = lines.get(int(product_id), 0) + int(quantity)
    return found


def rows_total(c: Connection, seller_id: int) -> int:
    return rows_totals(c, seller_id)[seller_id]


def rows_totals(c: Connection, sellers: Sellers) -> dict[int, int]:
    """Per seller, its rows that move: itself, its payout account, and every step's rows (one
    statement: a count per step and seller, in one round trip)."""
    wanted, a = ids_of(sellers), legacy.PayoutAccountRow
    counts = [
        select(q.c.step, q.c.seller_id, func.count()).group_by(q.c.step, q.c.seller_id)
        for q in (keys.subquery() for keys in _every_step(c, wanted))
    ]
    accounts = (
        select(literal("account"), a.seller_id, func.count())
        .where(one_of(a.seller_id, wanted))
        .group_by(a.seller_id)
    )
    totals = dict.fromkeys(wanted, 1)  # the seller itself
    for _, seller_id, n in c.execute(union_all(accounts, *counts)):
        totals[int(seller_id)] += int(n)
    return totals


# -- the change log ---------------------------------------------------------------------------


def pending_changes(c: Connection, seller_id: int, after_id: int) -> int:
    """How many changes of the seller the log holds past id `after_id` (the lag, in changes)."""
    query = select(func.count()).where(ChangeRow.seller_id == seller_id, ChangeRow.id > after_id)
    return int(c.scalar(query) or 0)


def route(c: Connection, seller_id: int) -> str:
    return str(promotion.route_of(c, seller_id).value)


def viewer_ids_by_email(c: Connection, emails: Iterable[str]) -> dict[str, int]:
    """Viewers by email, whatever its case (through the index on `lower(email)`)."""
    found: dict[str, int] = {}
    for chunk in chunks(c, {e.lower() for e in emails}):
        query = select(func.lower(v.email), v.id).where(among(c, func.lower(v.email), chunk))
        found.update({str(e): int(i) for e, i in c.execute(query)})
    return found


def order_ids_by_number(c: Connection, seller_id: int, numbers: Iterable[str]) -> dict[str, int]:
    query = select(o.number, o.id).where(o.seller_id == seller_id, one_of(o.number, list(numbers)))
    return {str(n): int(i) for n, i in c.execute(query)}


def orders_of_payments(c: Connection, payment_ids: Iterable[int]) -> set[int]:
    query = select(pay.order_id).where(one_of(pay.id, sorted(set(payment_ids))))
    return {int(i) for i in c.scalars(query)}

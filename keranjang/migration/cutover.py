"""The cutover: the seller's (or a batch's sellers') legacy writes fenced for a short pause, the change log drained, the
money moved (open orders' escrow and the payable balance as opening entries in commerce's
ledger, the seller tools opened there), the routing table flipped and the fence lifted.

The pause runs from the fence's commit to the commit that flips the route and lifts the fence
(one social transaction: a buyer never finds the seller both unfenced and still in the app after
the flip). It is predicted first, from the lag still in the log, the apply cost per change the
catch-up measured, the money step rehearsed now (posted and rolled back, so the cost per open
order is this merchant's on this database) and social's round trip (measured now); a cutover
predicted over the budget is abandoned before anything is fenced.

What the pause does is kept small: the id map it needs is read before the fence; the money is
read from the app while fenced (escrow and payable move with every payment, completion and
refund of an unfenced seller, so a figure read earlier could be stale) and posted in bulk, a few
statements whatever the number of open orders. Posting a snapshot before the fence and
correcting it inside was weighed and left: corrections would need entries of their own beside
the `payment:<order id>` an open order's escrow must be booked under (and verification would
have to add them up), while the pause would still read the balances and commit in commerce (the
seller tools open there inside the pause too): the saving is the rows of one bulk INSERT.

A batch is cut over together, under one fence over all its sellers: one drain, one bulk post of
every merchant's opening entries, one flip; the budget bounds the batch's pause. A batch
predicted over budget cuts over the sellers that fit (`Prediction.within`) and leaves the
others for the next round (`engine`).

Every step repeats safely after a crash: the fence is raised once, draining reads the log from
the journal's cursor, opening entries are posted once under their names, the flip writes values
not increments. A fence a crash left behind is lifted by the next attempt, or by an abandon.
"""

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.migration import capture, journal, source
from keranjang.migration.errors import OverBudget
from keranjang.migration.sync import Ctx
from keranjang.social import db as promotion
from keranjang.social.domain import Route
from keranjang.social.legacy_shop.moving import FenceRow

DEFAULT_MS_PER_CHANGE = 2.0  # until the catch-up has measured it
PAUSE_SOCIAL_TRIPS = 3  # social round trips in a pause besides the money: drain's read, the flip


@dataclass(frozen=True)
class Prediction:
    lag: int
    open_orders: int
    ms: float
    # What posting the opening entries costs now, measured by a rehearsal (posted and rolled
    # back): `money_ms` in all, `ms_per_order` of it per open order.
    money_ms: float = 0.0
    ms_per_order: float = 0.0
    # Per seller of a batch: the changes it is behind and its open orders.
    lags: dict[int, int] = field(default_factory=dict)
    orders: dict[int, int] = field(default_factory=dict)

    def within(self, budget_ms: float, ms_per_change: float) -> list[int]:
        """The sellers, in order, that fit the budget together (at least the first): what a
        batch predicted over budget cuts over first, the others after."""
        fixed = self.ms - self.lag * ms_per_change - self.open_orders * self.ms_per_order
        taken: list[int] = []
        ms = max(fixed, 0.0)
        for seller in sorted(self.lags):
            ms += self.lags[seller] * ms_per_change + self.orders.get(seller, 0) * self.ms_per_order
            if taken and ms > budget_ms:
                break
            taken.append(seller)
        return taken


@dataclass(frozen=True)
class Cutover:
    pause_ms: float
    predicted: Prediction
    drained: int
    cursor: str
    steps_ms: dict[str, float] = field(default_factory=dict)  # drain, money, flip
    drained_of: dict[int, int] = field(default_factory=dict)  # per seller


@dataclass
class Maps:
    """The id map the pause needs, read before the fence (and again after a drain that applied
    anything, since it may have mapped new rows): orders legacy -> commerce, products
    commerce -> legacy."""

    orders: dict[int, int]
    products: dict[int, int]


def maps(ctx: Ctx) -> Maps:
    with ctx.journal() as s:
        orders = {b: a for a, b in journal.reverse(s, ctx.sellers, "order").items()}
        return Maps(orders, journal.reverse(s, ctx.sellers, "product"))


def predict(ctx: Ctx, where: capture.Cursors, ms_per_change: float, ids: Maps) -> Prediction:
    """The pause, before anything is fenced: the changes still in the log at the catch-up's
    measured cost per change, the money step as a rehearsal costs it now, and social's round
    trips measured now."""
    behind = Counter(c.seller_id for c in capture.read(ctx, where).changes)
    social_ms = _social_round_trip(ctx)
    orders, money_ms = rehearse(ctx, ids)
    open_orders = sum(orders.values())
    per = ms_per_change if ms_per_change > 0 else DEFAULT_MS_PER_CHANGE
    lag = behind.total()
    ms = PAUSE_SOCIAL_TRIPS * social_ms + money_ms + lag * per
    lags = {seller: behind[seller] for seller in ctx.sellers}
    return Prediction(lag, open_orders, ms, money_ms, money_ms / max(open_orders, 1), lags, orders)


def _social_round_trip(ctx: Ctx) -> float:
    """What one small social transaction costs now, in ms."""
    routes = promotion.MerchantRouteRow
    started = time.perf_counter()
    with ctx.social.begin() as c:
        c.execute(select(routes.route).where(routes.legacy_seller_id.in_(ctx.sellers)))
    return (time.perf_counter() - started) * 1000


def rehearse(ctx: Ctx, ids: Maps) -> tuple[dict[int, int], float]:
    """The money step as the pause will do it (the balances read, the opening entries posted
    in bulk), rolled back: how many open orders it moves per seller and what it costs, in ms.
    The real cost of these merchants' entries on this database now, rather than a guess."""
    started = time.perf_counter()
    openings = _openings(ctx, ids)
    with Session(ctx.commerce) as s:
        money_db.post_many(s, _entries(openings), ctx.clock.now())
        s.rollback()
    orders = {seller: len(o.orders) for seller, o in openings.items()}
    return orders, (time.perf_counter() - started) * 1000


def cut_over(ctx: Ctx, budget_ms: float, digests: dict[int, str]) -> Cutover:
    """Fence, drain, move the money, flip and lift, for every seller of the batch together;
    `OverBudget` (nothing fenced) if the pause is predicted over `budget_ms`."""
    where, rate = cursors_and_rate(ctx)
    ids = maps(ctx)
    predicted = predict(ctx, where, rate, ids)
    if predicted.ms > budget_ms:
        abandon(ctx)
        raise OverBudget(
            f"cutover abandoned: predicted {predicted.ms:.1f} ms > budget {budget_ms:g} ms "
            f"({predicted.lag} changes behind, {predicted.open_orders} open orders, "
            f"{predicted.ms_per_order:.2f} ms per open order)",
            predicted,
        )
    raise_fence(ctx)
    clock = _Steps()
    ctx.checkpoint("cutover:fenced")
    try:
        drained, cursor = drain(ctx, where)
        if drained:  # the drain may have mapped orders or products the maps lack
            ids = maps(ctx)
        clock.lap("drain")
        ctx.checkpoint("cutover:drained")
        open_books(ctx, digests, ids)
        clock.lap("money")
        ctx.checkpoint("cutover:money")
        flip(ctx, Route.COMMERCE, ids.products)
        clock.lap("flip")
    except BaseException:
        abandon(ctx)
        raise
    ctx.checkpoint("cutover:flipped")
    return Cutover(clock.total(), predicted, drained.total(), cursor, clock.laps, dict(drained))


def cursors_and_rate(ctx: Ctx) -> tuple[capture.Cursors, float]:
    """The batch's log cursors and the apply cost per change its catch-up measured (the
    highest of its moves': the pause is predicted on the safe side)."""
    with ctx.journal() as s:
        query = select(journal.MoveRow).where(journal.MoveRow.seller_id.in_(ctx.sellers))
        where = [journal.position(m) | {"seller": m.seller_id} for m in s.scalars(query)]
    rate = max(float(w.get("ms_per_change") or 0) for w in where)
    return {int(w["seller"]): str(w["log"]) for w in where}, rate


def abandon(ctx: Ctx) -> None:
    """A cutover that does not go ahead: a crash may have left the shops open in commerce,
    still routed here, and the fence up."""
    not_selling(ctx)
    lift_fence(ctx)


class _Steps:
    """Milliseconds per step of the pause, from the fence's commit."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name], self.last = round((now - self.last) * 1000, 3), now

    def total(self) -> float:
        return (self.last - self.started) * 1000


def drain(ctx: Ctx, where: capture.Cursors) -> tuple[Counter[int], str]:
    """Apply the log until a read finds nothing new (the sellers are fenced: it stays empty)."""
    drained: Counter[int] = Counter()
    while True:
        batch = capture.read(ctx, where)
        where = dict.fromkeys(where, batch.cursor)
        if not batch.changes:
            return drained, batch.cursor
        capture.apply_changes(ctx, batch.changes)
        drained.update(c.seller_id for c in batch.changes)


def raise_fence(ctx: Ctx) -> None:
    """The fences, in a transaction that first takes the sellers' route rows `FOR UPDATE` (in
    seller order): it waits for every legacy write in flight (they hold the row `FOR SHARE`),
    and every later one sees the fence (`keranjang.social.legacy_shop.moving`)."""
    routes, now = promotion.MerchantRouteRow, ctx.clock.now()
    with Session(ctx.social) as s, s.begin():
        query = select(routes.legacy_seller_id).where(routes.legacy_seller_id.in_(ctx.sellers))
        routed = set(s.scalars(query.order_by(routes.legacy_seller_id).with_for_update()))
        fenced = set(
            s.scalars(select(FenceRow.seller_id).where(FenceRow.seller_id.in_(ctx.sellers)))
        )
        for seller_id in ctx.sellers:
            if seller_id not in routed:
                promotion.open_route(s, seller_id, now)
            if seller_id not in fenced:
                s.add(FenceRow(seller_id=seller_id, fenced_at=now, reason="moving to commerce"))


def not_selling(ctx: Ctx) -> None:
    """The shops off sale in commerce again (a cutover that did not reach the flip)."""
    merchants = catalog_db.MerchantRow
    wanted = list(ctx.merchants.values())
    with ctx.commerce.begin() as c:
        c.execute(update(merchants).where(merchants.id.in_(wanted)).values(selling=False))


def lift_fence(ctx: Ctx) -> None:
    with ctx.social.begin() as c:
        c.execute(delete(FenceRow).where(FenceRow.seller_id.in_(ctx.sellers)))


def open_books(ctx: Ctx, digests: dict[int, str], ids: Maps) -> int:
    """Each seller's escrow per open order and its payable balance, as opening entries against
    `migration_clearing` (posted in bulk for the whole batch: a few statements whatever the
    number of orders), and the seller tools opened (each seller's own token) and the shops put
    on sale, in one commerce transaction; entries posted before are skipped. Read while
    fenced, so nothing in the app moves them meanwhile. Answers how many entries were posted
    now."""
    openings = _openings(ctx, ids)
    merchants = cast(Table, catalog_db.MerchantRow.__table__)
    opened = [
        {"_id": ctx.merchants[seller], "_digest": digest} for seller, digest in digests.items()
    ]
    with Session(ctx.commerce) as s, s.begin():
        posted = money_db.post_many(s, _entries(openings), ctx.clock.now())
        s.connection().execute(
            update(merchants)
            .where(merchants.c.id == bindparam("_id"))
            .values(token_hash=bindparam("_digest"), selling=True),
            opened,
        )
    return posted


def _openings(ctx: Ctx, ids: Maps) -> dict[int, ledger.Opening]:
    """Each seller's opening balances as the app's books have them now."""
    with ctx.social.connect() as c:
        held = source.escrow_of(c, ctx.sellers)
        payable = source.payables(c, ctx.sellers)
    unknown = [i for orders in held.values() for i, _, _ in orders if i not in ids.orders]
    if unknown:  # not mapped when the maps were read
        ids.orders.update(ctx.mapped("order", unknown))
    return {
        seller: ledger.Opening(
            merchant_id,
            tuple(
                ledger.OpenOrder(ids.orders[i], number, amount)
                for i, number, amount in held.get(seller, [])
            ),
            payable_idr=payable.get(seller, 0),
        )
        for seller, merchant_id in ctx.merchants.items()
    }


def _entries(openings: dict[int, ledger.Opening]) -> list[ledger.Entry]:
    return [e for seller in sorted(openings) for e in ledger.opening(openings[seller])]


def flip(ctx: Ctx, to: Route, moved: dict[int, int]) -> None:
    """Point the sellers' yellow carts (and products' pins: `moved` is commerce id -> legacy
    id) at `to`, and lift the fences, in one social transaction."""
    routes, products = promotion.MerchantRouteRow, promotion.ProductMapRow
    now = ctx.clock.now()
    table = cast(Table, routes.__table__)
    flips = [
        {"_seller": seller, "_merchant": merchant if to is Route.COMMERCE else None}
        for seller, merchant in sorted(ctx.merchants.items())
    ]
    with Session(ctx.social) as s, s.begin():
        s.connection().execute(
            update(table)
            .where(table.c.legacy_seller_id == bindparam("_seller"))
            .values(route=to.value, commerce_merchant_id=bindparam("_merchant"), changed_at=now),
            flips,
        )
        s.execute(delete(products).where(products.legacy_product_id.in_(list(moved.values()))))
        if to is Route.COMMERCE:
            s.add_all(
                products(legacy_product_id=legacy, commerce_product_id=new, mapped_at=now)
                for new, legacy in moved.items()
            )
        s.execute(delete(FenceRow).where(FenceRow.seller_id.in_(ctx.sellers)))

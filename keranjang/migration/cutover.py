"""The cutover: the seller's legacy writes fenced for a short pause, the change log drained, the
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

Every step repeats safely after a crash: the fence is raised once, draining reads the log from
the journal's cursor, opening entries are posted once under their names, the flip writes values
not increments. A fence a crash left behind is lifted by the next attempt, or by an abandon.
"""

import time
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
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
    # What posting this merchant's opening entries costs now, measured by a rehearsal (posted
    # and rolled back): `money_ms` in all, `ms_per_order` of it per open order.
    money_ms: float = 0.0
    ms_per_order: float = 0.0


@dataclass(frozen=True)
class Cutover:
    pause_ms: float
    predicted: Prediction
    drained: int
    cursor: str
    steps_ms: dict[str, float] = field(default_factory=dict)  # drain, money, flip


@dataclass
class Maps:
    """The id map the pause needs, read before the fence (and again after a drain that applied
    anything, since it may have mapped new rows): orders legacy -> commerce, products
    commerce -> legacy."""

    orders: dict[int, int]
    products: dict[int, int]


def maps(ctx: Ctx) -> Maps:
    with ctx.journal() as s:
        orders = {b: a for a, b in journal.reverse(s, ctx.seller_id, "order").items()}
        return Maps(orders, journal.reverse(s, ctx.seller_id, "product"))


def predict(ctx: Ctx, cursor: str, ms_per_change: float, ids: Maps) -> Prediction:
    """The pause, before anything is fenced: the changes still in the log at the catch-up's
    measured cost per change, the money step as a rehearsal costs it now, and social's round
    trips measured now."""
    lag = len(capture.read(ctx, cursor).changes)
    social_ms = _social_round_trip(ctx)
    open_orders, money_ms = rehearse(ctx, ids)
    per = ms_per_change if ms_per_change > 0 else DEFAULT_MS_PER_CHANGE
    ms = PAUSE_SOCIAL_TRIPS * social_ms + money_ms + lag * per
    return Prediction(lag, open_orders, ms, money_ms, money_ms / max(open_orders, 1))


def _social_round_trip(ctx: Ctx) -> float:
    """What one small social transaction costs now, in ms."""
    routes = promotion.MerchantRouteRow
    started = time.perf_counter()
    with ctx.social.begin() as c:
        c.execute(select(routes.route).where(routes.legacy_seller_id == ctx.seller_id))
    return (time.perf_counter() - started) * 1000


def rehearse(ctx: Ctx, ids: Maps) -> tuple[int, float]:
    """The money step as the pause will do it (the balances read, the opening entries posted
    in bulk), rolled back: how many open orders it moves and what it costs, in ms. The real
    cost of this merchant's entries on this database now, rather than a guess per order."""
    started = time.perf_counter()
    opening = _opening(ctx, ids)
    with Session(ctx.commerce) as s:
        money_db.post_opening(s, opening, ctx.clock.now())
        s.rollback()
    return len(opening.orders), (time.perf_counter() - started) * 1000


def cut_over(ctx: Ctx, budget_ms: float, token_digest: str) -> Cutover:
    """Fence, drain, move the money, flip and lift; `OverBudget` (nothing fenced) if the
    pause is predicted over `budget_ms`."""
    with ctx.journal() as s:
        where = journal.position(s.get_one(journal.MoveRow, ctx.seller_id))
    cursor, ids = str(where["log"]), maps(ctx)
    predicted = predict(ctx, cursor, float(where.get("ms_per_change") or 0), ids)
    if predicted.ms > budget_ms:
        not_selling(ctx)  # a crash may have left the shop open in commerce, still routed here
        lift_fence(ctx)  # and the fence up
        raise OverBudget(
            f"cutover abandoned: predicted {predicted.ms:.1f} ms > budget {budget_ms:g} ms "
            f"({predicted.lag} changes behind, {predicted.open_orders} open orders, "
            f"{predicted.ms_per_order:.2f} ms per open order)"
        )
    raise_fence(ctx)
    clock = _Steps()
    ctx.checkpoint("cutover:fenced")
    try:
        drained, cursor = drain(ctx, cursor)
        if drained:  # the drain may have mapped orders or products the maps lack
            ids = maps(ctx)
        clock.lap("drain")
        ctx.checkpoint("cutover:drained")
        open_books(ctx, token_digest, ids)
        clock.lap("money")
        ctx.checkpoint("cutover:money")
        flip(ctx, Route.COMMERCE, ids.products)
        clock.lap("flip")
    except BaseException:
        not_selling(ctx)
        lift_fence(ctx)
        raise
    ctx.checkpoint("cutover:flipped")
    return Cutover(clock.total(), predicted, drained, cursor, clock.laps)


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


def drain(ctx: Ctx, cursor: str) -> tuple[int, str]:
    """Apply the log until a read finds nothing new (the seller is fenced: it stays empty)."""
    drained = 0
    while True:
        batch = capture.read(ctx, cursor)
        cursor = batch.cursor
        if not batch.changes:
            return drained, cursor
        capture.apply_changes(ctx, batch.changes)
        drained += len(batch.changes)


def raise_fence(ctx: Ctx) -> None:
    """The fence, in a transaction that first takes the seller's route row `FOR UPDATE`: it
    waits for every legacy write in flight (they hold the row `FOR SHARE`), and every later one
    sees the fence (`keranjang.social.legacy_shop.moving`)."""
    routes, now = promotion.MerchantRouteRow, ctx.clock.now()
    with Session(ctx.social) as s, s.begin():
        route = s.get(routes, ctx.seller_id, with_for_update=True)
        if route is None:
            promotion.open_route(s, ctx.seller_id, now)
        if s.get(FenceRow, ctx.seller_id) is None:
            s.add(FenceRow(seller_id=ctx.seller_id, fenced_at=now, reason="moving to commerce"))


def not_selling(ctx: Ctx) -> None:
    """The shop off sale in commerce again (a cutover that did not reach the flip)."""
    merchants = catalog_db.MerchantRow
    with ctx.commerce.begin() as c:
        c.execute(update(merchants).where(merchants.id == ctx.merchant_id).values(selling=False))


def lift_fence(ctx: Ctx) -> None:
    with ctx.social.begin() as c:
        c.execute(delete(FenceRow).where(FenceRow.seller_id == ctx.seller_id))


def open_books(ctx: Ctx, token_digest: str, ids: Maps) -> int:
    """The seller's escrow per open order and its payable balance, as opening entries against
    `migration_clearing` (posted in bulk: a few statements whatever the number of orders), and
    the seller tools opened (the seller's own token) and the shop put on sale, in one commerce
    transaction; entries posted before are skipped. Read while fenced, so nothing in the app
    moves them meanwhile. Answers how many entries were posted now."""
    opening = _opening(ctx, ids)
    merchants = catalog_db.MerchantRow
    with Session(ctx.commerce) as s, s.begin():
        posted = money_db.post_opening(s, opening, ctx.clock.now())
        s.execute(
            update(merchants)
            .where(merchants.id == ctx.merchant_id)
            .values(token_hash=token_digest, selling=True)
        )
    return posted


def _opening(ctx: Ctx, ids: Maps) -> ledger.Opening:
    """The seller's opening balances as the app's books have them now."""
    with ctx.social.connect() as c:
        held = source.open_escrow(c, ctx.seller_id)
        payable = source.payable(c, ctx.seller_id)
    unknown = [i for i, _, _ in held if i not in ids.orders]
    if unknown:  # not mapped when the maps were read
        ids.orders.update(ctx.mapped("order", unknown))
    return ledger.Opening(
        ctx.merchant_id,
        tuple(ledger.OpenOrder(ids.orders[i], number, amount) for i, number, amount in held),
        payable_idr=payable,
    )


def flip(ctx: Ctx, to: Route, moved: dict[int, int]) -> None:
    """Point the seller's yellow carts (and products' pins: `moved` is commerce id -> legacy
    id) at `to`, and lift the fence, in one social transaction."""
    routes, products = promotion.MerchantRouteRow, promotion.ProductMapRow
    now = ctx.clock.now()
    with Session(ctx.social) as s, s.begin():
        s.execute(
            update(routes)
            .where(routes.legacy_seller_id == ctx.seller_id)
            .values(
                route=to.value,
                commerce_merchant_id=ctx.merchant_id if to is Route.COMMERCE else None,
                changed_at=now,
            )
        )
        s.execute(delete(products).where(products.legacy_product_id.in_(list(moved.values()))))
        if to is Route.COMMERCE:
            s.add_all(
                products(legacy_product_id=legacy, commerce_product_id=new, mapped_at=now)
                for new, legacy in moved.items()
            )
        s.execute(delete(FenceRow).where(FenceRow.seller_id == ctx.seller_id))

"""The cutover: the seller's legacy writes fenced for a short pause, the change log drained, the
money moved (open orders' escrow and the payable balance as opening entries in commerce's
ledger, the seller tools opened there), the routing table flipped and the fence lifted.

The pause runs from the fence's commit to the commit that flips the route and lifts the fence
(one social transaction: a buyer never finds the seller both unfenced and still in the app after
the flip). It is predicted first, from the lag still in the log, the apply cost per change the
catch-up measured, the open orders whose money moves, and the round trips the pause needs
(measured now); a cutover predicted over the budget is abandoned before anything is fenced.

Every step repeats safely after a crash: the fence is raised once, draining reads the log from
the journal's cursor, opening entries are posted once under their names, the flip writes values
not increments. A fence a crash left behind is lifted by the next attempt, or by an abandon.
"""

import time
from dataclasses import dataclass

from sqlalchemy import delete, select, text, update
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
PAUSE_TRANSACTIONS = (3, 2)  # social's and commerce's round trips in a pause, at least


@dataclass(frozen=True)
class Prediction:
    lag: int
    open_orders: int
    ms: float


@dataclass(frozen=True)
class Cutover:
    pause_ms: float
    predicted: Prediction
    drained: int
    cursor: str


def predict(ctx: Ctx, cursor: str, ms_per_change: float) -> Prediction:
    lag = len(capture.read(ctx, cursor).changes)
    social_ms, commerce_ms = _round_trips(ctx)
    with ctx.social.connect() as c:
        open_orders = len(source.open_escrow(c, ctx.seller_id))
    per = ms_per_change if ms_per_change > 0 else DEFAULT_MS_PER_CHANGE
    social_n, commerce_n = PAUSE_TRANSACTIONS
    ms = social_n * social_ms + commerce_n * commerce_ms + (lag + open_orders) * per
    return Prediction(lag, open_orders, ms)


def _round_trips(ctx: Ctx) -> tuple[float, float]:
    """What one small transaction costs on each side now, in ms."""
    routes = promotion.MerchantRouteRow
    started = time.perf_counter()
    with ctx.social.begin() as c:
        c.execute(select(routes.route).where(routes.legacy_seller_id == ctx.seller_id))
    social_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    with ctx.commerce.begin() as c:
        c.execute(text("SELECT 1"))
    return social_ms, (time.perf_counter() - started) * 1000


def cut_over(ctx: Ctx, budget_ms: float, token_digest: str) -> Cutover:
    """Fence, drain, move the money, flip and lift; `OverBudget` (nothing fenced) if the
    pause is predicted over `budget_ms`."""
    with ctx.journal() as s:
        where = journal.position(s.get_one(journal.MoveRow, ctx.seller_id))
    cursor = str(where["log"])
    predicted = predict(ctx, cursor, float(where.get("ms_per_change") or 0))
    if predicted.ms > budget_ms:
        lift_fence(ctx)  # one a crash may have left
        raise OverBudget(
            f"cutover abandoned: predicted {predicted.ms:.1f} ms > budget {budget_ms:g} ms "
            f"({predicted.lag} changes behind, {predicted.open_orders} open orders)"
        )
    raise_fence(ctx)
    started = time.perf_counter()
    ctx.checkpoint("cutover:fenced")
    try:
        drained, cursor = drain(ctx, cursor)
        ctx.checkpoint("cutover:drained")
        open_books(ctx, token_digest)
        ctx.checkpoint("cutover:money")
        flip(ctx, Route.COMMERCE)
    except BaseException:
        lift_fence(ctx)
        raise
    pause_ms = (time.perf_counter() - started) * 1000
    ctx.checkpoint("cutover:flipped")
    return Cutover(pause_ms, predicted, drained, cursor)


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


def lift_fence(ctx: Ctx) -> None:
    with ctx.social.begin() as c:
        c.execute(delete(FenceRow).where(FenceRow.seller_id == ctx.seller_id))


def open_books(ctx: Ctx, token_digest: str) -> None:
    """The seller's escrow per open order and its payable balance, as opening entries against
    `migration_clearing`, and the seller tools opened (the seller's own token), in one commerce
    transaction; entries posted before are skipped."""
    with ctx.social.connect() as c:
        held = source.open_escrow(c, ctx.seller_id)
        payable = source.payable(c, ctx.seller_id)
    orders = ctx.mapped("order", (order_id for order_id, _, _ in held))
    opening = ledger.Opening(
        ctx.merchant_id,
        tuple(ledger.OpenOrder(orders[i], number, amount) for i, number, amount in held),
        payable_idr=payable,
    )
    merchants = catalog_db.MerchantRow
    with Session(ctx.commerce) as s, s.begin():
        money_db.post_opening(s, opening, ctx.clock.now())
        s.execute(
            update(merchants).where(merchants.id == ctx.merchant_id).values(token_hash=token_digest)
        )


def flip(ctx: Ctx, to: Route) -> None:
    """Point the seller's yellow carts (and products' pins) at `to`, and lift the fence, in one
    social transaction."""
    routes, products = promotion.MerchantRouteRow, promotion.ProductMapRow
    with ctx.journal() as s:
        moved = journal.reverse(s, ctx.seller_id, "product")  # commerce id -> legacy id
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

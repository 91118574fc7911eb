"""The cutover: the seller's (or a batch's sellers') legacy writes fenced for a short pause, the change log drained, the
money moved (open orders' escrow and the payable balance as opening entries in commerce's
ledger, the seller tools opened there), the routing table flipped and the fence lifted.

The pause runs from the fence's commit to the commit that flips the route and lifts the fence
(one social transaction: a buyer never finds the seller both unfenced and still in the app after
the flip). It is predicted first (`prediction`), from the lag still in the log, the apply
cost per change the catch-up measured, the opening entries staged now (`staging`), social's
round trip and the drain's read of the log (both measured now) and the flip per merchant
(learned, `pause`); a cutover predicted over the budget is abandoned before anything is
fenced.

**The budget bounds the pause measured, not only the one predicted.** On a busy machine the
pause came out about twice its prediction (p99 212 ms against a 50 ms budget, batches of 20),
because the costs measured just before the fence are not those of the moment after. Three
things, together, keep the measured pause within the budget:

- the prediction is scaled by a safety factor learned from the journal's recent cutovers (a
  high quantile of measured / predicted pause, `pause`), both when it is compared with the
  budget and when a batch is cut to the merchants that fit under one fence (`Prediction.within`);
- the deadline is enforced inside the pause, at the two points where stopping is still clean:
  after the drain (the rest of the pause, as predicted and scaled, must fit what is left of the
  budget) and once every statement of the money and the flip has run but nothing is committed
  (the two commits must fit). Past either, the cutover is abandoned there: the flip's social
  transaction rolls back, the fence is lifted (first: the sellers wait for nothing more),
  commerce's transaction rolls back, nothing was posted or flipped, and the journal records
  how long the sellers were fenced, which teaches the factor. Abandoning after
  the money was committed was not an option: opening entries posted and then left while the
  seller sells on in the app would go stale;
- what does not need the fence is done before it: the id maps and the app's balances are read
  before (the balances read again inside only for sellers the drain brought changes of, see
  `cutover_money`), the pins' map is written before (`flipping`: social reads it only once the
  route says commerce), and on PostgreSQL the opening entries are posted before it, in a commerce
  transaction held open through the pause (`staging`): the pause holds the drain, the entries
  the drain changed put right, one flip (one statement per table) and the commits. A giant's
  thousands of open orders no longer keep its pause over any budget.

What the enforcement cannot bound is the two commits themselves (a reserve of two round trips,
scaled, is kept for them) and the lift of a fence abandoned at the last check: an attempt
abandoned there was fenced for about the budget plus one round trip.

A batch is cut over together, under one fence over all its sellers: one drain, every
merchant's opening entries staged together, one flip; the budget bounds the batch's pause. A
batch predicted over budget is divided into groups that fit (`Prediction.groups`), cut over
one after another (`cutting`).

Every step repeats safely after a crash: the fence is raised once, draining reads the log from
the journal's cursor, opening entries are posted once under their names, the flip writes values
not increments. The money's transaction commits before the flip's (a crash between them leaves
the books opened and the route in the app, as before: the next attempt skips the entries posted
and flips). A fence a crash left behind is lifted by the next attempt, or by an abandon.
"""

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from keranjang.infra.bulk import insert_rows, one_of
from keranjang.migration import capture, flipping, journal, pause, target
from keranjang.migration import cutover_money as money
from keranjang.migration.cutover_money import Balances, Maps
from keranjang.migration.errors import OverBudget
from keranjang.migration.prediction import (
    DEFAULT_MS_PER_CHANGE,
    PAUSE_SOCIAL_TRIPS,
    Prediction,
)
from keranjang.migration.staging import Restage, Staged
from keranjang.migration.sync import Ctx
from keranjang.social import db as promotion
from keranjang.social.legacy_shop.moving import FenceRow

TRIPS_TIMED = 3  # the least of these: one stall is not the machine's round trip


@dataclass(frozen=True)
class Cutover:
    pause_ms: float
    predicted: Prediction
    drained: int
    cursor: str
    steps_ms: dict[str, float] = field(default_factory=dict)  # drain, money, flip
    drained_of: dict[int, int] = field(default_factory=dict)  # per seller
    # Opening entries staged before the fence (held, on PostgreSQL), and posted in the pause.
    entries: tuple[int, int] = (0, 0)


class _Late(Exception):
    """The pause would run past the budget: abandon it while that is still clean."""


def maps(ctx: Ctx) -> Maps:
    with ctx.journal() as s:
        orders = {b: a for a, b in journal.reverse(s, ctx.sellers, "order").items()}
        products = journal.reverse(s, ctx.sellers, "product")
        return Maps(orders, products, journal.rounds(s, ctx.sellers))


def predict(
    ctx: Ctx,
    log: tuple[capture.Cursors, float],
    ids: Maps,
    learned: pause.Learned | None = None,
    staged: Staged | None = None,
) -> tuple[Prediction, Balances]:
    """The pause, before anything is fenced: the changes still in the log at the catch-up's
    measured cost per change, the opening entries staged now (`staging`: posted and held, or
    rehearsed), social's round trips and the drain's read of the log measured now, and the flip
    per merchant as recent pauses took it; with the app's balances the staging read. Without
    `staged`, staged in a transaction of its own and rolled back."""
    where, ms_per_change = log  # the cursors, and the catch-up's cost per change
    if staged is None:
        with Session(ctx.commerce) as s:
            return predict(ctx, log, ids, learned, Staged(s, ctx))
    learned = learned or pause.Learned(factor=1.0, flip_ms_per_seller=0.0)
    started = time.perf_counter()
    behind = Counter(c.seller_id for c in capture.read(ctx, where).changes)
    read_ms = (time.perf_counter() - started) * 1000  # what the drain's first read will cost
    social_ms = _social_round_trip(ctx)
    books = money.read_balances(ctx)
    opened = money.openings(ctx, ids, books)
    staged.stage(opened, last=list(behind))
    orders = {seller: len(o.orders) for seller, o in opened.items()}
    per = ms_per_change if ms_per_change > 0 else DEFAULT_MS_PER_CHANGE
    lags = {seller: behind[seller] for seller in ctx.sellers}
    per_entry = staged.ms / max(sum(orders.values()) + len(ctx.sellers), 1)
    found = Prediction(behind.total(), sum(orders.values()), 0.0, 0.0, per_entry, lags, orders,
                       social_ms, learned.factor, learned.flip_ms_per_seller,
                       staged.held, max(read_ms, social_ms))  # fmt: skip
    money_ms = found.money_in_pause()
    trips = (PAUSE_SOCIAL_TRIPS - 1) * social_ms + found.read_ms
    ms = trips + money_ms + found.lag * per + found.flip_ms
    return replace(found, ms=ms, money_ms=money_ms), books


def _social_round_trip(ctx: Ctx) -> float:
    """What one small social transaction costs now, in ms: one seller's route read, the least
    of a few. (It read every seller of the batch once: for a batch of 500 that was the time
    of a large read, not of a round trip, and under load one stall of it, counted three times
    as the pause's fixed part, divided the batch into fences of three or four merchants.)"""
    routes = promotion.MerchantRouteRow
    query = select(routes.route).where(routes.legacy_seller_id == ctx.sellers[0])
    took: list[float] = []
    for _ in range(TRIPS_TIMED):
        started = time.perf_counter()
        with ctx.social.begin() as c:
            c.execute(query)
        took.append((time.perf_counter() - started) * 1000)
    return min(took)


def cut_over(
    ctx: Ctx,
    budget_ms: float,
    digests: dict[int, str],
    learned: pause.Learned | None = None,
    stage: bool = True,
) -> Cutover:
    """Fence, drain, move the money, flip and lift, for every seller of the batch together;
    `OverBudget` if the pause is predicted over `budget_ms` (nothing fenced) or would run over
    it (abandoned inside the pause, nothing posted or flipped, the fence lifted). The opening
    entries are staged in `books` before the fence (`staging`); an abandon closes it, what it
    held rolled back, before it writes the merchants `books` may hold (`abandon`)."""
    where, rate = cursors_and_rate(ctx)
    ids = maps(ctx)
    with Session(ctx.commerce) as books:
        staged = Staged(books, ctx, hold=stage)
        predicted, balances = predict(ctx, (where, rate), ids, learned, staged)
        ctx.checkpoint("cutover:staged")
        if predicted.scaled > budget_ms:
            abandon(ctx, books)
            raise OverBudget(f"cutover abandoned: {_why(predicted, budget_ms)}", predicted)
        mapped = flipping.map_products(ctx, ids.products)
        raise_fence(ctx)
        clock = _Steps(budget_ms, predicted)
        ctx.checkpoint("cutover:fenced")
        try:
            drained, cursor, ids, balances = _drained(ctx, where, ids, balances)
            clock.lap("drain")
            ctx.checkpoint("cutover:drained")
            unchanged = staged.held and not drained  # what was staged still holds
            plan = staged.plan(staged.opened if unchanged else money.openings(ctx, ids, balances))
            clock.in_time(predicted.after_drain_ms(plan.entries), "drained")
            posted = _switch(ctx, staged, (digests, plan), (ids, mapped), clock)
        except _Late as late:
            paused = clock.until(abandon(ctx, books))
            why = f"cutover abandoned in the pause after {paused:.1f} ms: {late}"
            raise OverBudget(why, predicted, paused) from None
        except BaseException:
            abandon(ctx, books)
            raise
    ctx.checkpoint("cutover:flipped")
    entries = (staged.count if staged.held else 0, posted)
    return Cutover(clock.total(), predicted, drained.total(), cursor, clock.laps, dict(drained),
                   entries)  # fmt: skip


def _drained(
    ctx: Ctx, where: capture.Cursors, ids: Maps, balances: Balances
) -> tuple[Counter[int], str, Maps, Balances]:
    """Drain the log; the drain may have mapped rows the maps lack, and moved the money."""
    drained, cursor = drain(ctx, where)
    if drained:
        ids = maps(ctx)
        balances = balances.updated(money.read_balances(ctx.only(drained)), list(drained))
    return drained, cursor, ids, balances


def _why(predicted: Prediction, budget_ms: float) -> str:
    return (
        f"predicted {predicted.scaled:.1f} ms ({predicted.ms:.1f} ms x {predicted.factor:.2f} "
        f"learned from recent pauses) > budget {budget_ms:g} ms ({predicted.lag} changes "
        f"behind, {predicted.open_orders} open orders, {predicted.ms_per_entry:.2f} ms per "
        "opening entry)"
    )


def _switch(
    ctx: Ctx,
    staged: Staged,
    shops: tuple[dict[int, str], Restage],
    products: tuple[Maps, flipping.Products],
    clock: "_Steps",
) -> int:
    """The money (the staged entries put right, the shops opened with their seller tools) and
    the flip, every statement run before either commits; the commits only if they fit what is
    left of the budget. The money's commit first (see the module's notes). Answers how many
    entries were posted in the pause."""
    (digests, plan), (ids, mapped) = shops, products
    with Session(ctx.social) as routes:
        posted = staged.restage(plan)
        money.open_shops(staged.s, ctx, digests)
        clock.lap("money")
        flipping.flip(routes, ctx, ids.products, mapped)
        clock.in_time(clock.predicted.commits_ms, "ready to commit")
        staged.s.commit()
        ctx.checkpoint("cutover:money")
        routes.commit()
        clock.lap("flip")
    return posted


def cursors_and_rate(ctx: Ctx) -> tuple[capture.Cursors, float]:
    """The batch's log cursors and the apply cost per change its catch-up measured (the
    highest of its moves': the pause is predicted on the safe side)."""
    m = journal.MoveRow
    with ctx.journal() as s:  # two columns, not whole moves: read for every group of a batch
        rows = s.execute(select(m.seller_id, m.position).where(one_of(m.seller_id, ctx.sellers)))
        where = [journal.position_of(r.position) | {"seller": r.seller_id} for r in rows]
    rate = max(float(w.get("ms_per_change") or 0) for w in where)
    return {int(w["seller"]): str(w["log"]) for w in where}, rate


def abandon(ctx: Ctx, books: Session) -> float:
    """A cutover that does not go ahead: the fence lifted first, then commerce tidied (the
    staged transaction `books` closed, what it held rolled back; the shops off sale, which a
    crash may have left open, still routed here). Nothing the attempt did is committed, so the
    sellers need not wait for commerce: lifted last, the sellers of an attempt abandoned 2 ms
    into its pause stayed fenced for 20-27 ms under the traffic driver. Answers when the fence
    was lifted (`time.perf_counter`)."""
    lift_fence(ctx)
    lifted = time.perf_counter()
    books.close()
    not_selling(ctx)
    return lifted


class _Steps:
    """Milliseconds per step of the pause, from the fence's commit, and the deadline: the
    budget, with what the prediction says the rest costs."""

    def __init__(self, budget_ms: float, predicted: Prediction) -> None:
        self.budget_ms, self.predicted = budget_ms, predicted
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name], self.last = round((now - self.last) * 1000, 3), now

    def total(self) -> float:
        return (self.last - self.started) * 1000

    def since_fence(self) -> float:
        return self.until(time.perf_counter())

    def until(self, moment: float) -> float:
        """Milliseconds from the fence's commit to `moment` (a `time.perf_counter`)."""
        return (moment - self.started) * 1000

    def in_time(self, more_ms: float, where: str) -> None:
        """`_Late` if `more_ms` from now would end the pause past the budget."""
        spent = self.since_fence()
        if spent + more_ms > self.budget_ms:
            raise _Late(
                f"{where} at {spent:.1f} ms, {more_ms:.1f} ms more predicted "
                f"> budget {self.budget_ms:g} ms"
            )


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
        query = select(routes.legacy_seller_id).where(one_of(routes.legacy_seller_id, ctx.sellers))
        routed = set(s.scalars(query.order_by(routes.legacy_seller_id).with_for_update()))
        fenced = set(
            s.scalars(select(FenceRow.seller_id).where(one_of(FenceRow.seller_id, ctx.sellers)))
        )
        for seller_id in ctx.sellers:
            if seller_id not in routed:
                promotion.open_route(s, seller_id, now)
        s.flush()
        fences = [
            {"seller_id": seller_id, "fenced_at": now, "reason": "moving to commerce"}
            for seller_id in ctx.sellers
            if seller_id not in fenced
        ]
        insert_rows(s.connection(), cast(Table, FenceRow.__table__), fences)


def not_selling(ctx: Ctx) -> None:
    """The shops off sale in commerce again (a cutover that did not reach the flip)."""
    with ctx.commerce.begin() as c:
        target.not_selling(c, ctx.merchants.values())


def lift_fence(ctx: Ctx) -> None:
    with ctx.social.begin() as c:
        c.execute(delete(FenceRow).where(one_of(FenceRow.seller_id, ctx.sellers)))

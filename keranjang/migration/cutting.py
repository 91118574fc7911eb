"""How the engine cuts a batch over (`catching_up ──► cut_over`), and what the journal keeps of
each attempt.

The batch goes under one fence if its pause is predicted within the budget (`cutover`). If it
is not, the prediction of the whole batch divides it into groups that each fit
(`Prediction.groups`: in seller order, as many as the budget takes together), and the groups
are cut over one after another in the same round, each under its own fence, its own
prediction checking again what the batch's foresaw. A group predicted over budget again, or
abandoned inside its pause, is divided again; a merchant alone over budget counts one more
abandon of its own (`claims` leaves it for the operator after `Rules.max_abandons`), and the
groups after it go on. Before, a batch over budget cut over only the first group that fit and
left the others for the next round, which caught them up, proved their way back and predicted
their pause all over again: a batch of 500 small merchants took 25 rounds of about half a
second each, most of the cutover's time.

A round stops starting groups after `SLICE_SECONDS` (the worker then lets other merchants
have a turn): the sellers not reached are left for the next round, counted on each move (not
as its abandon), and a `batch_split` event says so the first time.

The public interface::

    Cutting(parts).cut_over(ctx) -> dict[int, Phase | MigrationError]
    says_abandon(abandons, paused_ms) -> bool
    says_left_behind(times) -> bool
"""

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from keranjang.infra.database import transaction
from keranjang.migration import cutover, journal, pause, source_books
from keranjang.migration.cutover import Prediction
from keranjang.migration.errors import MigrationError, OverBudget
from keranjang.migration.phases import Phase, check_next
from keranjang.migration.sync import Ctx

if TYPE_CHECKING:
    from keranjang.migration.engine import Parts

LEFT_BEHIND_EVENT_EVERY = 50  # a `batch_split` the first time a seller is left, then each 50th
SLICE_SECONDS = 10.0  # a round starts no group after this long
Results = dict[int, Phase | MigrationError]  # seller -> the phase reached, or why not


class Cutting:
    def __init__(self, parts: "Parts") -> None:
        self.parts = parts

    def cut_over(self, ctx: Ctx) -> Results:
        """The batch cut over under one fence, or group after group (see the module)."""
        with self.parts.social.connect() as c:
            sellers = source_books.sellers_of(c, ctx.sellers)
        digests = {s: str(r["token_digest"]) for s, r in sellers.items()}
        with self.parts.journal() as s:
            learned = pause.learned(s)
        return self._fenced(ctx, (digests, learned), time.monotonic() + SLICE_SECONDS)

    def _fenced(
        self, ctx: Ctx, given: tuple[dict[int, str], pause.Learned], until: float
    ) -> Results:
        budget, (digests, learned) = self.parts.pause_budget_ms, given
        try:
            mine = {s: digests[s] for s in ctx.sellers}
            done = cutover.cut_over(ctx, budget, mine, learned, self.parts.stage_opening_entries)
        except OverBudget as exc:
            groups = self._groups(ctx, exc)
            if not groups:
                self._count_abandon(ctx.sellers, exc, budget)
                return dict.fromkeys(ctx.sellers, exc)
            if exc.paused_ms is not None:  # fenced for a while: `pause` learns from it
                self._note(ctx.sellers, "cutover_abandoned", abandoned(exc, budget))
            results: Results = {}
            for i, group in enumerate(groups):
                if results and time.monotonic() > until:
                    return results | self._left([s for g in groups[i:] for s in g], exc, results)
                results |= self._fenced(ctx.only(group), given, until)
            return results
        self._record(ctx, done)
        return dict.fromkeys(ctx.sellers, Phase.CUT_OVER)

    def _groups(self, ctx: Ctx, exc: OverBudget) -> list[list[int]]:
        """The groups a batch over budget is cut over in (none for a merchant alone: it is
        abandoned). A batch predicted to fit and abandoned inside its pause is halved."""
        if len(ctx.sellers) < 2 or not isinstance(exc.predicted, Prediction):
            return []
        _, rate = cutover.cursors_and_rate(ctx)
        groups = exc.predicted.groups(
            self.parts.pause_budget_ms, rate or cutover.DEFAULT_MS_PER_CHANGE
        )
        if len(groups) > 1:
            return groups
        half = len(ctx.sellers) // 2
        return [ctx.sellers[:half], ctx.sellers[half:]]

    def _left(self, left: list[int], exc: OverBudget, done: Results) -> Results:
        self._left_behind(left, {"why": str(exc), "cut_over_first": sorted(done), "left": left})
        why = f"left for the next round: {exc}"
        return {s: OverBudget(why, exc.predicted, left=True) for s in left}

    def _count_abandon(self, seller_ids: Sequence[int], exc: OverBudget, budget: float) -> None:
        """A cutover abandoned with the merchant alone under the fence: one more in its row
        (`claims` leaves the move for the operator after `Rules.max_abandons`), with the pause
        it would have needed. The journal says so the first time in a row, and every time it
        was abandoned inside the pause (how long it was fenced teaches `pause`); a prediction
        over budget again is only counted."""
        needed = max(_expected_ms(exc), exc.paused_ms or 0.0)
        with transaction(self.parts.journal) as s:
            for row in journal.moves_for_update(s, seller_ids):
                row.updated_at = self.parts.clock.now()
                row.abandons += 1
                row.predicted_pause_ms = math.ceil(needed) if needed else None
                row.abandoned_budget_ms = math.ceil(budget)
                if says_abandon(row.abandons, exc.paused_ms):
                    detail = abandoned(exc, budget) | {"abandons": row.abandons}
                    self._event(s, row, "cutover_abandoned", detail)

    def _left_behind(self, seller_ids: Sequence[int], detail: dict[str, Any]) -> None:
        """Sellers a round leaves for the next one (not an abandon of theirs): counted on the
        move, said in the journal the first time since its last cutover and every
        `LEFT_BEHIND_EVENT_EVERY`th."""
        with transaction(self.parts.journal) as s:
            for row in journal.moves_for_update(s, seller_ids):
                row.updated_at = self.parts.clock.now()
                row.left_behind += 1
                if says_left_behind(row.left_behind):
                    self._event(s, row, "batch_split", detail | {"times": row.left_behind})

    def _record(self, ctx: Ctx, done: cutover.Cutover) -> None:
        now = self.parts.clock.now()
        detail = {
            "pause_ms": round(done.pause_ms, 3),
            "predicted_ms": round(done.predicted.ms, 3),
            "budget_ms": self.parts.pause_budget_ms,
            "lag": done.predicted.lag,
            "drained": done.drained,
            "open_orders": done.predicted.open_orders,
            "ms_per_entry": round(done.predicted.ms_per_entry, 4),
            "trip_ms": round(done.predicted.trip_ms, 3),
            "read_ms": round(done.predicted.read_ms, 3),
            "steps_ms": done.steps_ms,
            "entries": {"staged": done.entries[0], "in_pause": done.entries[1]},
        } | of_batch(ctx.sellers)
        with transaction(self.parts.journal) as s:
            for row in journal.moves_for_update(s, ctx.sellers):
                row.phase = check_next(Phase(row.phase), Phase.CUT_OVER).value
                row.updated_at, row.error = now, None
                journal.set_position(row, log=done.cursor)
                row.change_cursor += done.drained_of.get(row.seller_id, 0)
                row.pause_ms = max(1, round(done.pause_ms))
                row.cutover_at, row.purge_after = now, now + self.parts.rollback_window
                row.abandons, row.left_behind, row.left_at = 0, 0, None
                self._event(s, row, "cut_over", detail)

    def _event(self, s: Session, row: journal.MoveRow, what: str, detail: dict[str, Any]) -> None:
        journal.add_event(s, row, what, detail, self.parts.actor)

    def _note(self, seller_ids: Sequence[int], what: str, detail: dict[str, Any]) -> None:
        with transaction(self.parts.journal) as s:
            for row in journal.moves_for_update(s, seller_ids):
                row.updated_at = self.parts.clock.now()
                self._event(s, row, what, detail)


def of_batch(sellers: Sequence[int] | dict[int, int]) -> dict[str, Any]:
    """What an event says of the batch it was part of (nothing for a move alone)."""
    return {"batch": sorted(sellers)} if len(sellers) > 1 else {}


def abandoned(exc: OverBudget, budget: float) -> dict[str, Any]:
    """What the journal keeps of an abandoned cutover: why, and for one abandoned inside the
    pause how long the sellers were fenced against what was predicted (`pause` learns from
    it)."""
    detail: dict[str, Any] = {"why": str(exc), "budget_ms": budget}
    if exc.paused_ms is not None and isinstance(exc.predicted, Prediction):
        detail |= {"pause_ms": round(exc.paused_ms, 3), "predicted_ms": exc.predicted.ms}
    return detail


def says_abandon(abandons: int, paused_ms: float | None) -> bool:
    """Whether the journal gets a `cutover_abandoned` event for a merchant's abandon: the first
    in a row, and any abandoned inside the pause (the pause measured teaches `pause`)."""
    return abandons == 1 or paused_ms is not None


def says_left_behind(times: int) -> bool:
    """Whether the journal gets a `batch_split` event for a seller left for the next round the
    `times`th time since its last cutover: the first time, then every 50th."""
    return times == 1 or times % LEFT_BEHIND_EVENT_EVERY == 0


def _expected_ms(exc: OverBudget) -> float:
    """The pause an abandoned cutover was expected to take (scaled as the budget saw it)."""
    return exc.predicted.scaled if isinstance(exc.predicted, Prediction) else 0.0

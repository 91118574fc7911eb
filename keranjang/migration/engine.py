"""The engine that moves merchants: `Mover.advance(seller_id)` performs the next phase of that
seller's move, as the journal has it, and answers the phase the move is in now;
`Mover.advance_batch(seller_ids)` does the same for a batch of small merchants moved together
(one set of bulk statements per table for the whole batch, one fence, one journal transaction
per phase for all its moves); a single merchant's move is a batch of one.

    planned | rolled_back ──bind──► bound ──start──► copying ──(slices)──► catching_up
    catching_up ──(lag small, way back proven, pause predicted within budget)──► cut_over
    cut_over ──verify──► verified ──purge (window closed)──► purged
    cut_over | verified ──rollback (within the window)──► rolled_back

Resuming after a crash anywhere (a SIGKILL included) is calling `advance` again: every phase is
written to the journal (`moves`, and an `events` row per merchant) only once its work is in the
other databases, and every piece of that work repeats harmlessly (see `sync` for the copy's and
the catch-up's protocol, `cutover` for the pause's). Nothing is held in memory between calls:
a batch is whatever moves a worker hands in (`workers` claims them together), and each move
keeps its own phase, position and results.

A batch never holds a merchant hostage: a seller not confirmed (bind), a way back that does not
work (catch-up) or a verification that fails is answered for that merchant alone while the
others go on; a batch predicted over the pause budget is cut over in groups that fit, one
after another (`cutting`), and a merchant alone whose cutover is abandoned counts one more
abandon in a row (`claims` leaves it for the operator); any other failure fails the whole
batch, and the workers then move its merchants one by one.

The public interface::

    Mover(parts: Parts)
    Mover.advance(seller_id: int) -> Phase     raises NotFound, NotConfirmed, OverBudget,
                                               Mismatch, MigrationError
    Mover.advance_batch(seller_ids) -> dict[int, Phase | MigrationError]
                                               raises NotFound, MigrationError (the whole batch)
    Mover.rollback(seller_id, actor, reason) -> Phase   raises NotFound, IllegalPhase,
                                               WindowClosed, MigrationError
    Mover.purge(seller_id, actor) -> Phase     raises NotFound, IllegalPhase, WindowClosed
    build_mover(settings: MigrationSettings) -> Mover
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.bulk import one_of
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory, transaction
from keranjang.infra.statistics import Freshness
from keranjang.migration import (
    binding,
    capture,
    cutting,
    journal,
    purge,
    rollback,
    source,
    verify,
    way_back_proof,
)
from keranjang.migration import copy as copying
from keranjang.migration.config import MigrationSettings
from keranjang.migration.errors import MigrationError, Mismatch, NotFound
from keranjang.migration.journal import MoveRow
from keranjang.migration.phases import Phase, check_next
from keranjang.migration.sync import Ctx, no_checkpoint

# Changes applied in one catch-up round: fewer, and the cutover is tried (per batch, and per
# merchant of a large one: each group's own prediction counts its lag against the budget).
SMALL_LAG, SMALL_LAG_PER_MERCHANT = 200, 10
Results = dict[int, Phase | MigrationError]  # seller -> the phase reached, or why not


@dataclass
class Parts:
    """What the engine is built from: the journal, the source (social) and the target
    (commerce), the clock, and how it goes."""

    journal: sessionmaker[Session]
    social: Engine
    commerce: Engine
    clock: Clock = field(default_factory=SystemClock)
    pause_budget_ms: float = 50.0
    stage_opening_entries: bool = True  # before the fence, on PostgreSQL (`staging`)
    rollback_window: timedelta = timedelta(days=7)
    pace: copying.Pace = field(default_factory=copying.Pace)
    # Called at named points between writes; a test kills the process there.
    checkpoint: Callable[[str], None] = no_checkpoint
    actor: str = "engine"


class Mover:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        # The copy fills commerce's tables and the journal from empty: their statistics are
        # refreshed as they grow, whether or not the server's autovacuum does it.
        engines = (parts.commerce, parts.journal.kw.get("bind"), parts.social)
        self.statistics = Freshness([e for e in engines if isinstance(e, Engine)])

    # -- the public interface -----------------------------------------------------------------

    def advance(self, seller_id: int) -> Phase:
        """Perform the next phase of the seller's move; answer the phase it is in now."""
        result = self.advance_batch([seller_id])[seller_id]
        if isinstance(result, MigrationError):
            raise result
        return result

    def advance_batch(self, seller_ids: Sequence[int]) -> Results:
        """Perform the next phase of each move of the batch, moves in one phase together;
        answer each one's phase now, or why it did not go on."""
        self.statistics.keep()
        moves = self._moves(seller_ids)
        steps: dict[Phase, Callable[[list[MoveRow]], Results]] = {
            Phase.PLANNED: self._bind,
            Phase.ROLLED_BACK: self._bind,
            Phase.BOUND: self._start_copy,
            Phase.COPYING: self._copy,
            Phase.CATCHING_UP: self._catch_up,
            Phase.CUT_OVER: self._verify,
        }
        results: Results = {}
        for phase in dict.fromkeys(Phase(m.phase) for m in moves):
            group = [m for m in moves if m.phase == phase.value]
            step = steps.get(phase)
            results |= {m.seller_id: phase for m in group} if step is None else step(group)
        return results

    def rollback(self, seller_id: int, actor: str, reason: str) -> Phase:
        """Return a moved merchant to the app with what it did in commerce since the cutover."""
        ctx = self._ctx(self._moves([seller_id]))
        rollback.roll_back(ctx, rollback.Request(actor, reason, self.parts.rollback_window))
        return Phase.ROLLED_BACK

    def purge(self, seller_id: int, actor: str | None = None) -> Phase:
        """Delete the moved seller's shop data, and the buyer data only it needed, from social,
        and its id map from the journal, once the rollback window has closed. `actor`: the
        operator who asked (the journal's event names them), else the engine's own name."""
        purge.purge(self._ctx(self._moves([seller_id])), actor or self.parts.actor)
        return Phase.PURGED

    # -- the phases ---------------------------------------------------------------------------

    def _bind(self, moves: list[MoveRow]) -> Results:
        for move in moves:
            check_next(Phase(move.phase), Phase.BOUND)
        ctx = self._ctx([])
        found = binding.read(ctx, [m.seller_id for m in moves])
        results: Results = dict(binding.refused(moves, found))
        going = [m for m in moves if m.seller_id not in results]
        if not going:
            return results
        merchants = binding.open_merchants(ctx, going, found)
        self.parts.checkpoint("bind:merchant")
        with transaction(self.parts.journal) as s:
            for row in self._advanced(s, merchants, Phase.BOUND):
                row.commerce_merchant_id = merchants[row.seller_id]
                consent = row.seller_id in found.consenting
                if consent:
                    row.confirmed_by = "seller"
                detail = {"merchant_id": row.commerce_merchant_id, "forced": not consent}
                self._event(s, row, "bound", detail | self._batch(merchants))
        return results | dict.fromkeys(merchants, Phase.BOUND)

    def _start_copy(self, moves: list[MoveRow]) -> Results:
        ctx = self._ctx(moves)
        cursor = capture.start_cursor(ctx)
        with self.parts.social.connect() as c:
            totals = source.rows_totals(c, ctx.sellers)
        with transaction(self.parts.journal) as s:
            for row in self._advanced(s, ctx.sellers, Phase.COPYING):
                journal.set_position(row, log=cursor, copied={}, done=[])
                row.rows_total, row.rows_copied, row.change_cursor = totals[row.seller_id], 0, 0
                detail = {"rows": row.rows_total} | self._batch(ctx.sellers)
                self._event(s, row, "copy_started", detail)
        return dict.fromkeys(ctx.sellers, Phase.COPYING)

    def _copy(self, moves: list[MoveRow]) -> Results:
        ctx = replace(self._ctx(moves), whole_maps=True)
        if not copying.copy_slice(ctx, self.parts.pace):
            return dict.fromkeys(ctx.sellers, Phase.COPYING)
        with transaction(self.parts.journal) as s:
            for row in self._advanced(s, ctx.sellers, Phase.CATCHING_UP):
                self._event(s, row, "copied", {"rows": row.rows_copied})
        return dict.fromkeys(ctx.sellers, Phase.CATCHING_UP)

    def _catch_up(self, moves: list[MoveRow]) -> Results:
        ctx = self._ctx(moves)
        small = max(SMALL_LAG, SMALL_LAG_PER_MERCHANT * len(ctx.sellers))
        if capture.catch_up(ctx).applied > small:
            return dict.fromkeys(ctx.sellers, Phase.CATCHING_UP)
        results: Results = {}
        for seller, problems in way_back_proof.prove(ctx).items():
            if problems:
                self._note([seller], "cutover_refused", {"way_back": problems[:20]})
                why = f"the way back does not work, no cutover: {problems[0]}"
                results[seller] = MigrationError(why)
        ready = {s: m for s, m in ctx.merchants.items() if s not in results}
        if not ready:
            return results
        return results | cutting.Cutting(self.parts).cut_over(ctx.only(ready))

    def _verify(self, moves: list[MoveRow]) -> Results:
        since = {m.seller_id: m.cutover_at for m in moves if m.cutover_at is not None}
        assert len(since) == len(moves)  # cut over: the journal says when
        reports = verify.verify(self._ctx(moves), since)
        passed = [seller for seller, r in reports.items() if r.passed]
        failed = [seller for seller in reports if seller not in passed]
        with transaction(self.parts.journal) as s:
            for row in journal.moves_for_update(s, failed):
                row.updated_at = self.parts.clock.now()
                self._event(s, row, "mismatch", reports[row.seller_id].detail())
            for row in self._advanced(s, passed, Phase.VERIFIED):
                # What the merchant has now, every row of it in commerce and verified: the
                # rows written in the app since the copy started (brought by the catch-up and
                # the drain) count as moved, and in the total (counted when the copy started).
                rows = reports[row.seller_id].rows
                row.verified_at, row.rows_verified = row.updated_at, rows
                row.rows_copied = row.rows_total = rows
                self._event(s, row, "verified", reports[row.seller_id].detail())
        return {
            seller: Phase.VERIFIED if r.passed else Mismatch("; ".join(r.differences[:3]))
            for seller, r in reports.items()
        }

    # -- journal helpers ----------------------------------------------------------------------

    def _moves(self, seller_ids: Sequence[int]) -> list[MoveRow]:
        wanted = list(dict.fromkeys(seller_ids))
        with self.parts.journal() as s:
            found = {
                m.seller_id: m
                for m in s.scalars(select(MoveRow).where(one_of(MoveRow.seller_id, wanted)))
            }
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(f"seller {missing[0]} is not in the plan; plan first")
        return [found[i] for i in wanted]

    def _ctx(self, moves: Sequence[MoveRow]) -> Ctx:
        unbound = [m.seller_id for m in moves if m.commerce_merchant_id is None]
        if unbound:
            raise MigrationError(f"seller {unbound[0]} is not bound to a merchant yet")
        merchants = {m.seller_id: int(m.commerce_merchant_id or 0) for m in moves}
        p = self.parts
        return Ctx(p.social, p.commerce, p.journal, p.clock, merchants, p.checkpoint)

    def _advanced(
        self, s: Session, seller_ids: Sequence[int] | dict[int, int], to: Phase
    ) -> list[MoveRow]:
        """The moves, locked, moved on to `to` (if the rules allow it), with the time."""
        rows = journal.moves_for_update(s, seller_ids)
        now = self.parts.clock.now()
        for row in rows:
            row.phase = check_next(Phase(row.phase), to).value
            row.updated_at, row.error = now, None
        return rows

    def _event(self, s: Session, row: MoveRow, what: str, detail: dict[str, Any]) -> None:
        journal.add_event(s, row, what, detail, self.parts.actor)

    @staticmethod
    def _batch(sellers: Sequence[int] | dict[int, int]) -> dict[str, Any]:
        return cutting.of_batch(sellers)

    def _note(self, seller_ids: Sequence[int], what: str, detail: dict[str, Any]) -> None:
        with transaction(self.parts.journal) as s:
            for row in journal.moves_for_update(s, seller_ids):
                row.updated_at = self.parts.clock.now()
                self._event(s, row, what, detail)


def build_mover(settings: MigrationSettings) -> Mover:
    """The engine on the configured databases (the workers' and the service's factory)."""
    parts = Parts(
        journal=session_factory(_engine(settings.resolved_database_url)),
        social=_engine(settings.resolved_social_url),
        commerce=_engine(settings.resolved_commerce_url),
        pause_budget_ms=float(settings.pause_budget_ms),
        stage_opening_entries=settings.stage_opening_entries,
        rollback_window=timedelta(days=settings.rollback_window_days),
        pace=copying.Pace(max_rows_per_second=settings.max_rows_per_second),
    )
    return Mover(parts)


def _engine(url: str) -> Engine:
    """An engine for the mover. On PostgreSQL without JIT compilation: a batch's reads (its
    rows counted per step, its keys for verification) cost enough for the server to compile
    them, 105 ms of compiling for a 35 ms query, on every batch. And without parallel workers:
    the engine runs a worker per core already, and a batch's reads split over three server
    processes took longer than in one (64 against 52 ms for 500 sellers' keys, measured
    alone) and the workers' cores besides."""
    if make_url(url).get_backend_name() != "postgresql":
        return make_engine(url)
    options = "-c jit=off -c max_parallel_workers_per_gather=0"
    return make_engine(url, connect_args={"options": options})

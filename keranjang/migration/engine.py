"""The engine that moves one merchant: `Mover.advance(seller_id)` performs the next phase of that
seller's move, as the journal has it, and answers the phase the move is in now.

    planned | rolled_back ──bind──► bound ──start──► copying ──(slices)──► catching_up
    catching_up ──(lag small, way back proven, pause predicted within budget)──► cut_over
    cut_over ──verify──► verified ──purge (window closed)──► purged
    cut_over | verified ──rollback (within the window)──► rolled_back

Resuming after a crash anywhere (a SIGKILL included) is calling `advance` again: every phase is
written to the journal (`moves`, and an `events` row) only once its work is in the other
databases, and every piece of that work repeats harmlessly (see `sync` for the copy's and the
catch-up's protocol, `cutover` for the pause's). Nothing is held in memory between calls.

The public interface::

    Mover(parts: Parts)
    Mover.advance(seller_id: int) -> Phase     raises NotFound, NotConfirmed, OverBudget,
                                               Mismatch, MigrationError
    Mover.rollback(seller_id, actor, reason) -> Phase   raises NotFound, IllegalPhase,
                                               WindowClosed, MigrationError
    Mover.purge(seller_id, actor) -> Phase     raises NotFound, IllegalPhase, WindowClosed
    build_mover(settings: MigrationSettings) -> Mover
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory, transaction
from keranjang.migration import (
    capture,
    cutover,
    journal,
    mapping,
    purge,
    rollback,
    source,
    target,
    verify,
)
from keranjang.migration import copy as copying
from keranjang.migration.config import MigrationSettings
from keranjang.migration.errors import MigrationError, Mismatch, NotConfirmed, NotFound, OverBudget
from keranjang.migration.journal import MoveRow
from keranjang.migration.phases import Phase, check_next
from keranjang.migration.sync import Ctx, no_checkpoint

SMALL_LAG = 200  # changes applied in one catch-up round: fewer, and the cutover is tried


@dataclass
class Parts:
    """What the engine is built from: the journal, the source (social) and the target
    (commerce), the clock, and how it goes."""

    journal: sessionmaker[Session]
    social: Engine
    commerce: Engine
    clock: Clock = field(default_factory=SystemClock)
    pause_budget_ms: float = 50.0
    rollback_window: timedelta = timedelta(days=7)
    pace: copying.Pace = field(default_factory=copying.Pace)
    # Called at named points between writes; a test kills the process there.
    checkpoint: Callable[[str], None] = no_checkpoint
    actor: str = "engine"


class Mover:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    # -- the public interface -----------------------------------------------------------------

    def advance(self, seller_id: int) -> Phase:
        """Perform the next phase of the seller's move; answer the phase it is in now."""
        move = self._move(seller_id)
        steps: dict[Phase, Callable[[MoveRow], Phase]] = {
            Phase.PLANNED: self._bind,
            Phase.ROLLED_BACK: self._bind,
            Phase.BOUND: self._start_copy,
            Phase.COPYING: self._copy,
            Phase.CATCHING_UP: self._catch_up,
            Phase.CUT_OVER: self._verify,
        }
        step = steps.get(Phase(move.phase))
        return Phase(move.phase) if step is None else step(move)

    def rollback(self, seller_id: int, actor: str, reason: str) -> Phase:
        """Return a moved merchant to the app with what it did in commerce since the cutover."""
        move = self._move(seller_id)
        ctx = self._ctx(move)
        rollback.roll_back(ctx, rollback.Request(actor, reason, self.parts.rollback_window))
        return Phase.ROLLED_BACK

    def purge(self, seller_id: int, actor: str | None = None) -> Phase:
        """Delete the moved seller's shop data, and the buyer data only it needed, from social,
        and its id map from the journal, once the rollback window has closed. `actor`: the
        operator who asked (the journal's event names them), else the engine's own name."""
        move = self._move(seller_id)
        purge.purge(self._ctx(move), actor or self.parts.actor)
        return Phase.PURGED

    # -- the phases ---------------------------------------------------------------------------

    def _bind(self, move: MoveRow) -> Phase:
        check_next(Phase(move.phase), Phase.BOUND)
        with self.parts.social.connect() as c:
            seller = source.seller(c, move.seller_id)
            consent = source.consented(c, move.seller_id)
            account = source.payout_account(c, move.seller_id)
        if seller is None:
            raise NotFound(f"seller {move.seller_id} is not in the app")
        if not consent and move.forced_reason is None:
            raise NotConfirmed(
                f"seller {move.seller_id} has not confirmed the move in the seller tools "
                "(an operator may force it, with a reason)"
            )
        merchant_id = self._open_merchant(move, seller)
        with self.parts.commerce.begin() as c:  # not on sale in commerce until the cutover
            target.update_merchant(c, merchant_id, {"selling": False})
            if account is not None:
                target.put_payout_account(c, mapping.payout_account(account, merchant_id))
        self.parts.checkpoint("bind:merchant")
        with transaction(self.parts.journal) as s:
            row = self._advanced(s, move.seller_id, Phase.BOUND)
            row.commerce_merchant_id = merchant_id
            if consent:
                row.confirmed_by = "seller"
            detail = {"merchant_id": merchant_id, "forced": not consent}
            journal.add_event(s, row, "bound", detail, self.parts.actor)
        return Phase.BOUND

    def _open_merchant(self, move: MoveRow, seller: mapping.Row) -> int:
        """The seller's merchant in commerce: found by its marker if made before (a crash, a
        move after a rollback), else opened under the slug the journal chose first."""
        digest = seller["token_digest"]
        hashes = (mapping.moving_marker(digest), digest)
        with self.parts.commerce.connect() as c:
            found = target.merchant_with_hash(c, hashes)
            taken = target.slugs_like(c, seller["slug"])
        if found is not None:
            return found
        slug = journal.position(move).get("slug") or mapping.free_slug(seller["slug"], taken)
        with transaction(self.parts.journal) as s:
            journal.set_position(journal.move_for_update(s, move.seller_id), slug=slug)
        now = self.parts.clock.now()
        try:
            with self.parts.commerce.begin() as c:
                values = mapping.merchant(seller, slug, now)
                return target.open_merchant(c, values, mapping.application(seller, 0, now))
        except IntegrityError as exc:  # the slug was taken meanwhile: choose again next time
            with transaction(self.parts.journal) as s:
                journal.set_position(journal.move_for_update(s, move.seller_id), slug=None)
            raise MigrationError(f"the shop address {slug!r} was taken meanwhile") from exc

    def _start_copy(self, move: MoveRow) -> Phase:
        ctx = self._ctx(move)
        cursor = capture.start_cursor(ctx)
        with self.parts.social.connect() as c:
            total = source.rows_total(c, move.seller_id)
        with transaction(self.parts.journal) as s:
            row = self._advanced(s, move.seller_id, Phase.COPYING)
            journal.set_position(row, log=cursor, copied={}, done=[])
            row.rows_total, row.rows_copied, row.change_cursor = total, 0, 0
            journal.add_event(s, row, "copy_started", {"rows": total}, self.parts.actor)
        return Phase.COPYING

    def _copy(self, move: MoveRow) -> Phase:
        if not copying.copy_slice(self._ctx(move), self.parts.pace):
            return Phase.COPYING
        with transaction(self.parts.journal) as s:
            row = self._advanced(s, move.seller_id, Phase.CATCHING_UP)
            journal.add_event(s, row, "copied", {"rows": row.rows_copied}, self.parts.actor)
        return Phase.CATCHING_UP

    def _catch_up(self, move: MoveRow) -> Phase:
        ctx = self._ctx(move)
        if capture.catch_up(ctx).applied > SMALL_LAG:
            return Phase.CATCHING_UP
        problems = rollback.dry_run(ctx)
        if problems:
            self._note(move.seller_id, "cutover_refused", {"way_back": problems[:20]})
            raise MigrationError(f"the way back does not work, no cutover: {problems[0]}")
        with self.parts.social.connect() as c:
            seller = source.seller(c, move.seller_id)
        assert seller is not None  # bound: the seller was there, and only the purge deletes it
        budget = self.parts.pause_budget_ms
        try:
            done = cutover.cut_over(ctx, budget, seller["token_digest"])
        except OverBudget as exc:
            self._note(move.seller_id, "cutover_abandoned", {"why": str(exc), "budget_ms": budget})
            raise
        return self._cut_over(move, done)

    def _cut_over(self, move: MoveRow, done: cutover.Cutover) -> Phase:
        now = self.parts.clock.now()
        with transaction(self.parts.journal) as s:
            row = self._advanced(s, move.seller_id, Phase.CUT_OVER)
            journal.set_position(row, log=done.cursor)
            row.change_cursor += done.drained
            row.pause_ms = max(1, round(done.pause_ms))
            row.cutover_at, row.purge_after = now, now + self.parts.rollback_window
            detail = {
                "pause_ms": round(done.pause_ms, 3),
                "predicted_ms": round(done.predicted.ms, 3),
                "budget_ms": self.parts.pause_budget_ms,
                "lag": done.predicted.lag,
                "drained": done.drained,
                "open_orders": done.predicted.open_orders,
                "ms_per_order": round(done.predicted.ms_per_order, 4),
                "steps_ms": done.steps_ms,
            }
            journal.add_event(s, row, "cut_over", detail, self.parts.actor)
        return Phase.CUT_OVER

    def _verify(self, move: MoveRow) -> Phase:
        assert move.cutover_at is not None  # cut over: the journal says when
        report = verify.verify(self._ctx(move), move.cutover_at)
        with transaction(self.parts.journal) as s:
            if not report.passed:
                row = journal.move_for_update(s, move.seller_id)
                row.updated_at = self.parts.clock.now()
                journal.add_event(s, row, "mismatch", report.detail(), self.parts.actor)
            else:
                row = self._advanced(s, move.seller_id, Phase.VERIFIED)
                row.verified_at, row.rows_verified = row.updated_at, report.rows
                journal.add_event(s, row, "verified", report.detail(), self.parts.actor)
        if not report.passed:
            raise Mismatch("; ".join(report.differences[:3]))
        return Phase.VERIFIED

    # -- journal helpers ----------------------------------------------------------------------

    def _move(self, seller_id: int) -> MoveRow:
        with self.parts.journal() as s:
            move = s.get(MoveRow, seller_id)
        if move is None:
            raise NotFound(f"seller {seller_id} is not in the plan; plan first")
        return move

    def _ctx(self, move: MoveRow) -> Ctx:
        if move.commerce_merchant_id is None:
            raise MigrationError(f"seller {move.seller_id} is not bound to a merchant yet")
        p = self.parts
        return Ctx(p.social, p.commerce, p.journal, p.clock, move.seller_id,
                   move.commerce_merchant_id, p.checkpoint)  # fmt: skip

    def _advanced(self, s: Session, seller_id: int, to: Phase) -> MoveRow:
        """The move, locked, moved on to `to` (if the rules allow it), with the time."""
        row = journal.move_for_update(s, seller_id)
        row.phase = check_next(Phase(row.phase), to).value
        row.updated_at, row.error = self.parts.clock.now(), None
        return row

    def _note(self, seller_id: int, what: str, detail: dict[str, object]) -> None:
        with transaction(self.parts.journal) as s:
            row = journal.move_for_update(s, seller_id)
            row.updated_at = self.parts.clock.now()
            journal.add_event(s, row, what, detail, self.parts.actor)


def build_mover(settings: MigrationSettings) -> Mover:
    """The engine on the configured databases (the workers' and the service's factory)."""
    parts = Parts(
        journal=session_factory(make_engine(settings.resolved_database_url)),
        social=make_engine(settings.resolved_social_url),
        commerce=make_engine(settings.resolved_commerce_url),
        pause_budget_ms=float(settings.pause_budget_ms),
        rollback_window=timedelta(days=settings.rollback_window_days),
        pace=copying.Pace(max_rows_per_second=settings.max_rows_per_second),
    )
    return Mover(parts)

"""The migration's use cases, each one transaction on the journal returning typed values: plan,
the progress and its history, each merchant's move, verification results, and the operator's
actions (force a move with a reason, roll back, purge), which the engine carries out.

The engine (`engine.Mover`) moves one merchant a phase at a time; this module only needs what
`Mover` below says of it, so the service, the workers and the command line are tested with a fake.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.migration import plan as planning
from keranjang.migration import progress as rules
from keranjang.migration.errors import IllegalPhase, MigrationError, NotFound
from keranjang.migration.journal import EventRow, MoveRow, SnapshotRow
from keranjang.migration.phases import Phase

MAX_PAGE = 500
VERIFICATION_EVENTS = ("verified", "verification_failed", "mismatch")


class Mover(Protocol):
    """What the engine does for one merchant; every call writes the journal before it counts."""

    def advance(self, seller_id: int) -> Phase:
        """Perform the next phase of the move (bind needs consent or force; copy; catch up;
        cutover; verify) and answer the phase the move is in now."""
        ...

    def advance_batch(self, seller_ids: Sequence[int]) -> dict[int, Phase | MigrationError]:
        """The next phase of each move of a batch of small merchants moved together: each
        one's phase now, or why it did not go on (a failure of the whole batch raises)."""
        ...

    def rollback(self, seller_id: int, actor: str, reason: str) -> Phase: ...

    def purge(self, seller_id: int, actor: str | None = None) -> Phase: ...


@dataclass(frozen=True)
class MoveView:
    seller_id: int
    rank: int
    phase: Phase
    commerce_merchant_id: int | None
    confirmed_by: str | None
    forced: bool
    worker: str | None
    lease_until: datetime | None
    attempts: int
    error: str | None
    sales_idr: int
    rows: tuple[int, int, int, int]  # total, copied, verified, purged
    pause_ms: int | None
    cutover_at: datetime | None
    verified_at: datetime | None
    purge_after: datetime | None
    purged_at: datetime | None
    abandons: int = 0
    left: "LeftMove | None" = None  # left for the operator: what it needs

    @classmethod
    def of(cls, row: MoveRow) -> "MoveView":
        rows = (row.rows_total, row.rows_copied, row.rows_verified, row.rows_purged)
        return cls(
            row.seller_id, row.rank, Phase(row.phase), row.commerce_merchant_id,
            row.confirmed_by, row.forced_reason is not None, row.worker, row.lease_until,
            row.attempts, row.error, row.sales_idr, rows, row.pause_ms, row.cutover_at,
            row.verified_at, row.purge_after, row.purged_at, row.abandons or 0,
            LeftMove.of(row) if row.left_at is not None else None,
        )  # fmt: skip


@dataclass(frozen=True)
class LeftMove:
    """A move a run left for the operator: its cutover was abandoned `abandons` times in a row
    with the merchant alone under the fence, the last expecting a pause of `predicted_ms`
    against `budget_ms`. Tried again with a budget of at least `suggested_budget_ms`."""

    seller_id: int
    phase: Phase
    abandons: int
    predicted_ms: int | None
    budget_ms: int | None
    since: datetime

    @classmethod
    def of(cls, row: MoveRow) -> "LeftMove":
        assert row.left_at is not None
        return cls(row.seller_id, Phase(row.phase), row.abandons, row.predicted_pause_ms,
                   row.abandoned_budget_ms, row.left_at)  # fmt: skip

    @property
    def suggested_budget_ms(self) -> int:
        """The pause expected, rounded up to the next 10 ms (above the budget it missed)."""
        needed = max(self.predicted_ms or 0, (self.budget_ms or 0) + 1, 1)
        return -(-needed // 10) * 10


@dataclass(frozen=True)
class Status:
    at: datetime
    progress: rules.Progress
    throughput: rules.Throughput
    phases: dict[Phase, int]
    weights: rules.Weights


@dataclass(frozen=True)
class Verification:
    """A verification's outcome, in counts: how many checks ran, how many rows differed."""

    seller_id: int
    at: datetime
    passed: bool
    checks: int
    differences: int


@dataclass(frozen=True)
class PurgeReport:
    purged: tuple[int, ...]
    due: tuple[int, ...]
    dry_run: bool


@dataclass
class Parts:
    """What the service is built from. `social` is the source's database (for the plan); the
    `mover` is absent where the engine cannot be built (the service then only reports)."""

    journal: sessionmaker[Session]
    clock: Clock
    social: Engine | None = None
    mover: Mover | None = None
    weights: rules.Weights = field(default_factory=rules.Weights)
    rollback_window: timedelta = timedelta(days=7)
    eta_window: timedelta = timedelta(hours=1)


class MigrationService:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._last_rows: tuple[datetime, int] | None = None  # for rows/s between snapshots

    @property
    def mover(self) -> Mover:
        if self.parts.mover is None:
            raise MigrationError("the migration engine is not available in this process")
        return self.parts.mover

    # -- the plan ------------------------------------------------------------------------------

    def plan(self, dry_run: bool = False) -> planning.PlanReport:
        if self.parts.social is None:
            raise MigrationError("social's database is not configured: nothing to plan from")
        try:
            with self.parts.social.connect() as social:
                sizes = planning.legacy_sizes(social)
        except (ProgrammingError, OperationalError) as exc:
            # No legacy shop's tables (PostgreSQL says so with the one, SQLite with the other).
            if isinstance(exc, OperationalError) and "no such table" not in str(exc):
                raise
            raise MigrationError("social's database holds no legacy shop to plan from") from exc
        with transaction(self.parts.journal) as s:
            return planning.plan(s, sizes, self.parts.clock.now(), dry_run)

    # -- reading -------------------------------------------------------------------------------

    def status(self) -> Status:
        with self.parts.journal() as s:
            groups, phases = _phase_groups(s)
            points = _recent_points(s, self.parts.eta_window)
        reading = rules.progress(groups, self.parts.weights)
        now = self.parts.clock.now()
        live = rules.Point(now, reading.overall_bp, reading.merchants_moved, _last_rate(points))
        rates = rules.throughput([*points, live], self.parts.eta_window)
        return Status(now, reading, rates, phases, self.parts.weights)

    def history(self, since: datetime | None = None, limit: int = MAX_PAGE) -> list[SnapshotRow]:
        query = select(SnapshotRow).order_by(SnapshotRow.at.desc(), SnapshotRow.id.desc())
        if since is not None:
            query = query.where(SnapshotRow.at >= since)
        with self.parts.journal() as s:
            rows = list(s.scalars(query.limit(min(limit, MAX_PAGE))))
        return rows[::-1]

    def merchants(
        self, phase: Phase | None = None, after_rank: int = 0, limit: int = MAX_PAGE
    ) -> list[MoveView]:
        query = select(MoveRow).where(MoveRow.rank > after_rank).order_by(MoveRow.rank)
        if phase is not None:
            query = query.where(MoveRow.phase == phase.value)
        with self.parts.journal() as s:
            return [MoveView.of(r) for r in s.scalars(query.limit(min(limit, MAX_PAGE)))]

    def merchant(self, seller_id: int) -> MoveView:
        with self.parts.journal() as s:
            row = s.get(MoveRow, seller_id)
            if row is None:
                raise NotFound(f"seller {seller_id} is not in the plan; plan first")
            return MoveView.of(row)

    def left_for_operator(self, limit: int = MAX_PAGE) -> list[LeftMove]:
        """Moves a run stopped trying, in the plan's order: each needs an operator's retry."""
        query = select(MoveRow).where(MoveRow.left_at.is_not(None)).order_by(MoveRow.rank)
        with self.parts.journal() as s:
            return [LeftMove.of(r) for r in s.scalars(query.limit(min(limit, MAX_PAGE)))]

    def events(self, seller_id: int, limit: int = 50) -> list[EventRow]:
        query = select(EventRow).where(EventRow.seller_id == seller_id)
        with self.parts.journal() as s:
            rows = s.scalars(query.order_by(EventRow.id.desc()).limit(min(limit, MAX_PAGE)))
            return list(rows)

    def events_after(self, after: int, limit: int = MAX_PAGE) -> list[EventRow]:
        """Every merchant's events in journal order, from the one after `after` (the
        regulator's audit log copies them, a page at a time)."""
        query = select(EventRow).where(EventRow.id > after).order_by(EventRow.id)
        with self.parts.journal() as s:
            return list(s.scalars(query.limit(min(limit, MAX_PAGE))))

    def verifications(
        self, seller_id: int | None = None, limit: int = MAX_PAGE
    ) -> list[Verification]:
        query = select(EventRow).where(EventRow.what.in_(VERIFICATION_EVENTS))
        if seller_id is not None:
            query = query.where(EventRow.seller_id == seller_id)
        query = query.order_by(EventRow.id.desc()).limit(min(limit, MAX_PAGE))
        with self.parts.journal() as s:
            return [verification_of(e) for e in s.scalars(query)]

    # -- the operator's actions ----------------------------------------------------------------

    def force(self, seller_id: int, actor: str, reason: str) -> MoveView:
        """Record an operator's decision to move a seller who has not confirmed (with why); the
        engine's bind then goes ahead without the seller's confirmation."""
        reason = reason.strip()
        if not reason:
            raise MigrationError("say why the move is forced (the reason is kept in the journal)")
        now = self.parts.clock.now()
        with transaction(self.parts.journal) as s:
            row = _locked(s, seller_id)
            if Phase(row.phase) not in (Phase.PLANNED, Phase.ROLLED_BACK):
                raise IllegalPhase(f"seller {seller_id} is already {row.phase}: nothing to force")
            row.confirmed_by, row.forced_reason = actor[:60], reason[:500]
            row.lease_until, row.updated_at = None, now  # ready for the next worker
            detail = json.dumps({"reason": reason[:500]})
            s.add(EventRow(seller_id=seller_id, phase=row.phase, what="forced", detail=detail,
                           actor=actor[:80], at=now))  # fmt: skip
            return MoveView.of(row)

    def rollback(self, seller_id: int, actor: str, reason: str) -> MoveView:
        if not reason.strip():
            raise MigrationError("say why the merchant goes back to the app")
        self.merchant(seller_id)
        self.mover.rollback(seller_id, actor, reason.strip())
        return self.merchant(seller_id)

    def purge(self, seller_id: int, actor: str) -> MoveView:
        """An operator's purge of one merchant: the journal names `actor` as who did it."""
        self.merchant(seller_id)
        self.mover.purge(seller_id, actor)
        return self.merchant(seller_id)

    def purge_due(self, dry_run: bool = False, only: int | None = None) -> PurgeReport:
        """Purge every verified merchant whose rollback window has closed."""
        now = self.parts.clock.now()
        due = tuple(m.seller_id for m in self._verified(only) if self._window_closed(m, now))
        if dry_run:
            return PurgeReport((), due, True)
        return PurgeReport(tuple(s for s in due if self.mover.purge(s) is Phase.PURGED), due, False)

    def _verified(self, only: int | None) -> list[MoveView]:
        query = select(MoveRow).where(MoveRow.phase == Phase.VERIFIED.value)
        if only is not None:
            query = query.where(MoveRow.seller_id == only)
        with self.parts.journal() as s:
            return [MoveView.of(r) for r in s.scalars(query.order_by(MoveRow.rank))]

    def _window_closed(self, move: MoveView, now: datetime) -> bool:
        closes = move.purge_after
        if closes is None and move.cutover_at is not None:
            closes = move.cutover_at + self.parts.rollback_window
        return closes is not None and closes <= now

    # -- snapshots -----------------------------------------------------------------------------

    def snapshot(self, every: timedelta = timedelta(0)) -> SnapshotRow | None:
        """Write a progress snapshot, unless one was written less than `every` ago (several
        workers may ask; one snapshot a period is enough)."""
        now = self.parts.clock.now()
        with transaction(self.parts.journal) as s:
            latest = s.scalar(select(SnapshotRow).order_by(SnapshotRow.at.desc()).limit(1))
            if latest is not None and now - latest.at < every:
                return None
            groups, _ = _phase_groups(s)
            reading = rules.progress(groups, self.parts.weights)
            rate = self._rows_per_second(now, reading.rows_done, latest)
            points = _recent_points(s, self.parts.eta_window)
            point = rules.Point(now, reading.overall_bp, reading.merchants_moved, rate)
            eta = rules.throughput([*points, point], self.parts.eta_window).eta
            row = SnapshotRow(at=now, payment_bp=reading.payment_bp, data_bp=reading.data_bp,
                              operations_bp=reading.operations_bp, overall_bp=reading.overall_bp,
                              merchants_moved=reading.merchants_moved,
                              merchants_total=reading.merchants_total, rows_per_second=rate,
                              eta=eta)  # fmt: skip
            s.add(row)
        return row

    def _rows_per_second(self, now: datetime, done: int, latest: SnapshotRow | None) -> float:
        """Rows handled a second since this process's last snapshot. A process's first snapshot
        carries the previous rate forward: the journal keeps no running row count to subtract."""
        last, self._last_rows = self._last_rows, (now, done)
        if last is None or now <= last[0]:
            return latest.rows_per_second if latest is not None else 0.0
        return max(0.0, (done - last[1]) / (now - last[0]).total_seconds())


def _locked(s: Session, seller_id: int) -> MoveRow:
    row = s.scalar(select(MoveRow).where(MoveRow.seller_id == seller_id).with_for_update())
    if row is None:
        raise NotFound(f"seller {seller_id} is not in the plan; plan first")
    return row


def _phase_groups(s: Session) -> tuple[list[rules.MerchantFigures], dict[Phase, int]]:
    m = MoveRow
    sums = (m.sales_idr, m.rows_total, m.rows_copied, m.rows_verified, m.rows_purged)
    query = select(m.phase, func.count(), *(func.coalesce(func.sum(c), 0) for c in sums))
    groups, phases = [], {p: 0 for p in Phase}
    for phase, count, sales, *rows in s.execute(query.group_by(m.phase)):
        groups.append(
            rules.figures_of_phase(Phase(phase), count, int(sales), [int(r) for r in rows])
        )
        phases[Phase(phase)] = int(count)
    return groups, phases


def _recent_points(s: Session, window: timedelta) -> list[rules.Point]:
    latest = s.scalar(select(func.max(SnapshotRow.at)))
    if latest is None:
        return []
    query = select(SnapshotRow).where(SnapshotRow.at >= latest - window).order_by(SnapshotRow.at)
    return [
        rules.Point(r.at, r.overall_bp, r.merchants_moved, r.rows_per_second)
        for r in s.scalars(query)
    ]


def _last_rate(points: Sequence[rules.Point]) -> float:
    return points[-1].rows_per_second if points else 0.0


def verification_of(event: EventRow) -> Verification:
    """A verification event's outcome, in counts only (the event names the differing rows; the
    evidence never carries them)."""
    try:
        detail = json.loads(event.detail or "{}")
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    differences = detail.get("differences", [])
    count = len(differences) if isinstance(differences, list | dict) else int(differences or 0)
    checks = detail.get("checks", [])
    checked = len(checks) if isinstance(checks, list | dict) else int(checks or 0)
    passed = bool(detail.get("passed", event.what == "verified" and count == 0))
    return Verification(event.seller_id, event.at, passed, checked, count)

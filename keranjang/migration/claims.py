"""Claims on the journal's moves: which worker holds which merchants, until when, and how a claim
ends; each claim, renewal and release one short transaction on the journal.

A worker claims the first move (in the plan's order) that is ready and not held, with
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (two workers never wait on, nor take, the same
row), and writes its name and a lease (`worker`, `lease_until`) in the same transaction. With
`Rules.batch_size` above one it takes, with that first move, the next ready moves in the same
phase while their planned rows together stay within `Rules.batch_rows`: small merchants are
moved as a batch (`engine.Mover.advance_batch`); a merchant larger than `batch_rows` goes
alone, and so does one whose batch failed as a whole (`split`: its position says `alone`, and
a `batch_split` event says why), so one bad merchant never holds the others back twice.

`lease_until` also says "not before": a seller who has not confirmed is tried again later, an
abandoned cutover soon, a failed phase after a pause (and no more after `max_attempts` failures
in a row, until an operator looks).

A merchant whose own cutover was abandoned `max_abandons` times in a row (alone under the
fence, its pause predicted or found over the budget: the engine counts them on the move) is
left for the operator (`left_at`): a run neither takes it nor waits for it, so `migrate run`
ends; the operator tries it again with a larger budget (`retry`, `migrate run --only`). Being
left for the next round by a batch cut at the fence is not an abandon of that merchant: it
did not get its own try.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import BindParameter

from keranjang.infra.bulk import one_of
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.migration import journal
from keranjang.migration.journal import MoveRow
from keranjang.migration.phases import Phase

IN_FLIGHT = (Phase.BOUND, Phase.COPYING, Phase.CATCHING_UP, Phase.CUT_OVER)
CLAIMABLE = (Phase.PLANNED, *IN_FLIGHT)


@dataclass(frozen=True)
class Rules:
    """How long a claim lasts, when a move is tried again, and how many small merchants are
    moved together (`batch_size` merchants at most, `batch_rows` planned rows at most)."""

    lease: timedelta = timedelta(seconds=30)
    after_abandoned_cutover: timedelta = timedelta(seconds=2)
    after_failure: timedelta = timedelta(seconds=10)
    wait_for_consent: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    max_abandons: int = 5
    only: int | None = None  # one seller alone (`run --only`)
    batch_size: int = 1
    batch_rows: int = 5_000


@dataclass(frozen=True)
class Claim:
    seller_ids: tuple[int, ...]
    phase: Phase

    @property
    def seller_id(self) -> int:
        """The first (for a claim of one, the only) seller claimed."""
        return self.seller_ids[0]


@dataclass(frozen=True)
class Outcome:
    """How a claim ended: the phase reached, and when the move may be taken again."""

    phase: Phase | None
    not_before: datetime | None
    error: str | None = None
    failed: bool = False
    abandoned: bool = False  # its own cutover abandoned (not left for the next round)


def batch_of(rows: Sequence[MoveRow], rules: Rules) -> list[MoveRow]:
    """The first ready move, and the next ones in its phase that fit a batch with it."""
    first, taken = rows[0], [rows[0]]
    if rules.batch_size <= 1 or _alone(first) or first.rows_total > rules.batch_rows:
        return taken
    total = first.rows_total
    for row in rows[1:]:
        if len(taken) >= rules.batch_size:
            break
        if row.phase != first.phase or _alone(row) or total + row.rows_total > rules.batch_rows:
            continue
        taken.append(row)
        total += row.rows_total
    return taken


def gives_up(outcome: Outcome, abandons: int, rules: Rules) -> bool:
    """The merchant's own cutover abandoned (not its being left for the next round by a batch
    cut at the fence) for the `max_abandons`th time in a row: a run stops trying it."""
    return outcome.abandoned and abandons >= rules.max_abandons


def _alone(row: MoveRow) -> bool:
    return bool(journal.position(row).get("alone"))


class Journal:
    """Claims, renewals and releases of moves, each one short transaction on the journal."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, rules: Rules) -> None:
        self.sessions, self.clock, self.rules = sessions, clock, rules

    def claimable(self) -> list[str]:
        """Phases a run takes. A merchant rolled back is moved again only when named
        (`run --only`): the rollback was an operator's decision."""
        phases = [*CLAIMABLE, Phase.ROLLED_BACK] if self.rules.only else CLAIMABLE
        return [p.value for p in phases]

    def _ready(self, now: datetime) -> Select[MoveRow]:
        m = MoveRow
        query = select(m).where(
            or_(m.lease_until.is_(None), m.lease_until < now), *self._not_given_up()
        )
        if self.rules.only is None:  # through the partial index, in the plan's order
            return query.where(journal.ready_to_claim())
        return query.where(m.phase.in_(self.claimable()), m.seller_id == self.rules.only)

    def claim(self, worker: str) -> Claim | None:
        now = self.clock.now()
        size: BindParameter[int] = bindparam(
            "size", max(1, self.rules.batch_size), literal_execute=True
        )
        query = self._ready(now).order_by(MoveRow.rank).limit(size)
        with transaction(self.sessions) as s:
            rows = list(s.scalars(query.with_for_update(skip_locked=True)))
            if not rows:
                return None
            taken = batch_of(rows, self.rules)
            for row in taken:
                row.worker, row.lease_until = worker[:80], now + self.rules.lease
            return Claim(tuple(r.seller_id for r in taken), Phase(taken[0].phase))

    def renew(self, seller_ids: int | Iterable[int], worker: str) -> bool:
        """Extend the lease; False if another worker has taken a move over meanwhile."""
        wanted = [seller_ids] if isinstance(seller_ids, int) else sorted(set(seller_ids))
        until = self.clock.now() + self.rules.lease
        with transaction(self.sessions) as s:
            renewed = s.execute(
                update(MoveRow)
                .where(one_of(MoveRow.seller_id, wanted), MoveRow.worker == worker[:80])
                .values(lease_until=until)
                .execution_options(synchronize_session=False)
            )
            return renewed.rowcount == len(wanted)  # type: ignore[attr-defined]

    def release(self, seller_id: int, worker: str, outcome: Outcome) -> None:
        self.release_all({seller_id: outcome}, worker)

    def release_all(self, outcomes: dict[int, Outcome], worker: str) -> None:
        """Give the moves up, those still ours (a worker that stalled past its lease finds a
        move taken over, and leaves it as the new holder has it)."""
        with transaction(self.sessions) as s:
            for row in s.scalars(
                select(MoveRow)
                .where(one_of(MoveRow.seller_id, sorted(outcomes)))
                .order_by(MoveRow.seller_id)
                .with_for_update()
            ):
                if row.worker != worker[:80]:
                    continue
                outcome = outcomes[row.seller_id]
                row.worker, row.lease_until = None, outcome.not_before
                if outcome.failed:
                    row.attempts += 1
                    row.error = (outcome.error or "failed")[:500]
                elif outcome.error is None:
                    row.attempts, row.error = 0, None
                if gives_up(outcome, row.abandons, self.rules):
                    self._leave_for_operator(s, row)

    def _not_given_up(self) -> list[ColumnElement[bool]]:
        """A move a run still tries: not failed nor abandoned too often in a row, not left
        for the operator."""
        m = MoveRow
        return [
            m.attempts < self.rules.max_attempts,
            m.abandons < self.rules.max_abandons,
            m.left_at.is_(None),
        ]

    def _leave_for_operator(self, s: Session, row: MoveRow) -> None:
        row.left_at = row.updated_at = self.clock.now()
        detail = {
            "abandons": row.abandons,
            "predicted_ms": row.predicted_pause_ms,
            "budget_ms": row.abandoned_budget_ms,
        }
        journal.add_event(s, row, "left_for_operator", detail, "workers")

    def retry(self, seller_id: int, actor: str, budget_ms: int) -> bool:
        """An operator's new try of a move left for them (or abandoned lately): its count of
        abandons starts again, and it is ready now; False if there was nothing to reset."""
        now = self.clock.now()
        with transaction(self.sessions) as s:
            row = journal.move_for_update(s, seller_id)
            if row.abandons == 0 and row.left_at is None:
                return False
            detail = {"abandons": row.abandons, "predicted_ms": row.predicted_pause_ms,
                      "budget_ms": budget_ms}  # fmt: skip
            row.abandons, row.left_at, row.lease_until, row.updated_at = 0, None, None, now
            journal.add_event(s, row, "retried", detail, actor)
            return True

    def split(self, seller_ids: Sequence[int], why: str) -> None:
        """A batch that failed as a whole: its merchants are moved one by one from now on."""
        now = self.clock.now()
        with transaction(self.sessions) as s:
            for row in journal.moves_for_update(s, seller_ids):
                journal.set_position(row, alone=True)
                detail = {"why": why[:300], "batch": sorted(seller_ids), "then": "one by one"}
                row.updated_at = now
                journal.add_event(s, row, "batch_split", detail, "workers")

    def pending(self) -> int:
        """Moves a run still has to see through: in flight (held, or waiting to be tried again
        after an abandoned cutover or a failure), held, or ready now. A seller still to confirm
        waits outside the run."""
        with self.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(self._pending().subquery())) or 0)

    def over(self) -> bool:
        """Nothing pending: what a run's supervisor asks twice a second, so it reads one row at
        most (counting 100,000 planned moves took 50 ms each time)."""
        with self.sessions() as s:
            return s.scalar(self._pending().limit(1)) is None

    def _pending(self) -> Select[Any]:
        now, m = self.clock.now(), MoveRow
        query = select(m.seller_id).where(
            m.phase.in_(self.claimable()),
            *self._not_given_up(),
            or_(
                m.phase.in_([p.value for p in IN_FLIGHT]),
                m.worker.is_not(None),
                m.lease_until.is_(None),
                m.lease_until < now,
            ),
        )
        if self.rules.only is not None:
            query = query.where(m.seller_id == self.rules.only)
        return query

    def ready(self, limit: int = 50) -> list[tuple[int, Phase]]:
        """What a run would take now, in order (for `run --dry-run`)."""
        query = self._ready(self.clock.now()).order_by(MoveRow.rank).limit(limit)
        with self.sessions() as s:
            return [(r.seller_id, Phase(r.phase)) for r in s.scalars(query)]

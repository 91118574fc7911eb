"""Workers: several merchants moved at once, each by one worker at a time.

Work is handed out by the journal itself. A worker claims the first move (in the plan's order)
that is ready and not held, with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (two workers
never wait on, nor take, the same row), and writes its name and a lease (`worker`,
`lease_until`) in the same transaction. It renews the lease while the engine works; a worker
that stalls or dies stops renewing, its lease lapses, and another worker takes the merchant over
(every phase of the engine is idempotent, so the newcomer resumes where the journal says). SQLite
has one writer at a time: one worker. Why not a job queue such as procrastinate: the merchant's
phase, position and results must be in the journal anyway; a second queue would be a second
record to keep consistent with it, for no gain (README.md, "The migration").

`lease_until` also says "not before": a seller who has not confirmed is tried again later, an
abandoned cutover soon, a failed phase after a pause (and no more after `max_attempts` failures
in a row, until an operator looks).
"""

import importlib
import multiprocessing
import multiprocessing.process
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory, transaction
from keranjang.migration.config import MigrationSettings
from keranjang.migration.errors import MigrationError, NotConfirmed, OverBudget
from keranjang.migration.journal import MoveRow
from keranjang.migration.phases import Phase
from keranjang.migration.service import Mover

log = structlog.get_logger(__name__)
IN_FLIGHT = (Phase.BOUND, Phase.COPYING, Phase.CATCHING_UP, Phase.CUT_OVER)
CLAIMABLE = (Phase.PLANNED, *IN_FLIGHT)
SAME_PHASE_ROUNDS = 20


@dataclass(frozen=True)
class Rules:
    """How long a claim lasts and when a move is tried again."""

    lease: timedelta = timedelta(seconds=30)
    after_abandoned_cutover: timedelta = timedelta(seconds=2)
    after_failure: timedelta = timedelta(seconds=10)
    wait_for_consent: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    only: int | None = None  # one seller alone (`run --only`)


@dataclass(frozen=True)
class Claim:
    seller_id: int
    phase: Phase


@dataclass(frozen=True)
class Outcome:
    """How a claim ended: the phase reached, and when the move may be taken again."""

    phase: Phase | None
    not_before: datetime | None
    error: str | None = None
    failed: bool = False


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
            m.phase.in_(self.claimable()),
            or_(m.lease_until.is_(None), m.lease_until < now),
            m.attempts < self.rules.max_attempts,
        )
        return query if self.rules.only is None else query.where(m.seller_id == self.rules.only)

    def claim(self, worker: str) -> Claim | None:
        now = self.clock.now()
        query = self._ready(now).order_by(MoveRow.rank).limit(1)
        with transaction(self.sessions) as s:
            row = s.scalar(query.with_for_update(skip_locked=True))
            if row is None:
                return None
            row.worker, row.lease_until = worker[:80], now + self.rules.lease
            return Claim(row.seller_id, Phase(row.phase))

    def renew(self, seller_id: int, worker: str) -> bool:
        """Extend the lease; False if another worker has taken the move over meanwhile."""
        until = self.clock.now() + self.rules.lease
        with transaction(self.sessions) as s:
            renewed = s.execute(
                update(MoveRow)
                .where(MoveRow.seller_id == seller_id, MoveRow.worker == worker[:80])
                .values(lease_until=until)
                .execution_options(synchronize_session=False)
            )
            return bool(renewed.rowcount)  # type: ignore[attr-defined]

    def release(self, seller_id: int, worker: str, outcome: Outcome) -> None:
        """Give the move up, if it is still ours (a worker that stalled past its lease finds
        the move taken over, and leaves it as the new holder has it)."""
        with transaction(self.sessions) as s:
            row = s.scalar(select(MoveRow).where(MoveRow.seller_id == seller_id).with_for_update())
            if row is None or row.worker != worker[:80]:
                return
            row.worker, row.lease_until = None, outcome.not_before
            if outcome.failed:
                row.attempts += 1
                row.error = (outcome.error or "failed")[:500]
            elif outcome.error is None:
                row.attempts, row.error = 0, None

    def pending(self) -> int:
        """Moves a run still has to see through: in flight (held, or waiting to be tried again
        after an abandoned cutover or a failure), held, or ready now. A seller still to confirm
        waits outside the run."""
        now, m = self.clock.now(), MoveRow
        query = select(func.count()).where(
            m.phase.in_(self.claimable()),
            m.attempts < self.rules.max_attempts,
            or_(
                m.phase.in_([p.value for p in IN_FLIGHT]),
                m.worker.is_not(None),
                m.lease_until.is_(None),
                m.lease_until < now,
            ),
        )
        if self.rules.only is not None:
            query = query.where(m.seller_id == self.rules.only)
        with self.sessions() as s:
            return int(s.scalar(query) or 0)

    def ready(self, limit: int = 50) -> list[tuple[int, Phase]]:
        """What a run would take now, in order (for `run --dry-run`)."""
        query = self._ready(self.clock.now()).order_by(MoveRow.rank).limit(limit)
        with self.sessions() as s:
            return [(r.seller_id, Phase(r.phase)) for r in s.scalars(query)]


class Stop(Protocol):
    """`threading.Event` or `multiprocessing.Event`: what a worker checks between phases."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass
class Worker:
    """One worker: claims a move, advances it phase after phase while it holds the lease, then
    claims the next, until `stop` is set."""

    name: str
    journal: Journal
    mover: Mover
    stop: Stop = field(default_factory=threading.Event)
    idle_seconds: float = 0.2

    def run(self) -> None:
        while not self.stop.is_set():
            if not self.run_once():
                self.stop.wait(self.idle_seconds)

    def run_once(self) -> bool:
        """Take one move and carry it as far as it goes now; False if nothing was ready."""
        claim = self.journal.claim(self.name)
        if claim is None:
            return False
        with LeaseKeeper(self.journal, claim.seller_id, self.name):
            outcome = self._advance(claim)
        self.journal.release(claim.seller_id, self.name, outcome)
        return True

    def _advance(self, claim: Claim) -> Outcome:
        phase, rules, now = claim.phase, self.journal.rules, self.journal.clock.now
        again = 0
        try:
            while phase.value in self.journal.claimable() and not self.stop.is_set():
                reached = self.mover.advance(claim.seller_id)
                # The same phase again: work done but not finished (a copy in slices, a lag
                # not yet small). Go on a while, then let other merchants have the worker.
                again = again + 1 if reached == phase else 0
                if again >= SAME_PHASE_ROUNDS:
                    return Outcome(reached, now() + rules.after_abandoned_cutover)
                phase = reached
        except NotConfirmed as exc:
            return Outcome(phase, now() + rules.wait_for_consent, str(exc))
        except OverBudget as exc:
            return Outcome(phase, now() + rules.after_abandoned_cutover, str(exc))
        except MigrationError as exc:
            return self._failed(claim, exc)
        except Exception as exc:  # a bug or a database away: recorded, tried again, never lost
            log.exception("migration_worker_failed", seller_id=claim.seller_id)
            return self._failed(claim, exc)
        return Outcome(phase, None)

    def _failed(self, claim: Claim, exc: Exception) -> Outcome:
        message = f"{type(exc).__name__}: {exc}"
        retry = self.journal.clock.now() + self.journal.rules.after_failure
        return Outcome(None, retry, message, failed=True)


class LeaseKeeper:
    """Renews a claim's lease on a thread of its own while the engine works (a third of the
    lease at a time), so only a stalled or dead worker's lease lapses."""

    def __init__(self, journal: Journal, seller_id: int, worker: str) -> None:
        self.journal, self.seller_id, self.worker = journal, seller_id, worker
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True, name=f"lease-{worker}")
        self.lost = False

    def __enter__(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    def _renew(self) -> None:
        every = self.journal.rules.lease.total_seconds() / 3
        while not self._done.wait(every):
            try:
                if not self.journal.renew(self.seller_id, self.worker):
                    self.lost = True
                    log.warning(
                        "migration_lease_lost", seller_id=self.seller_id, worker=self.worker
                    )
                    return
            except Exception:  # the journal away for a moment: the next round tries again
                log.exception("migration_lease_renewal_failed", seller_id=self.seller_id)


MoverFactory = Callable[[MigrationSettings], Mover]
# Where the real engine is built; a `module:function` path, importable in a fresh process.
ENGINE_FACTORY = "keranjang.migration.engine:build_mover"


@dataclass(frozen=True)
class RunSpec:
    """A run of `workers` workers: processes on PostgreSQL (each with its own connections and
    interpreter), threads where `processes` is off (one worker, tests). The rows-per-second cap
    is shared evenly among the workers (`share`)."""

    settings: MigrationSettings
    workers: int = 1
    rules: Rules = Rules()
    factory: str = ENGINE_FACTORY
    processes: bool = True


def load_factory(path: str) -> MoverFactory:
    module, _, name = path.partition(":")
    factory: MoverFactory = getattr(importlib.import_module(module), name)
    return factory


def share(settings: MigrationSettings, workers: int) -> MigrationSettings:
    """The settings one of `workers` workers builds its engine with: an even share of the rows
    per second the run may write (the engine paces its copy to it, batch by batch), so the
    workers together stay under the cap."""
    cap = settings.max_rows_per_second
    if cap <= 0 or workers <= 1:
        return settings
    return settings.model_copy(update={"max_rows_per_second": max(1, cap // workers)})


def worker_name(index: int) -> str:
    return f"{socket.gethostname()[:50]}:{os.getpid()}:{index}"


def worker_process(spec: RunSpec, index: int, stop: Stop) -> None:
    """The body of one worker process: its own engine on the journal, its own mover."""
    engine = make_engine(spec.settings.resolved_database_url)
    try:
        journal = Journal(session_factory(engine), SystemClock(), spec.rules)
        mover = load_factory(spec.factory)(share(spec.settings, spec.workers))
        Worker(worker_name(index), journal, mover, stop).run()
    finally:
        engine.dispose()


class Pool:
    """N workers started together and stopped together."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec = spec
        self._procs: list[multiprocessing.process.BaseProcess] = []
        self._threads: list[threading.Thread] = []
        self.stop: Stop = threading.Event()

    def start(self, journal: Journal) -> None:
        if self.spec.processes:
            context = multiprocessing.get_context("spawn")  # no inherited connections or locks
            self.stop = context.Event()
            for i in range(self.spec.workers):
                proc = context.Process(target=worker_process, args=(self.spec, i, self.stop))
                proc.start()
                self._procs.append(proc)
            return
        factory = load_factory(self.spec.factory)
        settings = share(self.spec.settings, self.spec.workers)
        for i in range(self.spec.workers):
            worker = Worker(worker_name(i), journal, factory(settings))
            worker.stop = self.stop
            thread = threading.Thread(target=worker.run, name=f"migration-worker-{i}")
            thread.start()
            self._threads.append(thread)

    def alive(self) -> bool:
        return any(p.is_alive() for p in self._procs) or any(t.is_alive() for t in self._threads)

    def close(self, timeout: float = 60) -> None:
        self.stop.set()
        for proc in self._procs:
            proc.join(timeout)
        for thread in self._threads:
            thread.join(timeout)


def supervise(pool: Pool, journal: Journal, tick: Callable[[], None], poll: float = 0.5) -> None:
    """Run the pool until the journal shows nothing left for this run (or every worker has
    stopped), calling `tick` (progress bars, snapshots) on the way."""
    pool.start(journal)
    try:
        while pool.alive():
            tick()
            if journal.pending() == 0:
                break
            time.sleep(poll)
    finally:
        pool.close()
        tick()

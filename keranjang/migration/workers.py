"""Workers: several merchants moved at once, each by one worker at a time.

Work is handed out by the journal itself (`claims`): a worker claims the first move (in the
plan's order) that is ready and not held, with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL,
or a batch of small merchants in one phase, and writes its name and a lease (`worker`,
`lease_until`) in the same transaction. It renews the lease while the engine works; a worker
that stalls or dies stops renewing, its lease lapses, and another worker takes the merchant over
(every phase of the engine is idempotent, so the newcomer resumes where the journal says). SQLite
has one writer at a time: one worker. Why not a job queue such as procrastinate: the merchant's
phase, position and results must be in the journal anyway; a second queue would be a second
record to keep consistent with it, for no gain (README.md, "The migration").

A batch goes on while its merchants do: one that is refused (not confirmed, over the pause
budget, a mismatch) leaves the batch with its own outcome and the others go on; a failure of
the whole batch splits it (`Journal.split`: one by one from then on).
"""

import importlib
import multiprocessing
import multiprocessing.process
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from keranjang.infra.clock import SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.infra.logs import configure_logging
from keranjang.migration.claims import CLAIMABLE, IN_FLIGHT, Claim, Journal, Outcome, Rules
from keranjang.migration.config import MigrationSettings
from keranjang.migration.errors import MigrationError, NotConfirmed, OverBudget
from keranjang.migration.phases import Phase
from keranjang.migration.service import Mover

log = structlog.get_logger(__name__)
SAME_PHASE_ROUNDS = 20
__all__ = ["CLAIMABLE", "IN_FLIGHT", "Claim", "Journal", "Outcome", "Pool", "Rules", "Worker"]


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
        """Take one move (or a batch) and carry it as far as it goes now; False if nothing
        was ready."""
        claim = self.journal.claim(self.name)
        if claim is None:
            return False
        with LeaseKeeper(self.journal, claim.seller_ids, self.name):
            outcomes = self._advance(claim)
        self.journal.release_all(outcomes, self.name)
        return True

    def _advance(self, claim: Claim) -> dict[int, Outcome]:
        """Advance the claimed moves phase after phase; each one's outcome."""
        phase, going = claim.phase, list(claim.seller_ids)
        outcomes: dict[int, Outcome] = {}
        again = 0
        while going and phase.value in self.journal.claimable() and not self.stop.is_set():
            try:
                results = self._step(going)
            except Exception as exc:  # the whole batch: recorded, tried again, never lost
                return outcomes | self._batch_failed(going, exc)
            for seller, result in results.items():
                if isinstance(result, Exception):
                    outcomes[seller] = self._refused(phase, result)
            phases = {s: r for s, r in results.items() if isinstance(r, Phase)}
            going = [s for s in going if s in phases]
            reached = {phases[s] for s in going}
            if len(reached) > 1:  # not one phase any more: each goes on in a claim of its own
                return outcomes | {s: Outcome(phases[s], None) for s in going}
            # The same phase again: work done but not finished (a copy in slices, a lag
            # not yet small). Go on a while, then let other merchants have the worker.
            now = reached.pop() if reached else phase
            again = again + 1 if now == phase else 0
            if again >= SAME_PHASE_ROUNDS:
                later = self.journal.clock.now() + self.journal.rules.after_abandoned_cutover
                return outcomes | {s: Outcome(now, later) for s in going}
            phase = now
        return outcomes | {s: Outcome(phase, None) for s in going}

    def _step(self, going: list[int]) -> dict[int, Phase | MigrationError]:
        if len(going) == 1:
            try:
                return {going[0]: self.mover.advance(going[0])}
            except (NotConfirmed, OverBudget, MigrationError) as exc:
                return {going[0]: exc}
        return self.mover.advance_batch(going)

    def _refused(self, phase: Phase, exc: Exception) -> Outcome:
        rules, now = self.journal.rules, self.journal.clock.now
        if isinstance(exc, NotConfirmed):
            return Outcome(phase, now() + rules.wait_for_consent, str(exc))
        if isinstance(exc, OverBudget):
            later = now() + rules.after_abandoned_cutover
            return Outcome(phase, later, str(exc), abandoned=not exc.left)
        return self._failed(exc)

    def _batch_failed(self, going: list[int], exc: Exception) -> dict[int, Outcome]:
        if not isinstance(exc, MigrationError):
            log.exception("migration_worker_failed", seller_ids=going)
        if len(going) > 1:
            self.journal.split(going, f"{type(exc).__name__}: {exc}")
        return dict.fromkeys(going, self._failed(exc))

    def _failed(self, exc: Exception) -> Outcome:
        message = f"{type(exc).__name__}: {exc}"
        retry = self.journal.clock.now() + self.journal.rules.after_failure
        return Outcome(None, retry, message, failed=True)


class LeaseKeeper:
    """Renews a claim's lease on a thread of its own while the engine works (a third of the
    lease at a time), so only a stalled or dead worker's lease lapses."""

    def __init__(self, journal: Journal, seller_ids: tuple[int, ...], worker: str) -> None:
        self.journal, self.seller_ids, self.worker = journal, seller_ids, worker
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
                if not self.journal.renew(self.seller_ids, self.worker):
                    self.lost = True
                    log.warning(
                        "migration_lease_lost", seller_ids=self.seller_ids, worker=self.worker
                    )
                    return
            except Exception:  # the journal away for a moment: the next round tries again
                log.exception("migration_lease_renewal_failed", seller_ids=self.seller_ids)


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
    rules: Rules = field(default_factory=Rules)
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
    """The body of one worker process: its own engine on the journal, its own mover. Ctrl-C
    (sent to the whole process group) and SIGTERM stop it between steps, as `stop` does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent hears it and sets `stop`
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # A spawned process starts with structlog's defaults, which print to standard output:
    # there a worker's warning broke `migrate run --json`'s answer. Logs go where the
    # command's own go.
    configure_logging(to_stderr=True)
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


def supervise(
    pool: Pool, journal: Journal, tick: Callable[[], None], poll: float = 0.5
) -> str | None:
    """Run the pool until the journal shows nothing left for this run (or every worker has
    stopped), calling `tick` (progress bars, snapshots) on the way. Ctrl-C or SIGTERM stops it
    cleanly: every worker finishes the step it is in (each step is written to the journal
    whole, or repeats harmlessly) and takes no other; answers the signal's name, if one came."""
    with Interrupted(pool) as interrupted:
        pool.start(journal)
        try:
            while pool.alive() and interrupted.by is None:
                tick()
                if journal.over():
                    break
                time.sleep(poll)
        finally:
            pool.close()
            tick()
    return interrupted.by


class Interrupted:
    """SIGINT and SIGTERM, while the pool runs, set its stop instead of killing the run (in the
    main thread only: a signal handler can be installed nowhere else)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.by: str | None = None
        self._before: dict[int, Any] = {}

    def __enter__(self) -> "Interrupted":
        if threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self._before[number] = signal.signal(number, self._stop)
        return self

    def _stop(self, number: int, _frame: object) -> None:
        self.by = signal.Signals(number).name
        self.pool.stop.set()

    def __exit__(self, *_: object) -> None:
        for number, handler in self._before.items():
            signal.signal(number, handler)

"""The load generator: workers on one asyncio event loop, each running an operation back to back
(a closed loop) or on a fixed schedule (an open, paced loop), with one phase's shape given by a
`LoadSettings`; only operations ending in the measured window count, and the window's CPU is
taken with `bench.kit.cpu`."""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, TypeVar

from bench.kit.cpu import CpuSnapshot, cpu_usage
from bench.kit.errors import OpFailed

W = TypeVar("W")
# One operation of a worker: its state (client, buyer, ...) and its random generator in; the
# durations of its steps (seconds) out. Raises OpFailed (or anything) when it fails.
Op = Callable[[W, random.Random], Awaitable[dict[str, float]]]


@dataclass(frozen=True)
class LoadSettings:
    """One phase of load.

    `connections` workers; `warmup` seconds of unmeasured load, then a window of `seconds`.
    With `rate`, the loop is open: operations start on a fixed schedule of `rate` per second,
    taken in turn by whichever worker is free, and latency counts from the *scheduled* start, so
    a server that falls behind is charged for the queue it builds (no coordinated omission).
    With `latency_step`, an operation's latency is that step's duration (to leave out a
    preparatory step) instead of its start to its end. With `pg_databases`, PostgreSQL's CPU is
    that of those databases (see bench.kit.cpu)."""

    name: str
    unit: str
    connections: int
    warmup: float
    seconds: float
    rate: float | None = None
    latency_step: str | None = None
    pg_databases: Sequence[str] = ()


@dataclass
class PhaseResult:
    name: str
    unit: str
    connections: int
    seconds: float
    completed: int
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: int
    error_samples: list[str]
    cpu: dict[str, Any]
    step_p50_ms: dict[str, float] = field(default_factory=dict)
    step_p99_ms: dict[str, float] = field(default_factory=dict)
    # PostgreSQL only: new database connections per second (pool churn shows up here).
    db_sessions_per_s: float | None = None
    # Ops completed in the whole phase: warm-up, window and the drain after it.
    completed_all: int = 0


class Observed(Protocol):
    """What the load generator watches while it loads a system."""

    # name -> pid of each server process, for the CPU table
    server_pids: dict[str, int]
    # "postgresql" adds PostgreSQL's processes to the CPU table
    database: str
    # PostgreSQL only: sessions ever opened on the bench databases (connection churn)
    db_sessions: Callable[[], int | None] | None


def pct(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


class LatencyFigures(TypedDict):
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float


def latency_figures(latencies: list[float]) -> LatencyFigures:
    """p50, p90, p99, max and mean (ms) of an ascending list, rounded as reported."""
    return {
        "p50_ms": round(pct(latencies, 50), 2),
        "p90_ms": round(pct(latencies, 90), 2),
        "p99_ms": round(pct(latencies, 99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else float("nan"),
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else float("nan"),
    }


Record = tuple[float, float, dict[str, float]]  # (start, end, step durations)


@dataclass
class _Window:
    """What was seen while the load ran: the window's snapshots and session counts."""

    before: CpuSnapshot
    after: CpuSnapshot
    sessions_before: int | None
    sessions_after: int | None


class _Loop:
    """The workers of one phase and what they recorded."""

    def __init__(self, settings: LoadSettings, op: Op[W], worker_state: Callable[[int], W]):
        self.settings = settings
        self.op = op
        self.worker_state = worker_state
        self.stop = False
        self.records: list[Record] = []
        self.errors: Counter[str] = Counter()
        self.schedule_start = time.perf_counter() + 0.01
        self.slots = itertools.count()

    async def _scheduled_start(self) -> float:
        """Now (closed loop), or the next slot of the schedule, waited for (paced)."""
        rate = self.settings.rate
        if rate is None:
            return time.perf_counter()
        started = self.schedule_start + next(self.slots) / rate
        if (delay := started - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        return started

    async def worker(self, seed: int) -> None:
        rng = random.Random(seed)
        mine = self.worker_state(seed)
        while not self.stop:
            started = await self._scheduled_start()
            if self.stop:
                break
            try:
                steps = await self.op(mine, rng)
            except OpFailed as exc:
                self.errors[str(exc)] += 1
            except Exception as exc:  # a transport error is a failed op, reported, not fatal
                self.errors[f"{type(exc).__name__}: {exc}"[:200]] += 1
            else:
                self.records.append((started, time.perf_counter(), steps))
                continue
            await asyncio.sleep(0.05)  # do not spin on a server that refuses at once


async def _watch(loop: _Loop, system: Observed) -> _Window:
    """Runs the workers through the warm-up and the window, then stops them."""
    s = loop.settings
    tasks = [asyncio.create_task(loop.worker(i)) for i in range(s.connections)]
    try:
        await asyncio.sleep(s.warmup)
        counter = system.db_sessions
        # The counter opens a database connection: off the event loop, not to stall the load.
        sessions_before = await asyncio.to_thread(counter) if counter else None
        before = CpuSnapshot.take()
        await asyncio.sleep(s.seconds)
        after = CpuSnapshot.take()
        sessions_after = await asyncio.to_thread(counter) if counter else None
        loop.stop = True
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    finally:
        for t in tasks:
            t.cancel()
    return _Window(before, after, sessions_before, sessions_after)


def _result(loop: _Loop, seen: _Window, system: Observed) -> PhaseResult:
    s = loop.settings
    before, after = seen.before, seen.after
    window = [(st, e, steps) for st, e, steps in loop.records if before.at <= e <= after.at]
    wall = after.at - before.at
    step = s.latency_step
    latencies = sorted(1000 * (steps[step] if step else e - st) for st, e, steps in window)
    names = sorted({k for _, _, steps in window for k in steps})
    by_step = {k: sorted(steps[k] * 1000 for _, _, steps in window if k in steps) for k in names}
    cpu = cpu_usage(
        before,
        after,
        system.server_pids,
        with_postgres=system.database == "postgresql",
        pg_databases=s.pg_databases,
    )
    churn = None
    if seen.sessions_before is not None and seen.sessions_after is not None:
        churn = round((seen.sessions_after - seen.sessions_before) / wall, 1)
    return PhaseResult(
        name=s.name,
        unit=s.unit,
        connections=s.connections,
        seconds=round(wall, 3),
        completed=len(window),
        per_second=round(len(window) / wall, 1),
        **latency_figures(latencies),
        errors=sum(loop.errors.values()),
        error_samples=[f"{n} x {msg}" for msg, n in loop.errors.most_common(5)],
        cpu=cpu,
        db_sessions_per_s=churn,
        step_p50_ms={k: round(pct(v, 50), 2) for k, v in by_step.items()},
        step_p99_ms={k: round(pct(v, 99), 2) for k, v in by_step.items()},
        completed_all=len(loop.records),
    )


async def closed_loop(
    settings: LoadSettings, op: Op[W], worker_state: Callable[[int], W], system: Observed
) -> PhaseResult:
    """`settings.connections` workers each run `op` (see LoadSettings for the shape of the
    phase); only ops ending in the window count.

    Worker `i` passes `worker_state(i)` to every op it runs (its client, its buyer, ...). An op
    returns the durations of its steps."""
    loop = _Loop(settings, op, worker_state)
    seen = await _watch(loop, system)
    return _result(loop, seen, system)


def event_loop_factory(no_uvloop: bool) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop unless refused or not installed (then asyncio's default: None)."""
    if no_uvloop:
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop

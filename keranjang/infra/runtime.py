"""How a service uses its process: worker threads sized to the database pool, garbage-collector
settings for a long-running server, and periodic background jobs."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import anyio.to_thread
import structlog

from keranjang.infra.leadership import JobLeader

if TYPE_CHECKING:  # the web framework is not imported by code that only builds services
    from fastapi import FastAPI

# Sync endpoints run on this many threads; the database pool holds as many connections, so no
# thread ever waits for one (and fewer threads contend less for the interpreter lock: 8 instead
# of 16 gave the checkout benchmark about 6 % more checkouts per second and a lower p99).
WORKER_THREADS = 8
GC_YOUNG_THRESHOLD = 20_000
log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PeriodicJob:
    """A blocking function run on a worker thread every `every_seconds` (0 turns it off)."""

    name: str
    every_seconds: float
    run: Callable[[], object]


async def _repeat(job: PeriodicJob, leader: JobLeader | None) -> None:
    while True:
        await asyncio.sleep(job.every_seconds)
        try:
            if leader is not None and not await anyio.to_thread.run_sync(leader.leads):
                continue  # another process of this service runs the jobs
            result = await anyio.to_thread.run_sync(job.run)
        except Exception as exc:  # a failed round is logged and retried next round
            log.warning("periodic_job_failed", job=job.name, error=str(exc))
        else:
            log.info("periodic_job_done", job=job.name, result=result)


def lifespan(
    jobs: Sequence[PeriodicJob] = (), leader: JobLeader | None = None
) -> "Callable[[FastAPI], AbstractAsyncContextManager[None]]":
    """Runtime settings, and the periodic jobs, run only while `leader` leads (when given)."""

    @asynccontextmanager
    async def run(_app: "FastAPI") -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        # Everything allocated while starting (modules, app, compiled statements, templates)
        # lives as long as the process: keep it out of the garbage collector's scans.
        gc.freeze()
        # Requests allocate many short-lived objects; collecting young objects less often
        # trades a little memory for fewer pauses in the middle of requests.
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
        tasks = [asyncio.create_task(_repeat(j, leader)) for j in jobs if j.every_seconds > 0]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if leader is not None:
                await anyio.to_thread.run_sync(leader.close)

    return run


async def call_blocking(engine_dialect: str, fn: Callable[[], T]) -> T:
    """Run a short unit of database work from an async endpoint.

    SQLite work is in-process and CPU-bound, so it runs inline: a hop to a worker thread would
    cost more than the work (measured on the hand-off, bench/README.md). Work on a networked
    database waits for round trips, so it goes to a worker thread and the event loop keeps serving.
    """
    if engine_dialect == "sqlite":
        return fn()
    return await anyio.to_thread.run_sync(fn)

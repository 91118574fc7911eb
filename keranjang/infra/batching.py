"""Group commit: units of work that arrive together are done together.

A `Batcher` hands every item submitted to it to one worker thread, which takes all the items
waiting at that moment (up to `max_batch`) and runs them through one call of `run`, typically one
database transaction with one statement per table for the whole group. Under load the groups
grow by themselves (items queue while a group is in the database), so the cost of a transaction
(round trips, the commit's flush to disk, the Python around each statement) is paid once per
group instead of once per item. An idle batcher costs nothing: its thread ends after
`idle_seconds` and the next item starts a new one.

`run` answers one result per item, in order: a value, or an exception for that item alone.
If `run` itself raises, every item of the group fails with that exception.
"""

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class _Job(Generic[In, Out]):
    item: In
    done: "Future[Out]"


class Batcher(Generic[In, Out]):
    def __init__(
        self,
        name: str,
        run: Callable[[Sequence[In]], Sequence[Out | BaseException]],
        *,
        max_batch: int = 64,
        idle_seconds: float = 5.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.name = name
        self.run = run
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_Job[In, Out]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, item: In) -> "Future[Out]":
        job: _Job[In, Out] = _Job(item, Future())
        with self._lock:  # the worker only ends under this lock, after seeing an empty queue
            self._queue.put(job)
            self._start_worker()
        return job.done

    def __call__(self, item: In) -> Out:
        """Submit and wait (from a thread that may block)."""
        return self.submit(item).result()

    async def call(self, item: In) -> Out:
        """Submit and wait without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(item))

    def _serve(self) -> None:
        try:
            while self._serve_one():
                pass
        finally:  # whatever ended this worker, the next item starts another
            with self._lock:
                if self._worker is threading.current_thread():
                    self._worker = None
                if not self._queue.empty():
                    self._start_worker()

    def _start_worker(self) -> None:
        """A worker, unless one is running (call under the lock). If starting it fails, none is
        recorded: the next item tries again."""
        if self._worker is None:
            worker = threading.Thread(target=self._serve, name=self.name, daemon=True)
            worker.start()
            self._worker = worker

    def _serve_one(self) -> bool:
        """Run the next group; False when the worker has been idle long enough to end."""
        try:
            first = self._queue.get(timeout=self.idle_seconds)
        except queue.Empty:
            with self._lock:
                if self._queue.empty():
                    self._worker = None
                    return False
            return True
        group = [first]
        while len(group) < self.max_batch:
            try:
                group.append(self._queue.get_nowait())
            except queue.Empty:
                break
        # A caller that gave up waiting (its future cancelled) is left out of the group.
        self._run([job for job in group if job.done.set_running_or_notify_cancel()])
        return True

    def _run(self, group: list[_Job[In, Out]]) -> None:
        if not group:
            return
        try:
            results = self.run([job.item for job in group])
            if len(results) != len(group):
                raise RuntimeError(f"{self.name}: {len(results)} results for {len(group)} items")
        except BaseException as exc:  # every waiting caller must hear of it
            for job in group:
                job.done.set_exception(exc)
            return
        for job, result in zip(group, results, strict=True):
            if isinstance(result, BaseException):
                job.done.set_exception(result)
            else:
                job.done.set_result(result)

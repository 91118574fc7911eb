"""The group-commit batcher: items waiting together are run together, each gets its own result."""

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import pytest

from keranjang.infra.batching import Batcher


def test_items_that_wait_together_are_run_as_one_group() -> None:
    groups: list[list[int]] = []
    release = threading.Event()

    def run(items: Sequence[int]) -> list[int]:
        groups.append(list(items))
        release.wait(5)  # the first group holds the worker while the others queue up
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher("test", run, max_batch=4)
    first = batcher.submit(0)
    while not groups:
        time.sleep(0.001)
    later = [batcher.submit(i) for i in range(1, 7)]
    release.set()

    assert [f.result(5) for f in [first, *later]] == [0, 10, 20, 30, 40, 50, 60]
    assert groups == [[0], [1, 2, 3, 4], [5, 6]]


def test_an_item_can_fail_alone_and_a_failed_run_fails_its_whole_group() -> None:
    def run(items: Sequence[int]) -> list[int | BaseException]:
        if 99 in items:
            raise RuntimeError("the database went away")
        return [ValueError(f"{i} is odd") if i % 2 else i for i in items]

    batcher: Batcher[int, int] = Batcher("test", run)
    assert batcher(2) == 2
    with pytest.raises(ValueError, match="3 is odd"):
        batcher(3)
    with pytest.raises(RuntimeError, match="went away"):
        batcher(99)
    assert batcher(4) == 4  # the worker goes on after a failed group


def test_a_run_that_answers_too_few_results_fails_the_group() -> None:
    batcher: Batcher[int, int] = Batcher("test", lambda items: [])
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        batcher(1)


def test_an_idle_worker_ends_and_the_next_item_starts_another() -> None:
    batcher: Batcher[int, int] = Batcher("idle-test", lambda items: list(items), idle_seconds=0.05)
    assert batcher(1) == 1
    deadline = time.monotonic() + 5
    while any(th.name == "idle-test" for th in threading.enumerate()):
        assert time.monotonic() < deadline, "the idle worker did not end"
        time.sleep(0.01)
    assert batcher(2) == 2


def test_async_callers_wait_without_blocking_the_event_loop() -> None:
    batcher: Batcher[int, int] = Batcher("test", lambda items: [i + 1 for i in items])

    async def main() -> list[int]:
        return list(await asyncio.gather(*(batcher.call(i) for i in range(20))))

    # A thread of its own: another test's event loop may still be running in this one.
    answers: list[list[int]] = []
    runner = threading.Thread(target=lambda: answers.append(asyncio.run(main())))
    runner.start()
    runner.join(10)
    assert answers == [list(range(1, 21))]


def in_own_loop(coro_factory: Callable[[], Coroutine[Any, Any, str]]) -> list[str]:
    """Run a coroutine on a thread of its own (another test's loop may run on this one)."""
    out: list[str] = []
    runner = threading.Thread(target=lambda: out.append(asyncio.run(coro_factory())))
    runner.start()
    runner.join(10)
    return out


def test_a_cancelled_async_waiter_does_not_stop_the_worker_nor_lose_its_groupmates() -> None:
    """A caller that gives up waiting (its task cancelled: a timeout, a shutdown) while its
    group runs is left out; the others of the group, the next group and later items are
    answered."""
    started, release = threading.Event(), threading.Event()

    def run(items: Sequence[int]) -> list[int]:
        started.set()
        release.wait(5)
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher("cancel-test", run, idle_seconds=0.2)

    async def main() -> str:
        waiter = asyncio.ensure_future(batcher.call(1))  # the first of the group: will give up
        await asyncio.sleep(0)  # submitted
        groupmate = batcher.submit(2)  # waits in the queue behind it
        await asyncio.to_thread(started.wait, 5)
        groupmate2 = batcher.submit(3)  # the next group
        waiter.cancel()
        await asyncio.sleep(0.05)
        release.set()
        try:
            await asyncio.wait_for(asyncio.wrap_future(groupmate), 3)
            await asyncio.wait_for(asyncio.wrap_future(groupmate2), 3)
        except TimeoutError:
            return "the other items of the batcher were never answered"
        return "answered"

    assert in_own_loop(main) == ["answered"]
    # And the batcher still serves new items afterwards.
    later = batcher.submit(4)
    assert later.result(3) == 40

"""The group-commit batcher: items waiting together are run together, each gets its own result."""

import asyncio
import threading
import time
from collections.abc import Sequence

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

"""Running a coroutine from a test whatever runs on the main thread: the browser tests' Playwright
(sync API) keeps an event loop on the main thread for the whole session, and `asyncio.run`
refuses to start a second one there."""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)` on a thread of its own; its result, or its exception raised here."""
    result: list[T] = []
    error: list[BaseException] = []

    def main() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:  # re-raised on the caller's thread below
            error.append(exc)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]

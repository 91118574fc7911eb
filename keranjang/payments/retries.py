"""Retrying a partner call that is safe to repeat (a lookup, a refund with its key, a create
with an idempotency key): after each delay, when the partner could not be reached or answered
that the trouble is its own. A call that is not safe to repeat gets no delays: one try."""

import time
from collections.abc import Callable, Sequence

import httpx

from keranjang.payments.errors import PartnerUnavailable


def with_retries(
    send: Callable[[], httpx.Response],
    delays: Sequence[float],
    failed: Callable[[httpx.Response], bool],
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """`send` once, then once more after each delay while it raises `PartnerUnavailable` or its
    answer `failed`; the last try's answer (or error) is the result."""
    for delay in (*delays, None):
        try:
            response = send()
        except PartnerUnavailable:
            if delay is None:
                raise
        else:
            if delay is None or not failed(response):
                return response
        sleep(delay)
    raise AssertionError("unreachable: the last try returns or raises")

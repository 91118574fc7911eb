"""The prepared carts: before each checkout window, an unmeasured pass puts one product in the
cart of every buyer of every lane's pool."""

from __future__ import annotations

import asyncio
import collections
import math
import random
import time
from typing import Any

from bench.checkout.api import Api, brief
from bench.checkout.options import Options
from bench.checkout.shop import Buyer, Lane, Shop, add_buyers
from bench.checkout.system import System
from bench.kit.errors import BenchError, OpFailed
from bench.kit.load import pct


async def add_to_cart(api: Api, buyer: Buyer, product_id: int) -> None:
    status, cart = await api.call(
        "PUT", f"/api/cart/items/{product_id}", {"quantity": 1}, token=buyer.token
    )
    lines = cart.get("lines", []) if isinstance(cart, dict) else []
    if status != 200 or not any(line.get("product_id") == product_id for line in lines):
        raise OpFailed(f"cart answered {status}: {brief(cart)}")


def pool_size(options: Options, rate: float) -> int:
    """Prepared buyers per virtual buyer for a warm-up and a window at `rate` checkouts/s, with
    half again as many for the drain and the noise."""
    window = options.warmup + options.seconds + 1
    return math.ceil(window * rate * 1.5 / options.connections)


async def _buyers_to_fill(system: System, shop: Shop, per_lane: int) -> list[tuple[Lane, Buyer]]:
    """The buyers each lane lacks to have `per_lane` ready: its checked-out buyers first, then
    new ones (see add_buyers)."""
    missing = sum(max(0, per_lane - len(lane.ready) - len(lane.spent)) for lane in shop.lanes)
    fresh = await asyncio.to_thread(add_buyers, system, shop, missing) if missing else []
    todo: list[tuple[Lane, Buyer]] = []
    for lane in shop.lanes:
        for _ in range(per_lane - len(lane.ready)):
            todo.append((lane, lane.spent.pop() if lane.spent else fresh.pop()))
    return todo


async def fill_carts(
    system: System, api: Api, shop: Shop, per_lane: int, rng: random.Random
) -> dict[str, Any]:
    """The unmeasured pass before a checkout window: every lane gets `per_lane` buyers with one
    product (at random) in their cart, as many at a time as there are lanes, refilling the
    buyers it checked out before and adding buyers when it has too few. Answers the cart-add
    latencies of the pass."""
    added = shop.pool_buyers
    todo = await _buyers_to_fill(system, shop, per_lane)
    latencies: list[float] = []
    queue = collections.deque(todo)
    started = time.perf_counter()

    async def filler() -> None:
        while queue:
            lane, buyer = queue.popleft()
            t0 = time.perf_counter()
            try:
                await add_to_cart(api, buyer, rng.choice(shop.products))
            except OpFailed as exc:
                raise BenchError(f"filling the carts: {exc}") from exc
            latencies.append(1000 * (time.perf_counter() - t0))
            lane.ready.append(buyer)

    await asyncio.gather(*(filler() for _ in range(min(len(shop.lanes), len(todo)) or 1)))
    latencies.sort()
    return {
        "carts_filled": len(latencies),
        "buyers_per_lane": per_lane,
        "buyers_added": shop.pool_buyers - added,
        "seconds": round(time.perf_counter() - started, 2),
        "cart_p50_ms": round(pct(latencies, 50), 2),
        "cart_p99_ms": round(pct(latencies, 99), 2),
    }

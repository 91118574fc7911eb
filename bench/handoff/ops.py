"""What one worker does per iteration: a `/healthz` call (the baseline), or a whole hand-off
(social's yellow cart, then commerce's landing)."""

from __future__ import annotations

import random
import time
from urllib.parse import urljoin

from bench.handoff.clients import Client
from bench.kit.errors import OpFailed
from bench.kit.load import Op

PRODUCT_MARKER = 'data-testid="product-page"'


def healthz_op(url: str) -> Op[Client]:
    async def op(client: Client, _rng: random.Random) -> dict[str, float]:
        r = await client.get(url, body=True)
        if r.status != 200 or '"ok"' not in r.body:
            raise OpFailed(f"healthz answered {r.status}: {r.body[:120]}")
        return {}

    return op


def handoff_op(social_url: str, pins: list[int]) -> Op[Client]:
    """GET social's `/cart/{pin}` for a random pin (no redirect following: must answer 302 to
    `/handoff?token=`), then GET that Location on commerce (must redeem the token and answer 303
    to the product's own `/products/{id}`), then GET the product page (must answer 200 with the
    product). Steps: `cart_302`, `landing_303`, `product_200`."""

    async def op(client: Client, rng: random.Random) -> dict[str, float]:
        t0 = time.perf_counter()
        cart = await client.get(f"{social_url}/cart/{rng.choice(pins)}", body=False)
        t1 = time.perf_counter()
        location = cart.headers.get("location", "")
        if cart.status != 302 or "/handoff?token=" not in location:
            raise OpFailed(f"cart answered {cart.status} (Location {location[:80]!r})")
        landing = await client.get(location, body=False)
        t2 = time.perf_counter()
        target = landing.headers.get("location", "")
        if landing.status != 303 or not target.startswith("/products/"):
            raise OpFailed(f"hand-off landing answered {landing.status} (Location {target!r})")
        page = await client.get(urljoin(location, target), body=True)
        t3 = time.perf_counter()
        if page.status != 200 or PRODUCT_MARKER not in page.body:
            raise OpFailed(f"product page answered {page.status}: {page.body[:120]!r}")
        return {"cart_302": t1 - t0, "landing_303": t2 - t1, "product_200": t3 - t2}

    return op

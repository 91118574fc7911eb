"""One checkout, as a buyer does it: the checkout request with a fresh Idempotency-Key and a
shipping address, and the payment (in that request, or one request per order)."""

from __future__ import annotations

import json
import random
import secrets
import time
from typing import Any

from bench.checkout.api import Api, brief
from bench.checkout.carts import add_to_cart
from bench.checkout.shop import Lane, Shop, Tally
from bench.kit.errors import BenchError, OpFailed
from bench.kit.load import Op

PAYMENT_METHOD = "virtual_account"
ADDRESS = {
    "recipient": "Pembeli Bench",
    "phone": "+6281234567890",
    "street": "Jl. Malioboro No. 52",
    "city": "Yogyakarta",
    "postal_code": "55213",
}


def checkout_body(inline_payment: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"shipping_address": ADDRESS}
    if inline_payment:
        body["payment_method"] = PAYMENT_METHOD
    return body


def idempotency_key() -> str:
    return "bench-" + secrets.token_hex(12)


def placed_orders(status: int, answer: Any, tally: Tally) -> list[dict[str, Any]]:
    if status != 201 or not isinstance(answer, dict) or not answer.get("orders"):
        raise OpFailed(f"checkout answered {status}: {brief(answer)}")
    orders: list[dict[str, Any]] = answer["orders"]
    tally.orders += len(orders)
    tally.units += sum(line["quantity"] for order in orders for line in order["lines"])
    return orders


async def _check_out(api: Api, token: str, inline_payment: bool) -> tuple[int, Any]:
    return await api.call(
        "POST",
        "/api/checkout",
        checkout_body(inline_payment),
        token=token,
        headers={"Idempotency-Key": idempotency_key()},
    )


async def _pay(api: Api, token: str, orders: list[dict[str, Any]], tally: Tally) -> None:
    """A payment request per order, each of which must answer 200 with the payment."""
    for order in orders:
        status, payment = await api.call(
            "POST", f"/api/orders/{order['id']}/payment", {"method": PAYMENT_METHOD}, token=token
        )
        if status != 200 or not isinstance(payment, dict):
            raise OpFailed(f"payment answered {status}: {brief(payment)}")
        tally.payments += 1


def checkout_op(api: Api, products: list[int], inline_payment: bool, tally: Tally) -> Op[Lane]:
    """Checkout and payment for the lane's next prepared buyer (cart filled beforehand). Steps:
    `checkout` (what the buyer waits for from pressing "pay": the checkout request and the
    payment requests, if separate), `checkout_request`, `payment_request`. A lane whose pool ran
    dry fills the cart of a checked-out buyer in the window (counted in `Lane.dry`, reported:
    the pool was too small for the rate), so the loop keeps its concurrency."""

    async def op(lane: Lane, rng: random.Random) -> dict[str, float]:
        if lane.ready:
            buyer = lane.ready.popleft()
        else:
            lane.dry += 1
            buyer = lane.spent.pop(0)
            await add_to_cart(api, buyer, rng.choice(products))
        lane.spent.append(buyer)
        t1 = time.perf_counter()
        status, answer = await _check_out(api, buyer.token, inline_payment)
        t2 = time.perf_counter()
        orders = placed_orders(status, answer, tally)
        if inline_payment:
            if any(not isinstance(o.get("payment"), dict) for o in orders):
                raise OpFailed(f"checkout answered orders without a payment: {brief(answer)}")
            tally.payments += len(orders)
        else:
            await _pay(api, buyer.token, orders, tally)
        t3 = time.perf_counter()
        tally.checkouts += 1
        steps = {"checkout": t3 - t1, "checkout_request": t2 - t1}
        if not inline_payment:
            steps["payment_request"] = t3 - t2
        return steps

    return op


async def probe_inline_payment(api: Api, shop: Shop, tally: Tally) -> bool:
    """Does commerce take `payment_method` in the checkout body? One checkout tells: a 422
    naming the field means not yet (and the probe's cart is emptied again, so that every
    measured checkout has one line); a 201 must then answer a payment with each order."""
    buyer, product = shop.buyers[0], shop.products[0]
    try:
        await add_to_cart(api, buyer, product)
    except OpFailed as exc:
        raise BenchError(f"the first cart request failed: {exc}") from exc
    status, answer = await _check_out(api, buyer.token, True)
    if status == 422 and "payment_method" in json.dumps(answer):
        status, cart = await api.call(
            "PUT", f"/api/cart/items/{product}", {"quantity": 0}, token=buyer.token
        )
        if status != 200 or not isinstance(cart, dict) or cart.get("lines"):
            raise BenchError(f"emptying the probe's cart answered {status}: {brief(cart)}")
        return False
    try:
        orders = placed_orders(status, answer, tally)
    except OpFailed as exc:
        raise BenchError(f"probing `payment_method` in the checkout body: {exc}") from exc
    if not all(isinstance(o.get("payment"), dict) for o in orders):
        raise BenchError(f"checkout took `payment_method` but answered no payment: {brief(answer)}")
    tally.payments += len(orders)
    tally.checkouts += 1
    return True

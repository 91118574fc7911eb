"""A buyer handed off by a creator's yellow cart keeps the attribution through sign-up, cart
and checkout: the order line names the hand-off, and only for the product it led to."""

from typing import Any

from sqlalchemy import select

from keranjang.commerce.attribution.db import AttributionRow
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.web.cookies import ATTRIBUTION_COOKIE
from tests.integration.conftest import HTML, System
from tests.integration.test_checkout import buyer, checkout, put_in_cart


def attributed_lines(system: System) -> list[tuple[int, int | None]]:
    with system.commerce_engine.connect() as conn:
        rows = conn.execute(
            select(order_db.OrderLineRow.product_id, order_db.OrderLineRow.attribution_id).order_by(
                order_db.OrderLineRow.product_id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def handed_off(system: System) -> tuple[dict[str, Any], int]:
    pin = system.pinned_product()
    landing = system.commerce.get(system.click_cart(pin["id"]), headers=HTML)
    # Redeemed, then sent to the product's own address with the attribution in the cookie.
    assert [r.status_code for r in landing.history] == [303]
    assert ATTRIBUTION_COOKIE in landing.history[0].cookies
    assert landing.url.path == f"/products/{pin['product']['product_id']}"
    with system.commerce_engine.connect() as conn:
        attribution_id = conn.scalar(select(AttributionRow.id))
    return pin, attribution_id  # type: ignore[return-value]


def test_the_handoff_follows_the_buyer_into_the_order(system: System) -> None:
    pin, attribution_id = handed_off(system)
    product_id = pin["product"]["product_id"]
    other = system.product(system.merchant("kopi-gayo", "Kopi Gayo"), title="Kopi", stock=5)
    auth = buyer(system)  # signs up after the hand-off; the browser keeps the cookie
    put_in_cart(system, auth, product_id, 1)
    put_in_cart(system, auth, other["id"], 1)
    assert checkout(system, auth).status_code == 201
    assert attributed_lines(system) == [(product_id, attribution_id), (other["id"], None)]


def test_a_forged_attribution_cookie_credits_nobody(system: System) -> None:
    pin, attribution_id = handed_off(system)
    system.commerce.cookies.set(ATTRIBUTION_COOKIE, f"{attribution_id}.forged.signature")
    auth = buyer(system)
    put_in_cart(system, auth, pin["product"]["product_id"], 1)
    checkout(system, auth)
    assert attributed_lines(system) == [(pin["product"]["product_id"], None)]


def test_an_attribution_past_its_window_credits_nobody(system: System) -> None:
    pin, _ = handed_off(system)
    system.clock.advance(days=7, seconds=1)
    auth = buyer(system)
    put_in_cart(system, auth, pin["product"]["product_id"], 1)
    checkout(system, auth)
    assert attributed_lines(system) == [(pin["product"]["product_id"], None)]


def test_inside_the_window_the_creator_is_still_credited(system: System) -> None:
    pin, attribution_id = handed_off(system)
    system.clock.advance(days=6, hours=23)
    auth = buyer(system)
    put_in_cart(system, auth, pin["product"]["product_id"], 1)
    checkout(system, auth)
    assert attributed_lines(system) == [(pin["product"]["product_id"], attribution_id)]

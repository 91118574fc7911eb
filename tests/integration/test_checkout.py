"""Buyers, the cart and checkout: stock holds, idempotency, order transitions and hold expiry."""

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from tests.integration.conftest import System

ADDRESS = {
    "recipient": "Siti Rahma",
    "phone": "+6281234567890",
    "street": "Jl. Merdeka No. 17",
    "city": "Bandung",
    "postal_code": "40111",
}


def buyer(system: System, email: str = "siti@example.com") -> dict[str, str]:
    r = system.commerce.post(
        "/api/buyers", json={"email": email, "name": "Siti", "password": "rahasia-sekali"}
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def put_in_cart(
    system: System, auth: dict[str, str], product_id: int, quantity: int
) -> dict[str, Any]:
    r = system.commerce.put(
        f"/api/cart/items/{product_id}", json={"quantity": quantity}, headers=auth
    )
    assert r.status_code == 200, r.text
    return r.json()


def checkout(system: System, auth: dict[str, str], key: str | None = None, **body: Any):  # type: ignore[no-untyped-def]
    headers = auth | {"Idempotency-Key": key or uuid.uuid4().hex}
    return system.commerce.post(
        "/api/checkout", json={"shipping_address": ADDRESS} | body, headers=headers
    )


def stock(system: System, product_id: int) -> int:
    with system.commerce_engine.connect() as conn:
        return conn.scalar(select(ProductRow.stock).where(ProductRow.id == product_id))  # type: ignore[return-value]


def count(system: System, table: type) -> int:
    with system.commerce_engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table)) or 0


def test_a_cart_across_merchants_becomes_one_order_per_merchant(system: System) -> None:
    batik = system.product(system.merchant("batik-sekar"), price_idr=350_000, stock=5)
    kopi = system.product(
        system.merchant("kopi-gayo", "Kopi Gayo"), title="Kopi Gayo", price_idr=95_000, stock=9
    )
    auth = buyer(system)
    put_in_cart(system, auth, batik["id"], 2)
    cart = put_in_cart(system, auth, kopi["id"], 3)
    assert cart["subtotal_idr"] == 2 * 350_000 + 3 * 95_000
    r = checkout(system, auth)
    assert r.status_code == 201, r.text
    placed = r.json()["orders"]
    assert [
        (o["merchant_id"], o["subtotal_idr"], o["shipping_idr"], o["total_idr"]) for o in placed
    ] == [
        (batik["merchant"]["id"], 700_000, 15_000, 715_000),
        (kopi["merchant"]["id"], 285_000, 15_000, 300_000),
    ]
    assert all(o["status"] == "awaiting_payment" for o in placed)
    assert (stock(system, batik["id"]), stock(system, kopi["id"])) == (3, 6)
    assert system.commerce.get("/api/cart", headers=auth).json()["lines"] == []
    assert count(system, order_db.OutboxRow) == 2 and count(system, order_db.OrderEventRow) == 2


def test_prices_are_fixed_at_checkout(system: System) -> None:
    product = system.product(system.merchant(), price_idr=100_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    order = checkout(system, auth).json()["orders"][0]
    with system.commerce_engine.begin() as conn:
        conn.execute(ProductRow.__table__.update().values(price_idr=999_000))
    with system.commerce_engine.connect() as conn:
        assert (
            conn.scalar(
                select(order_db.OrderRow.total_idr).where(order_db.OrderRow.id == order["id"])
            )
            == 115_000
        )


def test_the_same_key_and_body_give_the_same_answer_and_one_order(system: System) -> None:
    product = system.product(system.merchant(), stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 2)
    first = checkout(system, auth, key="checkout-key-1")
    again = checkout(system, auth, key="checkout-key-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert count(system, order_db.OrderRow) == 1 and stock(system, product["id"]) == 3


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(system: System) -> None:
    product = system.product(system.merchant(), stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    assert checkout(system, auth, key="checkout-key-2").status_code == 201
    put_in_cart(system, auth, product["id"], 1)
    other = checkout(
        system, auth, key="checkout-key-2", shipping_address=ADDRESS | {"city": "Medan"}
    )
    assert other.status_code == 422
    assert "different request body" in other.text
    assert count(system, order_db.OrderRow) == 1 and stock(system, product["id"]) == 4


def test_checkout_needs_a_key_and_a_valid_address(system: System) -> None:
    product = system.product(system.merchant(), stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    no_key = system.commerce.post("/api/checkout", json={"shipping_address": ADDRESS}, headers=auth)
    assert no_key.status_code == 422 and "idempotency-key" in no_key.text.lower()
    bad = checkout(system, auth, shipping_address=ADDRESS | {"postal_code": "4011"})
    assert bad.status_code == 422 and "postal_code" in bad.text
    assert count(system, order_db.OrderRow) == 0 and stock(system, product["id"]) == 5


def test_asking_for_more_than_is_left_refuses_the_whole_checkout(system: System) -> None:
    plenty = system.product(system.merchant(), title="Kain Batik", stock=10)
    scarce = system.product(system.merchant("kopi-gayo", "Kopi Gayo"), title="Kopi Langka", stock=1)
    auth = buyer(system)
    put_in_cart(system, auth, plenty["id"], 2)
    put_in_cart(system, auth, scarce["id"], 2)
    refused = checkout(system, auth, key="checkout-key-3")
    assert refused.status_code == 409
    assert "Kopi Langka" in refused.json()["detail"]
    assert (stock(system, plenty["id"]), stock(system, scarce["id"])) == (10, 1)
    assert count(system, order_db.OrderRow) == 0
    assert len(system.commerce.get("/api/cart", headers=auth).json()["lines"]) == 2
    assert checkout(system, auth, key="checkout-key-3").json() == refused.json()


def test_an_empty_cart_cannot_check_out(system: System) -> None:
    r = checkout(system, buyer(system))
    assert r.status_code == 422 and "cart is empty" in r.text


def test_unpaid_orders_expire_and_their_stock_comes_back(system: System) -> None:
    product = system.product(system.merchant(), stock=3)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 3)
    order = checkout(system, auth).json()["orders"][0]
    buying = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    system.clock.advance(minutes=29)
    assert buying.release_expired_holds() == 0 and stock(system, product["id"]) == 0
    system.clock.advance(minutes=2)
    assert buying.release_expired_holds() == 1
    assert stock(system, product["id"]) == 3
    assert buying.release_expired_holds() == 0 and stock(system, product["id"]) == 3
    with system.commerce_engine.connect() as conn:
        assert (
            conn.scalar(select(order_db.OrderRow.status).where(order_db.OrderRow.id == order["id"]))
            == "expired"
        )


def test_an_illegal_transition_is_refused_and_changes_nothing(system: System) -> None:
    from keranjang.commerce.errors import IllegalTransition

    product = system.product(system.merchant(), stock=3)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    order = checkout(system, auth).json()["orders"][0]
    buying = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    with pytest.raises(IllegalTransition, match="awaiting_payment cannot become shipped"):
        buying.transition(order["id"], OrderStatus.SHIPPED, "merchant:1")
    assert buying.transition(order["id"], OrderStatus.PAID, "partner:simulator") == "paid"
    assert buying.transition(order["id"], OrderStatus.SHIPPED, "merchant:1") == "shipped"
    with system.commerce_engine.connect() as conn:
        events = conn.execute(
            select(
                order_db.OrderEventRow.from_status,
                order_db.OrderEventRow.to_status,
                order_db.OrderEventRow.actor,
            ).order_by(order_db.OrderEventRow.id)
        ).all()
    assert [tuple(e) for e in events] == [
        (None, "awaiting_payment", "buyer:1"),
        ("awaiting_payment", "paid", "partner:simulator"),
        ("paid", "shipped", "merchant:1"),
    ]


def test_buyers_log_in_and_wrong_passwords_are_refused(system: System) -> None:
    buyer(system, "budi@example.com")
    ok = system.commerce.post(
        "/api/buyers/sessions", json={"email": "BUDI@example.com", "password": "rahasia-sekali"}
    )
    assert ok.status_code == 201
    wrong = system.commerce.post(
        "/api/buyers/sessions", json={"email": "budi@example.com", "password": "salah-salah-salah"}
    )
    assert wrong.status_code == 401
    again = system.commerce.post(
        "/api/buyers", json={"email": "budi@example.com", "name": "B", "password": "rahasia-sekali"}
    )
    assert again.status_code == 409
    assert system.commerce.get("/api/cart").status_code == 401

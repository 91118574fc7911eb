"""The seller center: a merchant fulfils and edits only its own shop; buyers see their orders."""

from typing import Any

from sqlalchemy import select

from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.orders.domain import OrderStatus
from tests.integration.conftest import System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.seller_pages import paid_through_partner
from tests.integration.test_checkout import buyer, checkout, put_in_cart


def shop_auth(merchant: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {merchant['token']}"}


def paid_order(
    system: System, merchant: dict[str, Any], quantity: int = 1, email: str = "siti@example.com"
) -> tuple[dict[str, Any], dict[str, str]]:
    product = system.product(merchant, stock=5)
    auth = buyer(system, email)
    put_in_cart(system, auth, product["id"], quantity)
    order = checkout(system, auth).json()["orders"][0]
    system.commerce.app.state.commerce.buying.transition(
        order["id"], OrderStatus.PAID, "partner:test"
    )  # type: ignore[attr-defined]
    return order, auth


def test_a_merchant_ships_and_delivers_its_order_and_the_buyer_sees_it(system: System) -> None:
    merchant = system.merchant()
    order, auth = paid_order(system, merchant)
    listed = system.commerce.get(
        "/api/seller/orders", params={"status": "paid"}, headers=shop_auth(merchant)
    ).json()
    assert [o["id"] for o in listed] == [order["id"]]
    shipped = system.commerce.post(
        f"/api/seller/orders/{order['id']}/ship",
        json={"tracking_number": "JNE-1234567890"},
        headers=shop_auth(merchant),
    )
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    delivered = system.commerce.post(
        f"/api/seller/orders/{order['id']}/deliver", headers=shop_auth(merchant)
    )
    assert delivered.json()["status"] == "delivered"
    mine = system.commerce.get(f"/api/orders/{order['id']}", headers=auth).json()
    assert (mine["status"], mine["tracking_number"]) == ("delivered", "JNE-1234567890")


def test_a_merchant_cannot_touch_another_shops_orders_or_products(system: System) -> None:
    owner, other = system.merchant("batik-sekar"), system.merchant("kopi-gayo", "Kopi Gayo")
    order, _ = paid_order(system, owner)
    product_id = order["lines"][0]["product_id"]
    assert system.commerce.get("/api/seller/orders", headers=shop_auth(other)).json() == []
    refused = system.commerce.post(
        f"/api/seller/orders/{order['id']}/ship",
        json={"tracking_number": "JNE-1234567890"},
        headers=shop_auth(other),
    )
    assert refused.status_code == 404
    edit = system.commerce.patch(
        f"/api/seller/products/{product_id}", json={"price_idr": 1}, headers=shop_auth(other)
    )
    assert edit.status_code == 404
    assert (
        system.commerce.get(
            f"/api/orders/{order['id']}", headers=buyer(system, "other@example.com")
        ).status_code
        == 404
    )
    with system.commerce_engine.connect() as conn:
        assert (
            conn.scalar(select(ProductRow.price_idr).where(ProductRow.id == product_id)) == 350_000
        )


def test_shipping_an_unpaid_order_is_refused_with_409(system: System) -> None:
    merchant = system.merchant()
    product = system.product(merchant, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    order = checkout(system, auth).json()["orders"][0]
    refused = system.commerce.post(
        f"/api/seller/orders/{order['id']}/ship",
        json={"tracking_number": "JNE-1234567890"},
        headers=shop_auth(merchant),
    )
    assert refused.status_code == 409
    assert "cannot become shipped" in refused.json()["detail"]
    assert (
        system.commerce.get(f"/api/orders/{order['id']}", headers=auth).json()["status"]
        == "awaiting_payment"
    )


def test_a_cancelled_order_gives_its_stock_back_and_needs_a_reason(
    system: System, partner: SimulatorHarness
) -> None:
    """A paid order: the money goes back to the buyer through the partner too."""
    merchant = system.merchant()
    order = paid_through_partner(system, partner, merchant)
    path = f"/api/seller/orders/{order['id']}/cancel"
    assert (
        system.commerce.post(path, json={"reason": "  "}, headers=shop_auth(merchant)).status_code
        == 422
    )
    cancelled = system.commerce.post(
        path, json={"reason": "Stok rusak"}, headers=shop_auth(merchant)
    )
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["refunded_idr"] == order["total_idr"]
    assert partner.partner.status(order["number"]).refunded_amount == order["total_idr"]
    with system.commerce_engine.connect() as conn:
        assert (
            conn.scalar(
                select(ProductRow.stock).where(ProductRow.id == order["lines"][0]["product_id"])
            )
            == 5
        )


def test_a_buyer_cancels_an_unpaid_order_but_not_a_paid_one(system: System) -> None:
    merchant = system.merchant()
    product = system.product(merchant, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    unpaid = checkout(system, auth).json()["orders"][0]
    assert (
        system.commerce.post(f"/api/orders/{unpaid['id']}/cancel", json={}, headers=auth).json()[
            "status"
        ]
        == "cancelled"
    )
    paid, paid_auth = paid_order(system, merchant, email="budi@example.com")
    refused = system.commerce.post(f"/api/orders/{paid['id']}/cancel", json={}, headers=paid_auth)
    assert refused.status_code == 409 and "only an unpaid order" in refused.json()["detail"]
    other_buyer = buyer(system, "rina@example.com")
    assert (
        system.commerce.post(
            f"/api/orders/{paid['id']}/cancel", json={}, headers=other_buyer
        ).status_code
        == 404
    )


def test_a_merchant_edits_price_and_stock_with_the_same_rules_as_new_products(
    system: System,
) -> None:
    merchant = system.merchant()
    product = system.product(merchant, stock=5)
    path = f"/api/seller/products/{product['id']}"
    changed = system.commerce.patch(
        path, json={"price_idr": 299_000, "stock": 12}, headers=shop_auth(merchant)
    )
    assert (changed.json()["price_idr"], changed.json()["stock"]) == (299_000, 12)
    bad = system.commerce.patch(path, json={"price_idr": 0}, headers=shop_auth(merchant))
    assert bad.status_code == 422 and "price_idr" in bad.text
    assert system.commerce.get(f"/api/products/{product['id']}").json()["price_idr"] == 299_000

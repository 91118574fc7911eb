"""A buyer's saved addresses: kept per account, usable at checkout by id, private to the buyer."""

from keranjang.commerce.orders import db as order_db
from tests.integration.conftest import System
from tests.integration.test_checkout import ADDRESS, buyer, checkout, count, put_in_cart, stock


def test_a_saved_address_ships_the_order(system: System) -> None:
    auth = buyer(system)
    r = system.commerce.post("/api/addresses", json=ADDRESS | {"label": "Kantor"}, headers=auth)
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["label"] == "Kantor" and saved["city"] == ADDRESS["city"]
    assert system.commerce.get("/api/addresses", headers=auth).json() == [saved]

    product = system.product(system.merchant(), stock=2)
    put_in_cart(system, auth, product["id"], 1)
    r = checkout(system, auth, shipping_address=None, address_id=saved["id"])
    assert r.status_code == 201, r.text
    assert r.json()["orders"][0]["shipping_address"] == ADDRESS


def test_another_buyers_address_cannot_be_used_or_seen_or_deleted(system: System) -> None:
    owner = buyer(system)
    saved = system.commerce.post("/api/addresses", json=ADDRESS, headers=owner).json()
    other = buyer(system, "lain@example.com")
    assert system.commerce.get("/api/addresses", headers=other).json() == []
    assert system.commerce.delete(f"/api/addresses/{saved['id']}", headers=other).status_code == 404

    product = system.product(system.merchant(), stock=2)
    put_in_cart(system, other, product["id"], 1)
    r = checkout(system, other, shipping_address=None, address_id=saved["id"])
    assert r.status_code == 422 and "not one of your saved addresses" in r.text
    assert count(system, order_db.OrderRow) == 0 and stock(system, product["id"]) == 2

    assert system.commerce.delete(f"/api/addresses/{saved['id']}", headers=owner).status_code == 204
    assert system.commerce.get("/api/addresses", headers=owner).json() == []


def test_checkout_needs_exactly_one_way_to_ship(system: System) -> None:
    auth = buyer(system)
    saved = system.commerce.post("/api/addresses", json=ADDRESS, headers=auth).json()
    product = system.product(system.merchant(), stock=2)
    put_in_cart(system, auth, product["id"], 1)
    both = checkout(system, auth, address_id=saved["id"])
    neither = checkout(system, auth, shipping_address=None)
    for r in (both, neither):
        assert r.status_code == 422 and "either shipping_address or address_id" in r.text
    assert count(system, order_db.OrderRow) == 0


def test_a_bad_address_is_refused_field_by_field(system: System) -> None:
    auth = buyer(system)
    r = system.commerce.post(
        "/api/addresses", json=ADDRESS | {"postal_code": "12", "phone": "call me"}, headers=auth
    )
    assert r.status_code == 422
    assert "postal_code" in r.text and "phone" in r.text
    assert system.commerce.get("/api/addresses", headers=auth).json() == []

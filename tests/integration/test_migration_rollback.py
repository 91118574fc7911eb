"""The way back for a buyer the app never knew: after the cutover a new buyer (an account in
commerce only) comes through a creator's yellow cart and buys the moved merchant's product in
commerce; the merchant rolls back, and the order is in the app with its lines, stock and
payment, under a viewer of that email who has no password (it cannot log in until it sets one),
on SQLite and PostgreSQL."""

import uuid

from keranjang.migration.phases import Phase
from tests.integration.conftest import HTML, bearer
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.test_checkout import ADDRESS
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401

EMAIL = "baru.di.commerce@example.com"


def test_a_buyer_known_only_to_commerce_comes_back_with_the_rollback(moving: Moving) -> None:
    sid, system = moving.seller_id, moving.legacy.system
    legacy_product = one(
        moving.social,
        f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid} AND stock > 2",
    )
    creator = system.creator()
    content = system.content(creator)
    r = system.social.post(
        f"/api/content/{content['id']}/pins",
        json={"legacy_product_id": legacy_product},
        headers=bearer(creator),
    )
    assert r.status_code == 201, r.text
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

    assert system.commerce.get(system.click_cart(r.json()["id"]), headers=HTML).status_code == 200
    product = one(
        moving.social,
        f"SELECT commerce_product_id FROM legacy_product_map WHERE legacy_product_id = {legacy_product}",
    )
    r = system.commerce.post(
        "/api/buyers", json={"email": EMAIL, "name": "Dewi Baru", "password": "rahasia-sekali"}
    )
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    r = system.commerce.put(f"/api/cart/items/{product}", json={"quantity": 2}, headers=auth)
    assert r.status_code == 200, r.text
    state = system.commerce.app.state.commerce  # type: ignore[attr-defined]
    state.paying.partner = moving.legacy.sim.partner  # commerce pays through the simulator too
    r = system.commerce.post(
        "/api/checkout",
        json={"shipping_address": ADDRESS, "payment_method": "virtual_account"},
        headers=auth | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    order = r.json()["orders"][0]
    stock = one(moving.commerce, f"SELECT stock FROM products WHERE id = {product}")

    assert moving.mover.rollback(sid, "operator", "the seller asked") is Phase.ROLLED_BACK

    (legacy_order, viewer, total), *more = rows(
        moving.social,
        "SELECT id, viewer_id, total_idr FROM legacy_orders WHERE number = :n",
        n=order["number"],
    )
    assert not more and total == order["total_idr"]
    assert rows(moving.social, f"SELECT email, password_hash FROM viewers WHERE id = {viewer}") == [
        (EMAIL, None)
    ]
    assert rows(
        moving.social,
        f"SELECT product_id, quantity FROM legacy_order_lines WHERE order_id = {legacy_order}",
    ) == [(legacy_product, 2)]
    assert one(moving.social, f"SELECT stock FROM legacy_products WHERE id = {legacy_product}") == (
        stock
    )
    assert rows(
        moving.social,
        f"SELECT amount_idr, partner_order_id FROM legacy_payments WHERE order_id = {legacy_order}",
    ) == [(total, order["number"])]
    r = system.social.post(
        "/api/viewers/sessions", json={"email": EMAIL, "password": "rahasia-sekali"}
    )
    assert r.status_code == 401, r.text

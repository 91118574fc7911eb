"""Merchants, products and the public catalog feed through commerce's API."""

from sqlalchemy import func, select

from keranjang.commerce.catalog.db import MerchantRow, ProductRow
from tests.integration.conftest import HTML, System


def count(system: System, model: type) -> int:
    with system.commerce_engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model)) or 0


def test_registering_a_merchant_needs_the_operator_token(system: System) -> None:
    body = {"slug": "batik-sekar", "name": "Batik Sekar"}
    assert system.commerce.post("/api/merchants", json=body).status_code == 401
    wrong = {"Authorization": "Bearer guess"}
    assert system.commerce.post("/api/merchants", json=body, headers=wrong).status_code == 401
    assert count(system, MerchantRow) == 0


def test_a_taken_shop_address_is_refused(system: System) -> None:
    system.merchant("batik-sekar")
    again = system.commerce.post(
        "/api/merchants", json={"slug": "batik-sekar", "name": "Copy"}, headers=system.operator()
    )
    assert again.status_code == 409
    assert "taken" in again.json()["detail"]


def test_bad_products_are_refused_naming_the_problem_and_nothing_is_saved(system: System) -> None:
    merchant = system.merchant()
    auth = {"Authorization": f"Bearer {merchant['token']}"}
    for body, word in [
        ({"title": "Kopi", "price_idr": 0, "stock": 1}, "price_idr"),
        ({"title": "Kopi", "price_idr": 10.5, "stock": 1}, "price_idr"),
        ({"title": "Kopi", "price_idr": 1000, "stock": -3}, "stock"),
        ({"title": "", "price_idr": 1000, "stock": 1}, "title"),
        ({"title": "Kopi", "price_idr": 1000, "stock": 1, "colour": "red"}, "colour"),
    ]:
        refused = system.commerce.post("/api/products", json=body, headers=auth)
        assert refused.status_code == 422, body
        assert word in refused.text, body
    assert count(system, ProductRow) == 0


def test_products_need_a_shop_token(system: System) -> None:
    refused = system.commerce.post("/api/products", json={"title": "x", "price_idr": 1, "stock": 1})
    assert refused.status_code == 401
    assert "shop token" in refused.json()["detail"]


def test_the_public_catalog_feed_pages_through_public_fields_only(system: System) -> None:
    merchant = system.merchant()
    ids = [system.product(merchant, title=f"Produk {i}", stock=i % 2)["id"] for i in range(5)]
    seen, after = [], 0
    while True:
        page = system.commerce.get("/catalog/products", params={"after": after, "limit": 2}).json()
        seen += page["items"]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert [item["id"] for item in seen] == ids
    for item in seen:
        assert set(item) == {
            "id",
            "merchant_id",
            "merchant_name",
            "title",
            "price_idr",
            "image_url",
            "stock_status",
        }
    assert [item["stock_status"] for item in seen] == ["out_of_stock", "in_stock"] * 2 + [
        "out_of_stock"
    ]


def test_the_storefront_and_shop_pages_list_products(system: System) -> None:
    merchant = system.merchant()
    system.product(merchant, title="Kemeja Batik Parang", price_idr=385_000)
    front = system.commerce.get("/", headers=HTML)
    assert front.status_code == 200
    assert "Kemeja Batik Parang" in front.text and "Rp385.000" in front.text
    shop = system.commerce.get("/shops/batik-sekar", headers=HTML)
    assert "Kemeja Batik Parang" in shop.text
    assert system.commerce.get("/shops/nope", headers=HTML).status_code == 404


def test_a_product_without_a_picture_gets_a_generated_one(system: System) -> None:
    product = system.product(system.merchant(), title="Kopi <Gayo>")
    image = system.commerce.get(f"/media/products/{product['id']}.svg")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/svg+xml"
    assert "<Gayo>" not in image.text

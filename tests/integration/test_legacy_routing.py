"""Which way a legacy product's yellow cart goes, per seller, from the routing table on
promotion's side: the in-app shop while the seller sells there, commerce's mapped product once
the migration has flipped the route (no restart: the next click follows). And the shop switched
off: its routes answer 410 naming commerce, and promotion does not change."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from keranjang.social import db as promotion
from keranjang.social.app import create_app as social_app
from keranjang.social.catalog import HttpCatalog
from keranjang.social.config import SocialSettings
from tests.integration.conftest import COMMERCE_URL, HTML, OPERATOR, SOCIAL_URL, System, bearer
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401


def pin_legacy(
    system: System, product: dict[str, Any], handle: str = "rina.masak"
) -> dict[str, Any]:
    creator = system.creator(handle)
    content = system.content(creator, kind="live", title="Live masak sambal")
    r = system.social.post(
        f"/api/content/{content['id']}/pins",
        json={"legacy_product_id": product["id"]},
        headers=bearer(creator),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def flip(legacy: Legacy, seller_id: int, route: str, merchant_id: int | None = None) -> None:
    """As the migration will: straight into the routing table."""
    with legacy.engine.begin() as c:
        c.execute(
            update(promotion.MerchantRouteRow)
            .where(promotion.MerchantRouteRow.legacy_seller_id == seller_id)
            .values(route=route, commerce_merchant_id=merchant_id, changed_at=datetime.now(UTC))
        )


def test_a_legacy_pin_opens_the_app_until_its_seller_is_routed_to_commerce(
    legacy: Legacy,
) -> None:
    system = legacy.system
    seller = legacy.seller("toko-tempe")
    product = legacy.product(seller, title="Keripik Tempe", price_idr=18_000)
    pin = pin_legacy(system, product)
    assert pin["source"] == "legacy" and pin["product"]["title"] == "Keripik Tempe"

    r = system.social.get(f"/cart/{pin['id']}", follow_redirects=False)
    assert r.status_code == 302, r.text
    assert r.headers["location"] == f"/legacy/products/{product['id']}?pin={pin['id']}"
    page = system.social.get(r.headers["location"], headers=HTML)
    assert page.status_code == 200 and "Keripik Tempe" in page.text

    # A buyer had the product in the app's cart before the move.
    viewer = legacy.viewer()
    legacy.put_in_cart(viewer, product, 1)

    # The migration moves the seller: the product in commerce, the map, then the route.
    merchant = system.merchant("toko-tempe", "Toko Tempe")
    moved = system.product(merchant, title="Keripik Tempe", price_idr=18_000)
    flip(legacy, seller["id"], "commerce", merchant["id"])
    moving = system.social.get(f"/cart/{pin['id']}", follow_redirects=False)
    assert moving.status_code == 503 and "moving to commerce" in moving.text
    with legacy.engine.begin() as c:
        c.execute(
            insert(promotion.ProductMapRow).values(
                legacy_product_id=product["id"],
                commerce_product_id=moved["id"],
                mapped_at=datetime.now(UTC),
            )
        )
    landing = system.commerce.get(system.click_cart(pin["id"]), headers=HTML)
    assert landing.status_code == 200 and "Keripik Tempe" in landing.text

    # Buyers of a moved seller buy in commerce: the app refuses its products, in the cart and
    # at checkout.
    refused = legacy.checkout(viewer)
    assert refused.status_code == 409 and "now sells in commerce" in refused.text
    added = system.social.put(
        f"/legacy/api/cart/items/{product['id']}", json={"quantity": 2}, headers=bearer(viewer)
    )
    assert added.status_code == 409 and "now sells in commerce" in added.text

    # A rollback flips it back, and the next click follows again.
    flip(legacy, seller["id"], "legacy")
    back = system.social.get(f"/cart/{pin['id']}", follow_redirects=False)
    assert back.headers["location"].startswith("/legacy/products/")


def test_a_commerce_pin_still_hands_off_as_before(legacy: Legacy) -> None:
    pin = legacy.system.pinned_product()
    assert pin["source"] == "commerce"
    assert legacy.system.commerce.get(legacy.system.click_cart(pin["id"])).status_code == 200


def test_switched_off_the_shop_answers_410_and_promotion_is_unchanged(
    legacy: Legacy, tmp_path: Path
) -> None:
    system = legacy.system
    commerce_pin = system.pinned_product()
    product = legacy.product(legacy.seller())
    legacy_pin = pin_legacy(system, product, "dapur.lama")
    settings = SocialSettings(
        data_dir=tmp_path,
        database_url=system.social_engine.url.render_as_string(hide_password=False),
        admin_token=OPERATOR,
        public_url=SOCIAL_URL,
        commerce_url=COMMERCE_URL,
        legacy_shop=False,
    )
    app = social_app(
        settings,
        clock=system.clock,
        catalog=HttpCatalog(COMMERCE_URL, system.commerce),
        signing_key=system.key,
    )
    with TestClient(app, base_url=SOCIAL_URL) as off:
        for method, path in (
            ("GET", f"/legacy/api/products/{product['id']}"),
            ("POST", "/legacy/api/checkout"),
            ("POST", "/legacy/payments/notifications"),
            ("GET", "/legacy/api/seller/orders"),
        ):
            r = off.request(method, path)
            assert r.status_code == 410, (path, r.text)
            assert "closed" in r.json()["detail"] and COMMERCE_URL in r.json()["detail"]
        page = off.get(f"/legacy/products/{product['id']}", headers=HTML)
        assert page.status_code == 410 and COMMERCE_URL in page.text
        assert off.get("/api/content").json() == system.social.get("/api/content").json()
        assert off.get("/", headers=HTML).status_code == 200
        r = off.get(f"/cart/{commerce_pin['id']}", follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"].startswith(COMMERCE_URL)
        # The shop's pins lead where the shop was: its closed door.
        r = off.get(f"/cart/{legacy_pin['id']}", follow_redirects=False)
        assert off.get(r.headers["location"]).status_code == 410
        viewer = off.post(
            "/api/viewers",
            json={"email": "masih@example.com", "name": "Masih", "password": "rahasia-sekali"},
        )
        assert viewer.status_code == 201, viewer.text
    app.state.engine.dispose()

"""Creators, content and pins through social's API; bad input is refused and changes nothing."""

import httpx
from sqlalchemy import func, select

from keranjang.social.catalog import HttpCatalog
from keranjang.social.db import PinRow
from tests.integration.conftest import HTML, System, bearer


def pins(system: System) -> int:
    with system.social_engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(PinRow)) or 0


def test_a_creator_without_ecommerce_permission_cannot_pin(system: System) -> None:
    product = system.product(system.merchant())
    creator = system.creator("budi.review", permitted=False)
    content = system.content(creator)
    refused = system.social.post(
        f"/api/content/{content['id']}/pins",
        json={"product_id": product["id"]},
        headers=bearer(creator),
    )
    assert refused.status_code == 403
    assert "e-commerce permission" in refused.json()["detail"]
    assert pins(system) == 0


def test_granting_permission_needs_the_operator_token(system: System) -> None:
    creator = system.creator("budi.review", permitted=False)
    path = f"/api/creators/{creator['id']}/ecommerce-permission"
    assert system.social.put(path, json={"permitted": True}).status_code == 401
    assert (
        system.social.put(path, json={"permitted": True}, headers=bearer(creator)).status_code
        == 401
    )


def test_a_creator_cannot_pin_on_another_creators_content(system: System) -> None:
    product = system.product(system.merchant())
    owner, other = system.creator("rina.masak"), system.creator("sekar.gaya")
    content = system.content(owner)
    refused = system.social.post(
        f"/api/content/{content['id']}/pins",
        json={"product_id": product["id"]},
        headers=bearer(other),
    )
    assert refused.status_code == 403
    assert pins(system) == 0


def test_pinning_an_unknown_product_says_so(system: System) -> None:
    creator = system.creator()
    content = system.content(creator)
    refused = system.social.post(
        f"/api/content/{content['id']}/pins", json={"product_id": 404}, headers=bearer(creator)
    )
    assert refused.status_code == 404
    assert "no product with id 404" in refused.json()["detail"]


def test_pinning_the_same_product_twice_is_a_conflict(system: System) -> None:
    product = system.product(system.merchant())
    creator = system.creator()
    content = system.content(creator)
    system.pin(creator, content, product)
    again = system.social.post(
        f"/api/content/{content['id']}/pins",
        json={"product_id": product["id"]},
        headers=bearer(creator),
    )
    assert again.status_code == 409
    assert "already pinned" in again.json()["detail"]
    assert pins(system) == 1


def test_a_pin_shows_commerce_public_catalog_data(system: System) -> None:
    merchant = system.merchant()
    product = system.product(merchant, title="Kopi Gayo 250 g", price_idr=95_000, stock=0)
    creator = system.creator()
    pin = system.pin(creator, system.content(creator), product)
    assert pin["product"] | {"image_url": None} == {
        "product_id": product["id"],
        "merchant_id": merchant["id"],
        "merchant_name": "Batik Sekar",
        "title": "Kopi Gayo 250 g",
        "price_idr": 95_000,
        "image_url": None,
        "in_stock": False,
    }
    feed = system.social.get("/", headers=HTML).text
    assert "Kopi Gayo 250 g" in feed and "Rp95.000" in feed and f'href="/cart/{pin["id"]}"' in feed


def test_commerce_being_down_refuses_the_pin_and_writes_nothing(system: System) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    service = system.social.app.state.service  # type: ignore[attr-defined]
    service.catalog = HttpCatalog(
        "http://commerce.test", httpx.Client(transport=httpx.MockTransport(down))
    )
    creator = system.creator()
    content = system.content(creator)
    refused = system.social.post(
        f"/api/content/{content['id']}/pins", json={"product_id": 1}, headers=bearer(creator)
    )
    assert refused.status_code == 503
    assert "could not be reached" in refused.json()["detail"]
    assert pins(system) == 0


def test_duplicate_handles_and_bad_input_are_refused(system: System) -> None:
    system.creator("rina.masak")
    taken = system.social.post(
        "/api/creators", json={"handle": "rina.masak", "display_name": "Other"}
    )
    assert taken.status_code == 409
    bad = system.social.post("/api/creators", json={"handle": "Rina Masak", "display_name": "R"})
    assert bad.status_code == 422
    assert "handle" in bad.text
    creator = system.creator("sekar.gaya")
    empty = system.social.post(
        "/api/content", json={"kind": "video", "title": "  "}, headers=bearer(creator)
    )
    assert empty.status_code == 422
    unknown_kind = system.social.post(
        "/api/content", json={"kind": "story", "title": "x"}, headers=bearer(creator)
    )
    assert unknown_kind.status_code == 422


def test_content_and_pins_need_a_creator_token(system: System) -> None:
    assert (
        system.social.post("/api/content", json={"kind": "video", "title": "x"}).status_code == 401
    )
    wrong = {"Authorization": "Bearer not-a-token"}
    assert (
        system.social.post(
            "/api/content", json={"kind": "video", "title": "x"}, headers=wrong
        ).status_code
        == 401
    )


def test_a_live_session_page_shows_its_yellow_carts_and_can_end(system: System) -> None:
    product = system.product(system.merchant())
    creator = system.creator()
    live = system.content(creator, kind="live", title="Flash sale malam ini")
    pin = system.pin(creator, live, product)
    page = system.social.get(f"/live/{live['id']}", headers=HTML)
    assert page.status_code == 200
    assert "LIVE" in page.text and f'href="/cart/{pin["id"]}"' in page.text
    ended = system.social.post(f"/api/content/{live['id']}/end", headers=bearer(creator))
    assert ended.json()["live_status"] == "ended"
    assert "Live selesai" in system.social.get(f"/live/{live['id']}", headers=HTML).text


def test_unknown_pages_get_a_clear_404_page(system: System) -> None:
    page = system.social.get("/live/999", headers=HTML)
    assert page.status_code == 404
    assert "Video atau live 999 tidak ada." in page.text
    english = system.social.get("/live/999?lang=en", headers=HTML)
    assert english.status_code == 404 and "There is no video or live session 999." in english.text
    assert system.social.get("/cart/999", follow_redirects=False).status_code == 404


def test_a_price_change_in_commerce_reaches_the_feed_after_a_catalog_refresh(
    system: System,
) -> None:
    from sqlalchemy import update

    from keranjang.commerce.catalog.db import ProductRow

    pin = system.pinned_product()
    with system.commerce_engine.begin() as conn:
        conn.execute(update(ProductRow).values(price_idr=299_000, stock=0))
    service = system.social.app.state.service  # type: ignore[attr-defined]
    assert service.refresh_catalog() == 1
    shown = system.social.get(f"/api/content/{pin['content_id']}").json()["pins"][0]["product"]
    assert (shown["price_idr"], shown["in_stock"]) == (299_000, False)
    assert "Rp299.000" in system.social.get("/", headers=HTML).text
    assert service.refresh_catalog() == 0

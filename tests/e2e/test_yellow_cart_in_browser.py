"""The yellow cart in a real browser: social's feed hands a viewer off to commerce's product page,
commerce counts the hand-off once for the creator, and refuses the same link a second time."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace


@dataclass(frozen=True)
class PinnedProduct:
    """One pin as social's API describes it: what its yellow cart should lead to."""

    content_id: int
    content_kind: str
    live_status: str | None
    creator_id: int
    pin_id: int
    product_id: int
    title: str


def pinned_products(social_url: str) -> list[PinnedProduct]:
    listing = httpx.get(f"{social_url}/api/content", params={"limit": 100}, timeout=10)
    listing.raise_for_status()
    found = []
    for summary in listing.json():
        # Read each item through the single-content endpoint, as a client following a link would.
        response = httpx.get(f"{social_url}/api/content/{summary['id']}", timeout=10)
        response.raise_for_status()
        content: dict[str, Any] = response.json()
        for pin in content["pins"]:
            assert pin["cart_url"] == f"/cart/{pin['id']}"
            if pin["source"] != "commerce":
                continue  # a pin of the old in-app shop opens the app (its own browser test)
            found.append(
                PinnedProduct(
                    content_id=content["id"],
                    content_kind=content["kind"],
                    live_status=content["live_status"],
                    creator_id=content["creator"]["id"],
                    pin_id=pin["id"],
                    product_id=pin["product"]["product_id"],
                    title=pin["product"]["title"],
                )
            )
    return found


@pytest.fixture(scope="module")
def pins(marketplace: "RunningMarketplace") -> list[PinnedProduct]:
    found = pinned_products(marketplace.social_url)
    assert found, "the demo marketplace has no pinned products"
    return found


def figures(marketplace: "RunningMarketplace", creator_id: int) -> dict[str, Any]:
    """A creator's figures as social reads them: with the figures token `up` made."""
    token = (marketplace.data_dir / "figures-token").read_text().strip()
    response = httpx.get(
        f"{marketplace.commerce_url}/attribution/creators/{creator_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    assert body["creator_id"] == creator_id
    return body


def count_for(rows: list[dict[str, int]], key: int) -> int:
    return next((row["handoffs"] for row in rows if row["id"] == key), 0)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def click_yellow_cart(page: Page, pin: PinnedProduct, commerce_url: str) -> str:
    """Click the yellow cart of `pin` on the current page; check the landing; return the
    hand-off's own URL (the one carrying the single-use token)."""
    cart = page.locator(f'a[data-testid="yellow-cart"][href="/cart/{pin.pin_id}"]').first
    expect(cart).to_be_visible()
    with page.expect_response(re.compile(r"/handoff\?token=")) as landing:
        cart.click()
    # Redeemed, then redirected to the product's own address: the token stays out of history.
    assert landing.value.status == 303, landing.value.url
    page.wait_for_url(f"{commerce_url}/products/{pin.product_id}")
    page.wait_for_load_state("domcontentloaded")
    assert "token" not in page.url
    product_page = page.get_by_test_id("product-page")
    expect(product_page).to_be_visible()
    expect(product_page).to_have_attribute("data-product-id", str(pin.product_id))
    expect(page.get_by_test_id("product-title")).to_have_text(pin.title)
    expect(page.get_by_test_id("handoff-banner")).to_be_visible()
    return landing.value.url


def test_yellow_cart_hands_off_once_and_refuses_a_replay(
    page: Page,
    marketplace: "RunningMarketplace",
    pins: list[PinnedProduct],
    tmp_path: Path,
) -> None:
    social, commerce = marketplace.social_url, marketplace.commerce_url
    # A video's pin: the live-session test below uses a live one, so their counts never mix.
    pin = next(p for p in pins if p.content_kind == "video")
    before = figures(marketplace, pin.creator_id)

    response = page.goto(f"{social}/")
    assert response is not None and response.status == 200
    cards = page.get_by_test_id("content-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 1
    expect(page.get_by_test_id("pin").first).to_be_visible()
    expect(page.get_by_test_id("yellow-cart").first).to_be_visible()
    page.screenshot(path=tmp_path / "feed.png")

    landed = click_yellow_cart(page, pin, commerce)
    page.screenshot(path=tmp_path / "product.png", full_page=True)

    after = figures(marketplace, pin.creator_id)
    assert after["handoffs"] == before["handoffs"] + 1
    assert pin.product_id in {row["id"] for row in after["by_product"]}
    assert count_for(after["by_product"], pin.product_id) == (
        count_for(before["by_product"], pin.product_id) + 1
    )
    assert count_for(after["by_content"], pin.content_id) == (
        count_for(before["by_content"], pin.content_id) + 1
    )

    # The same hand-off link again (a reload, a shared link): refused, and not counted.
    replay = page.goto(landed)
    assert replay is not None
    assert replay.status == 410
    error = page.get_by_test_id("error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-reason", "replayed")
    expect(page.get_by_test_id("product-page")).to_have_count(0)
    page.screenshot(path=tmp_path / "replayed.png")

    assert figures(marketplace, pin.creator_id)["handoffs"] == after["handoffs"]


def test_live_session_yellow_cart_leads_to_the_product_page(
    page: Page, marketplace: "RunningMarketplace", pins: list[PinnedProduct], tmp_path: Path
) -> None:
    social, commerce = marketplace.social_url, marketplace.commerce_url
    pin = next(p for p in pins if p.content_kind == "live" and p.live_status == "live")
    before = figures(marketplace, pin.creator_id)

    response = page.goto(f"{social}/?kind=live")
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("content-card").first).to_be_visible()
    session_link = page.locator(f'a[href="/live/{pin.content_id}"]')
    expect(session_link).to_be_visible()
    session_link.click()
    page.wait_for_url(f"{social}/live/{pin.content_id}")

    expect(page.get_by_test_id("live-badge")).to_have_text("LIVE")
    page.screenshot(path=tmp_path / "live.png")
    click_yellow_cart(page, pin, commerce)

    after = figures(marketplace, pin.creator_id)
    assert after["handoffs"] == before["handoffs"] + 1
    assert count_for(after["by_content"], pin.content_id) == (
        count_for(before["by_content"], pin.content_id) + 1
    )


def test_shop_tab_leads_to_the_storefront(
    page: Page, marketplace: "RunningMarketplace", tmp_path: Path
) -> None:
    social, commerce = marketplace.social_url, marketplace.commerce_url
    catalog = httpx.get(f"{commerce}/catalog/products", params={"limit": 200}, timeout=10)
    catalog.raise_for_status()
    products = catalog.json()["items"]

    page.goto(f"{social}/")
    shop_tab = page.get_by_test_id("shop-tab")
    expect(shop_tab).to_be_visible()
    shop_tab.click()
    page.wait_for_url(f"{commerce}/")

    cards = page.get_by_test_id("product-card")
    expect(cards.first).to_be_visible()
    # One page of the newest products, not every product.
    assert cards.count() == min(len(products), 24)
    page.screenshot(path=tmp_path / "storefront.png")


def test_pin_thumbnails_load_on_the_feed(page: Page, marketplace: "RunningMarketplace") -> None:
    page.goto(f"{marketplace.social_url}/")
    thumbnail = page.locator('[data-testid="pin"] img').first
    expect(thumbnail).to_be_visible()
    # Pictures load lazily, so the page's load event does not wait for them: judge those in
    # the first screenful once each has finished (a broken one finishes with no width).
    first_screen = (
        "[...document.querySelectorAll('[data-testid=\"pin\"] img')]"
        ".filter(img => img.getBoundingClientRect().top < innerHeight)"
    )
    page.wait_for_function(f"{first_screen}.every(img => img.complete)", timeout=15_000)
    widths = page.evaluate(f"{first_screen}.map(img => img.naturalWidth)")
    assert widths and all(w > 0 for w in widths), f"pin pictures that did not load: {widths}"


def test_a_viewer_turns_personalisation_off_on_a_phone(
    browser: Browser, marketplace: "RunningMarketplace", tmp_path: Path
) -> None:
    social = marketplace.social_url
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    try:
        phone.set_default_timeout(10_000)
        page = phone.new_page()
        page.goto(f"{social}/pengaturan")
        expect(page.get_by_test_id("settings")).to_contain_text("Masuk dulu")
        account = {"email": "pengaturan@example.com", "name": "Rani", "password": "rahasia-sekali"}
        signed = page.request.post(f"{social}/api/viewers", data=account)  # sets the cookie
        assert signed.status == 201, signed.text()
        page.goto(f"{social}/")
        page.get_by_test_id("settings-tab").click()
        page.wait_for_url(f"{social}/pengaturan")
        expect(page.get_by_test_id("state")).to_have_text("Nyala")
        page.get_by_test_id("toggle").click()
        expect(page.get_by_test_id("saved")).to_have_text("Personalisasi dimatikan.")
        expect(page.get_by_test_id("state")).to_have_text("Mati")
        for path in ("/pengaturan", "/"):
            page.goto(f"{social}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
        page.screenshot(path=tmp_path / "pengaturan.png", full_page=True)
    finally:
        phone.close()

"""The issue's walk, at phone width (390 px) with an Indonesian browser: search "batik", open a
result, add it and a product of another shop, check out once with a saved address and e-wallet,
pay once on the partner's pay page, and see both orders paid. No page on the way is wider than
the screen, and none shows any English text of the project's catalogs."""

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.test_buying_in_browser import PAYMENT_CONFIRMED_WITHIN_MS
from tests.e2e.test_checkout_in_browser import (
    PHONE,
    buyer_with_saved_address,
    log_in,
    phone,
)
from tests.e2e.test_yellow_cart_in_browser import origin
from tests.english import english_on, english_texts

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace

__all__ = ["phone"]  # the phone-width, Indonesian browser page (a fixture)


class Walk:
    """Each page the shopper sees, checked as it is shown: its width and its words."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.english = english_texts()
        self.problems: list[str] = []

    def look(self) -> None:
        page = self.page
        page.wait_for_load_state("load")
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        if wide > PHONE["width"]:
            self.problems.append(f"{page.url}: {wide} px wide")
        found = english_on(page.inner_text("body"), self.english)
        if found:
            self.problems.append(f"{page.url}: English {found}")


def test_a_phone_shopper_searches_buys_from_two_shops_and_pays_once_all_in_indonesian(
    phone: Page, marketplace: "RunningMarketplace"
) -> None:
    page, commerce = phone, marketplace.commerce_url
    walk = Walk(page)
    email, address_id = buyer_with_saved_address(commerce)
    log_in(page, commerce, email)
    page.goto(commerce)
    walk.look()
    page.get_by_test_id("search-input").fill("batik")
    page.get_by_test_id("search-submit").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/search")
    expect(page.get_by_test_id("results-heading")).to_contain_text("batik")
    walk.look()
    page.get_by_test_id("product-card").first.click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/products/"))
    walk.look()
    chosen = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("added-notice")).to_be_visible()
    walk.look()
    other = other_shop_product(commerce, chosen)
    page.goto(f"{commerce}/products/{other['id']}")
    walk.look()
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-shop")).to_have_count(2)
    walk.look()

    page.get_by_test_id("to-checkout").click()
    expect(page.get_by_test_id(f"address-{address_id}")).to_be_checked()
    page.get_by_test_id("method-ewallet").check()
    walk.look()
    page.get_by_test_id("place-order").click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/pay/"))
    assert origin(page.url) != commerce  # the partner's page, once, for both shops
    walk.look()
    pay_page = walk.problems[-1:] if walk.problems and "/pay/" in walk.problems[-1] else []
    page.get_by_test_id("pay").click()

    page.wait_for_url(lambda url: origin(url) == commerce and urlsplit(url).path == "/orders")
    rows = page.get_by_test_id("order-row")
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row.get_by_test_id("order-status")).to_have_attribute(
            "data-status", "paid", timeout=PAYMENT_CONFIRMED_WITHIN_MS
        )
        expect(row.get_by_test_id("order-status")).to_have_text("Dibayar")
    walk.look()
    rows.first.locator("a").click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/orders/"))
    walk.look()
    assert [p for p in walk.problems if p not in pay_page] == []  # commerce's own pages
    assert pay_page == []  # the payment partner's pay page (the simulator's own words)


def other_shop_product(commerce: str, product_id: int) -> dict[str, Any]:
    """A product in stock from a shop other than the given product's."""
    items = httpx.get(f"{commerce}/catalog/products", params={"limit": 200}, timeout=10).json()
    shop = next(i["merchant_id"] for i in items["items"] if i["id"] == product_id)
    return next(
        i for i in items["items"] if i["stock_status"] == "in_stock" and i["merchant_id"] != shop
    )

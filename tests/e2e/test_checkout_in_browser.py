"""Checkout as a shopper expects it, in a real browser at phone width (390 px): two products
from two shops, one checkout with a saved address, a courier and e-wallet, one payment on the
partner's page, and both shops' orders paid."""

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_buying_in_browser import PAYMENT_CONFIRMED_WITHIN_MS, rupiah
from tests.e2e.test_yellow_cart_in_browser import origin

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace

PHONE = {"width": 390, "height": 844}
PASSWORD = "rahasia-sekali"
JNE_IDR = 15_000  # the courier picked by default, per shop


def two_shops_products(commerce: str) -> list[dict[str, Any]]:
    """One product in stock from each of two shops of the demo marketplace."""
    items = httpx.get(f"{commerce}/catalog/products", params={"limit": 200}, timeout=10).json()
    picked: dict[int, dict[str, Any]] = {}
    for item in items["items"]:
        if item["stock_status"] == "in_stock" and item["merchant_id"] not in picked:
            picked[item["merchant_id"]] = item
        if len(picked) == 2:
            return list(picked.values())
    pytest.fail("the demo marketplace has no two shops with products in stock")


def buyer_with_saved_address(commerce: str) -> tuple[str, int]:
    """A buyer who saved their home address earlier (through the API): email, address id."""
    email = f"rina-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "name": "Rina Wulandari", "password": PASSWORD}
    token = httpx.post(f"{commerce}/api/buyers", json=body, timeout=10).json()["token"]
    address = {
        "label": "Rumah",
        "recipient": "Rina Wulandari",
        "phone": "+6281298765432",
        "street": "Jl. Cihampelas No. 8, RT 01/RW 03",
        "city": "Bandung",
        "postal_code": "40131",
    }
    saved = httpx.post(
        f"{commerce}/api/addresses",
        json=address,
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert saved.status_code == 201, saved.text
    return email, int(saved.json()["id"])


@pytest.fixture
def phone(browser: Browser) -> Any:
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Page, commerce: str, email: str) -> None:
    page.goto(f"{commerce}/login")
    page.get_by_test_id("field-email").fill(email)
    page.get_by_test_id("field-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")


def add_from_product_page(page: Page, commerce: str, product_id: int) -> None:
    page.goto(f"{commerce}/products/{product_id}")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("added-notice")).to_be_visible()


def test_a_cart_across_two_shops_is_checked_out_and_paid_once_on_a_phone(
    phone: Page, marketplace: "RunningMarketplace", tmp_path: Any
) -> None:
    page, commerce = phone, marketplace.commerce_url
    first, second = two_shops_products(commerce)
    email, address_id = buyer_with_saved_address(commerce)
    log_in(page, commerce, email)
    add_from_product_page(page, commerce, first["id"])
    add_from_product_page(page, commerce, second["id"])
    expect(page.get_by_test_id("cart-shop")).to_have_count(2)
    total = rupiah(first["price_idr"] + second["price_idr"] + 2 * JNE_IDR)
    expect(page.get_by_test_id("cart-total")).to_have_text(total)

    page.get_by_test_id("to-checkout").click()
    expect(page.get_by_test_id(f"address-{address_id}")).to_be_checked()  # the saved address
    expect(page.get_by_test_id("courier-jne")).to_be_checked()
    expect(page.get_by_test_id("checkout-total")).to_have_text(total)
    expect(page.get_by_test_id("one-payment")).to_be_visible()
    page.get_by_test_id("method-ewallet").check()
    page.screenshot(path=tmp_path / "checkout.png", full_page=True)
    page.get_by_test_id("place-order").click()

    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/pay/"))
    assert origin(page.url) != commerce  # the partner's page, once, for both shops
    expect(page.get_by_test_id("amount")).to_have_text(total)
    page.screenshot(path=tmp_path / "pay.png", full_page=True)
    page.get_by_test_id("pay").click()

    page.wait_for_url(lambda url: origin(url) == commerce and urlsplit(url).path == "/orders")
    rows = page.get_by_test_id("order-row")
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row.get_by_test_id("order-status")).to_have_attribute(
            "data-status", "paid", timeout=PAYMENT_CONFIRMED_WITHIN_MS
        )
    page.screenshot(path=tmp_path / "orders.png", full_page=True)

"""Every page at phone width in a real browser: the shop (signed out and signed in), the buyer's
pages, the seller center, social, the legacy in-app shop, the pay page and the error pages, at
390 px. A page fails if it is wider than the screen (the browser would scroll sideways). The
shop's pages also show the bottom navigation, and a signed-in buyer's header shows the account,
never "Masuk"."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.e2e.test_yellow_cart_in_browser import pinned_products

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace

PHONE: ViewportSize = {"width": 390, "height": 844}
ADDRESS = {
    "recipient": "Siti Rahma",
    "phone": "081234567890",
    "street": "Jl. Merdeka No. 17",
    "city": "Bandung",
    "postal_code": "40111",
}


@dataclass(frozen=True)
class World:
    """What the pages show: a shop with a product, a buyer with an order, a legacy seller."""

    merchant_token: str
    merchant_slug: str
    product_id: int
    buyer_token: str
    order_id: int
    pay_url: str
    legacy_seller_token: str
    legacy_product_id: int
    content_id: int
    content_kind: str


def _post(url: str, body: dict[str, Any], token: str, **headers: str) -> Any:
    auth = {"authorization": f"Bearer {token}"} if token else {}
    r = httpx.post(url, json=body, headers=auth | headers, timeout=20)
    assert r.status_code == 201, r.text
    return r.json()


def _commerce_side(commerce: str, operator: str) -> dict[str, Any]:
    slug = f"toko-{uuid.uuid4().hex[:6]}"
    shop = _post(
        f"{commerce}/api/merchants", {"slug": slug, "name": "Toko Lebar", "city": "Solo"}, operator
    )
    listing = {"title": "Kemeja Batik Tulis Parang Rusak Barong Klasik Panjang Sekali",
               "price_idr": 385_000, "stock": 9, "category": "Fashion",
               "description": "Batik" + "sangatpanjangtanpaspasi" * 8}  # fmt: skip
    product = _post(f"{commerce}/api/products", listing, shop["token"])
    email = f"lebar-{uuid.uuid4().hex[:8]}@example.com"
    buyer = _post(
        f"{commerce}/api/buyers", {"email": email, "name": "Siti", "password": "rahasia-sekali"}, ""
    )
    r = httpx.put(f"{commerce}/api/cart/items/{product['id']}", json={"quantity": 1},
                  headers={"authorization": f"Bearer {buyer['token']}"}, timeout=10)  # fmt: skip
    assert r.status_code == 200, r.text
    body = {"shipping_address": ADDRESS, "payment_method": "virtual_account"}
    placed = _post(
        f"{commerce}/api/checkout", body, buyer["token"], **{"idempotency-key": uuid.uuid4().hex}
    )
    order = placed["orders"][0]
    return {"shop": shop, "slug": slug, "product": product, "buyer": buyer, "order": order}


@pytest.fixture(scope="module")
def world(marketplace: "RunningMarketplace") -> World:
    operator = (marketplace.data_dir / "operator-token").read_text().strip()
    made = _commerce_side(marketplace.commerce_url, operator)
    social = marketplace.social_url
    seller = _post(
        f"{social}/legacy/api/sellers",
        {"slug": f"lama-{uuid.uuid4().hex[:6]}", "name": "Toko Lama"},
        operator,
    )
    listing = {"title": "Keripik Tempe Pedas", "price_idr": 18_000, "stock": 5}
    legacy_product = _post(f"{social}/legacy/api/seller/products", listing, seller["token"])
    pin = pinned_products(social)[0]
    return World(
        merchant_token=made["shop"]["token"],
        merchant_slug=made["slug"],
        product_id=made["product"]["id"],
        buyer_token=made["buyer"]["token"],
        order_id=made["order"]["id"],
        pay_url=made["order"]["payment"]["redirect_url"],
        legacy_seller_token=seller["token"],
        legacy_product_id=legacy_product["id"],
        content_id=pin.content_id,
        content_kind=pin.content_kind,
    )


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


def wider_than_the_screen(page: Page, url: str) -> str | None:
    """Open `url`; None if it fits, else what is too wide."""
    page.goto(url)
    page.wait_for_load_state("load")
    # Against the phone's own width: a phone browser widens its layout (innerWidth) to fit a
    # page that overflows, zoomed out, so innerWidth would grow with the fault.
    screen = PHONE["width"]
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    if wide <= screen:
        return None
    culprit = page.evaluate(
        """screen => [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > screen + 1)
              .slice(0, 4).map(e => e.tagName + '.' + e.className).join(', ')""",
        screen,
    )
    return f"{url}: {wide}px on a {screen}px screen ({culprit})"


def all_fit(page: Page, urls: list[str]) -> None:
    problems = [problem for url in urls if (problem := wider_than_the_screen(page, url))]
    assert not problems, "pages wider than a phone:\n" + "\n".join(problems)


def test_the_shop_fits_a_phone_signed_out_and_signed_in(
    phone: BrowserContext, marketplace: "RunningMarketplace", world: World
) -> None:
    c = marketplace.commerce_url
    public = [
        f"{c}/",
        f"{c}/search?q=batik",
        f"{c}/search?q=batik&sort=termurah&page=2",
        f"{c}/categories/Fashion",
        f"{c}/shops/{world.merchant_slug}",
        f"{c}/products/{world.product_id}",
        f"{c}/login",
        f"{c}/signup",
        f"{c}/claim?token=bukan-link",
        f"{c}/products/999999999",  # the shop's error page
        f"{c}/tidak-ada-halaman-ini",  # an unknown address
        f"{c}/seller/login",
    ]
    page = phone.new_page()
    all_fit(page, public)
    page.goto(f"{c}/")
    expect(page.get_by_test_id("bottom-nav")).to_be_visible()
    expect(page.get_by_test_id("search-input")).to_be_visible()

    phone.add_cookies([{"name": "kj_sesi", "value": world.buyer_token, "url": c}])
    mine = [
        f"{c}/cart",
        f"{c}/checkout",
        f"{c}/orders",
        f"{c}/orders/{world.order_id}",
        f"{c}/orders/{world.order_id}/invoice",
        f"{c}/account",
    ]
    all_fit(page, mine)
    for url in [f"{c}/", f"{c}/products/{world.product_id}", f"{c}/shops/{world.merchant_slug}",
                f"{c}/products/999999999", f"{c}/search?q=kain"]:  # fmt: skip
        page.goto(url)
        expect(page.locator('[data-testid="bottom-nav"] a[href="/account"]')).to_be_visible()
        expect(page.get_by_test_id("nav-login")).to_have_count(0)
    all_fit(page, [world.pay_url])


def test_the_seller_center_fits_a_phone(
    phone: BrowserContext, marketplace: "RunningMarketplace", world: World
) -> None:
    c = marketplace.commerce_url
    page = phone.new_page()
    page.goto(f"{c}/seller/login")
    page.get_by_label("Token toko").fill(world.merchant_token)
    page.get_by_label("Token toko").press("Enter")
    page.wait_for_url(f"{c}/seller")
    pages = ["", "/products", "/products/new", f"/products/{world.product_id}/edit", "/orders",
             f"/orders/{world.order_id}", "/statement", "/tidak-ada"]  # fmt: skip
    all_fit(page, [f"{c}/seller{p}" for p in pages])


def test_social_and_the_legacy_shop_fit_a_phone(
    phone: BrowserContext, marketplace: "RunningMarketplace", world: World
) -> None:
    s = marketplace.social_url
    kind = "live" if world.content_kind == "live" else "videos"
    page = phone.new_page()
    public = [
        f"{s}/",
        f"{s}/?kind=live",
        f"{s}/{kind}/{world.content_id}",
        f"{s}/videos/999999999",
        f"{s}/tidak-ada",
        f"{s}/legacy/products/{world.legacy_product_id}",
        f"{s}/legacy/account/login",
        f"{s}/legacy/account/signup",
        f"{s}/legacy/seller/login",
    ]
    all_fit(page, public)

    # A viewer of the in-app shop, signed up, with the product in the cart.
    page.goto(f"{s}/legacy/account/signup")
    page.get_by_test_id("field-name").fill("Dewi Lestari")
    page.get_by_test_id("field-email").fill(f"dewi-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_test_id("field-password").fill("rahasia-sekali")
    page.get_by_test_id("signup-submit").click()
    page.wait_for_load_state("load")
    page.goto(f"{s}/legacy/products/{world.legacy_product_id}")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    all_fit(page, [f"{s}/legacy/cart", f"{s}/legacy/checkout", f"{s}/legacy/orders"])

    page.goto(f"{s}/legacy/seller/login")
    page.get_by_test_id("field-token").fill(world.legacy_seller_token)
    page.get_by_test_id("seller-login-submit").click()
    page.wait_for_load_state("load")
    seller = [
        "/legacy/seller",
        "/legacy/seller/products",
        "/legacy/seller/orders",
        "/legacy/seller/balance",
    ]
    all_fit(page, [f"{s}{p}" for p in seller])

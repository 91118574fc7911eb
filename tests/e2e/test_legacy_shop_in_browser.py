"""The old combined app in a real browser, on a phone-sized screen: a viewer taps the yellow cart
of a legacy product on a creator's live session, signs up in social, buys in the app, pays on
the payment simulator's page, and comes back to the order until it shows paid; the seller signs
in to the seller tools with the shop's token and ships it; the buyer then sees it shipped. No
page of the in-app shop is wider than a 390 px screen.

`keranjang up` runs here with social's legacy shop pointed at this run's simulator (its port is
chosen per run), and without the demo seed: the test opens the shop, the creator and the live
session it needs through the public APIs."""

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.e2e.conftest import READY_BANNER, STARTUP_TIMEOUT, RunningMarketplace, _stop, free_ports
from tests.english import english_on

PHONE: ViewportSize = {"width": 390, "height": 844}
PAYMENT_CONFIRMED_WITHIN_MS = 30_000


@dataclass(frozen=True)
class LegacyShop:
    social_url: str
    seller_token: str
    product_id: int
    pin_id: int
    content_id: int


def _up(tmp: Path) -> tuple[subprocess.Popen[str], list[str], dict[str, int]]:
    social, commerce, payments, migration, oversight = free_ports(5)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KERANJANG_")},
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "160",
        "NO_COLOR": "1",
        "KERANJANG_SOCIAL_PAYMENTS_URL": f"http://127.0.0.1:{payments}",
    }
    ports = {"social": social, "commerce": commerce, "payments": payments}
    ports |= {"migration": migration, "oversight": oversight}  # free too: no default is assumed
    command = [sys.executable, "-m", "keranjang", "up", "--data-dir", str(tmp), "--no-seed"]
    command += [arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        start_new_session=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=read, name="legacy-up-output", daemon=True).start()
    return process, lines, ports


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarketplace]:
    data_dir = tmp_path_factory.mktemp("keranjang-legacy-up")
    process, lines, ports = _up(data_dir)
    running = RunningMarketplace(
        social_url=f"http://127.0.0.1:{ports['social']}",
        commerce_url=f"http://127.0.0.1:{ports['commerce']}",
        data_dir=data_dir,
        process=process,
        lines=lines,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while READY_BANNER not in running.output():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`keranjang up` did not start:\n{running.output()}", pytrace=False)
            time.sleep(0.25)
        yield running
    finally:
        _stop(process)


def _created(client: httpx.Client, path: str, body: dict[str, Any], token: str | None) -> Any:
    auth = {"authorization": f"Bearer {token}"} if token else {}
    r = client.post(path, json=body, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def shop(running: RunningMarketplace) -> LegacyShop:
    return open_shop(running)


def open_shop(running: RunningMarketplace) -> LegacyShop:
    """A seller still in the app, its product, and a creator's live session pinning it."""
    operator = (running.data_dir / "operator-token").read_text().strip()
    listing = {"title": "Keripik Tempe Pedas", "price_idr": 18_000, "stock": 5,
               "sni_number": "SNI 01-2602-1992"}  # fmt: skip
    with httpx.Client(base_url=running.social_url, timeout=10) as social:
        opened = {"slug": "toko-tempe", "name": "Toko Tempe Bu Sri"}
        seller = _created(social, "/legacy/api/sellers", opened, operator)
        product = _created(social, "/legacy/api/seller/products", listing, seller["token"])
        creator = _created(
            social, "/api/creators", {"handle": "sri.masak", "display_name": "Sri Masak"}, None
        )
        r = social.put(
            f"/api/creators/{creator['id']}/ecommerce-permission",
            json={"permitted": True},
            headers={"authorization": f"Bearer {operator}"},
        )
        assert r.status_code == 200, r.text
        live = {"kind": "live", "title": "Live goreng tempe"}
        content = _created(social, "/api/content", live, creator["token"])
        pinned = {"legacy_product_id": product["id"]}
        pin = _created(social, f"/api/content/{content['id']}/pins", pinned, creator["token"])
    return LegacyShop(running.social_url, seller["token"], product["id"], pin["id"], content["id"])


def fits_the_phone(page: Page) -> None:
    page.wait_for_load_state("domcontentloaded")
    wide, screen = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= screen, f"{urlsplit(page.url).path} is {wide}px wide on a {screen}px screen"


def reads_indonesian(page: Page) -> None:
    """The browser asks for Indonesian (`Accept-Language: id-ID`): none of the catalogs' English
    on the page."""
    page.wait_for_load_state("domcontentloaded")
    assert english_on(page.inner_text("body")) == [], urlsplit(page.url).path


def phone(browser: Browser) -> Page:
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    return context.new_page()


def buyer_signs_up_from_the_yellow_cart(page: Page, shop: LegacyShop, tmp_path: Path) -> None:
    page.goto(f"{shop.social_url}/")
    expect(page.locator("h1")).to_have_text("Untuk Anda")
    reads_indonesian(page)
    page.goto(f"{shop.social_url}/?kind=live")
    reads_indonesian(page)
    page.goto(f"{shop.social_url}/live/{shop.content_id}")
    reads_indonesian(page)
    page.locator(f'a[data-testid="yellow-cart"][href="/cart/{shop.pin_id}"]').click()
    page.wait_for_url(f"**/legacy/products/{shop.product_id}?pin={shop.pin_id}")
    expect(page.get_by_test_id("product-title")).to_have_text("Keripik Tempe Pedas")
    expect(page.get_by_test_id("product-price")).to_have_text("Rp18.000")
    expect(page.get_by_test_id("sni-number")).to_have_text("SNI 01-2602-1992")
    fits_the_phone(page)
    reads_indonesian(page)
    page.screenshot(path=tmp_path / "legacy-product.png", full_page=True)
    page.get_by_test_id("login-to-buy").click()
    expect(page.get_by_test_id("login-page")).to_be_visible()
    fits_the_phone(page)
    page.get_by_test_id("to-signup").click()
    expect(page.get_by_test_id("signup-page")).to_be_visible()
    fits_the_phone(page)
    page.get_by_test_id("field-name").fill("Dewi Lestari")
    page.get_by_test_id("field-email").fill(f"dewi-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_test_id("field-password").fill("rahasia-sekali")
    page.get_by_test_id("signup-submit").click()
    page.wait_for_url(f"**/legacy/products/{shop.product_id}?pin={shop.pin_id}")


def buyer_checks_out(page: Page, tmp_path: Path) -> None:
    page.get_by_test_id("field-quantity").fill("2")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    expect(page.get_by_test_id("cart-subtotal")).to_have_text("Rp36.000")
    fits_the_phone(page)
    reads_indonesian(page)
    page.screenshot(path=tmp_path / "legacy-cart.png", full_page=True)
    page.get_by_test_id("to-checkout").click()
    expect(page.get_by_test_id("checkout-form")).to_be_visible()
    page.get_by_test_id("field-street").fill("Jl. Kaliurang KM 5 No. 12")
    page.get_by_test_id("field-city").fill("Sleman")
    page.get_by_test_id("field-postal_code").fill("552")
    page.get_by_test_id("method-virtual_account").check()
    page.get_by_test_id("place-order").click()
    expect(page.get_by_test_id("error-phone")).to_be_visible()  # no phone yet
    expect(page.get_by_test_id("error-postal_code")).to_be_visible()
    expect(page.get_by_test_id("field-street")).to_have_value("Jl. Kaliurang KM 5 No. 12")
    fits_the_phone(page)
    reads_indonesian(page)
    page.get_by_test_id("field-phone").fill("0812-2233-4455")
    page.get_by_test_id("field-postal_code").fill("55281")
    page.screenshot(path=tmp_path / "legacy-checkout.png", full_page=True)
    page.get_by_test_id("place-order").click()


def test_a_viewer_buys_in_the_app_pays_and_the_seller_ships(
    browser: Browser, shop: LegacyShop, tmp_path: Path
) -> None:
    buyer = phone(browser)
    buyer_signs_up_from_the_yellow_cart(buyer, shop, tmp_path)
    buyer_checks_out(buyer, tmp_path)

    buyer.wait_for_url(lambda url: urlsplit(url).path.startswith("/pay/"))
    reads_indonesian(buyer)  # the partner's pay page, Indonesian first
    expect(buyer.get_by_test_id("amount")).to_have_text(
        "Rp51.000"
    )  # two at 18.000, and 15.000 shipping
    buyer.get_by_test_id("pay").click()
    buyer.wait_for_url(lambda url: url.startswith(f"{shop.social_url}/legacy/orders/"))
    status = buyer.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-status", "paid", timeout=PAYMENT_CONFIRMED_WITHIN_MS)
    expect(status).to_have_text("Dibayar")
    expect(buyer.get_by_test_id("history")).to_contain_text("WIB")
    fits_the_phone(buyer)
    reads_indonesian(buyer)
    buyer.screenshot(path=tmp_path / "legacy-order-paid.png", full_page=True)
    order_url, number = buyer.url, buyer.get_by_test_id("order-number").inner_text()
    buyer.get_by_test_id("nav-orders").click()
    expect(buyer.get_by_test_id("order-row")).to_have_count(1)
    fits_the_phone(buyer)
    reads_indonesian(buyer)

    seller = phone(browser)
    seller_ships(seller, shop, number, tmp_path)

    buyer.goto(order_url)
    expect(buyer.get_by_test_id("order-status")).to_have_text("Dikirim")
    expect(buyer.get_by_test_id("tracking-number")).to_have_text("JNE-7781")
    fits_the_phone(buyer)


def seller_ships(page: Page, shop: LegacyShop, number: str, tmp_path: Path) -> None:
    page.goto(f"{shop.social_url}/legacy/seller/login")
    fits_the_phone(page)
    page.get_by_test_id("field-token").fill(shop.seller_token)
    page.get_by_test_id("seller-login-submit").click()
    row = page.get_by_test_id("seller-order-row").filter(has_text=number)
    expect(row).to_contain_text("Dibayar")
    fits_the_phone(page)
    row.click()
    expect(page.get_by_test_id("order-number")).to_have_text(number)
    fits_the_phone(page)
    page.get_by_test_id("field-tracking_number").fill("JNE-7781")
    page.get_by_test_id("ship").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Dikirim")
    expect(page.get_by_test_id("tracking-number")).to_have_text("JNE-7781")
    page.screenshot(path=tmp_path / "legacy-seller-shipped.png", full_page=True)
    reads_indonesian(page)
    for nav in ("nav-seller-products", "nav-seller-balance"):
        page.get_by_test_id(nav).click()
        fits_the_phone(page)
        reads_indonesian(page)
    expect(page.get_by_test_id("escrow")).to_have_text("Rp51.000")

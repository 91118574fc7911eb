"""A creator's own pages in a real browser: the creator signs in to social, a viewer taps the
creator's yellow cart, buys and pays at the payment partner, and the creator's page then shows
the hand-off and the paid order they caused. The creator is sure of nothing but what the page
says; the counts come from commerce through social's figures token, never from a buyer's row."""

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_buying_in_browser import (
    PAYMENT_CONFIRMED_WITHIN_MS,
    check_out_with_virtual_account,
    in_stock_video_pin,
    sign_up_when_adding,
)
from tests.e2e.test_phone_width_in_browser import PHONE, all_fit
from tests.e2e.test_yellow_cart_in_browser import PinnedProduct, click_yellow_cart, origin

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace


def creator_handle(social_url: str, content_id: int) -> str:
    response = httpx.get(f"{social_url}/api/content/{content_id}", timeout=10)
    response.raise_for_status()
    handle: str = response.json()["creator"]["handle"]
    return handle


def number(page: Page, testid: str) -> int:
    return int(page.get_by_test_id(testid).first.inner_text())


def sign_in_as_creator(page: Page, social: str, handle: str, password: str) -> None:
    page.goto(f"{social}/")
    page.get_by_test_id("creator-tab").click()
    expect(page.get_by_test_id("creator-login")).to_be_visible()
    page.get_by_test_id("field-handle").fill(handle)
    page.get_by_test_id("field-password").fill("bukan-kata-sandinya")
    page.get_by_test_id("creator-login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Nama pengguna atau kata sandi salah.")
    page.get_by_test_id("field-password").fill(password)
    page.get_by_test_id("creator-login-submit").click()
    page.wait_for_url(f"{social}/kreator")


def buy_through_the_yellow_cart(
    page: Page, marketplace: "RunningMarketplace", pin: PinnedProduct, tmp_path: Path
) -> None:
    social, commerce = marketplace.social_url, marketplace.commerce_url
    page.goto(f"{social}/videos/{pin.content_id}")
    click_yellow_cart(page, pin, commerce)
    sign_up_when_adding(page, pin)
    check_out_with_virtual_account(page, tmp_path)
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/pay/"))
    page.get_by_test_id("pay").click()
    page.wait_for_url(lambda url: origin(url) == commerce and "/orders/" in url)
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-status", "paid", timeout=PAYMENT_CONFIRMED_WITHIN_MS)


def test_a_creator_signs_in_and_sees_the_handoff_and_order_they_caused(
    browser: Browser, page: Page, marketplace: "RunningMarketplace", tmp_path: Path
) -> None:
    social = marketplace.social_url
    pin, _ = in_stock_video_pin(marketplace)
    handle = creator_handle(social, pin.content_id)
    password = (marketplace.data_dir / "creator-password").read_text().strip()

    sign_in_as_creator(page, social, handle, password)
    expect(page.get_by_test_id("permission")).to_have_attribute("data-permitted", "yes")
    card = page.locator(f'[data-testid="creator-content"][data-content-id="{pin.content_id}"]')
    expect(card).to_be_visible()
    expect(card.get_by_test_id("pin").first).to_be_visible()
    handoffs, orders = number(page, "handoffs"), number(page, "orders")
    on_content = int(card.get_by_test_id("content-handoffs").inner_text())
    page.screenshot(path=tmp_path / "creator-before.png", full_page=True)

    # A viewer in another browser (no cookies shared) taps the yellow cart, buys and pays.
    viewer = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    try:
        viewer.set_default_timeout(10_000)
        buy_through_the_yellow_cart(viewer.new_page(), marketplace, pin, tmp_path)
    finally:
        viewer.close()

    page.reload()
    expect(page.get_by_test_id("handoffs")).to_have_text(str(handoffs + 1))
    expect(page.get_by_test_id("orders")).to_have_text(str(orders + 1))
    expect(card.get_by_test_id("content-handoffs")).to_have_text(str(on_content + 1))
    page.screenshot(path=tmp_path / "creator-after.png", full_page=True)

    page.get_by_test_id("creator-logout").click()
    page.wait_for_url(f"{social}/kreator/masuk")
    page.goto(f"{social}/kreator")
    expect(page.get_by_test_id("creator-login")).to_be_visible()


def test_the_creator_pages_fit_a_phone(browser: Browser, marketplace: "RunningMarketplace") -> None:
    social = marketplace.social_url
    pin, _ = in_stock_video_pin(marketplace)
    password = (marketplace.data_dir / "creator-password").read_text().strip()
    phone = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    try:
        phone.set_default_timeout(10_000)
        page = phone.new_page()
        all_fit(page, [f"{social}/kreator/masuk"])
        sign_in_as_creator(page, social, creator_handle(social, pin.content_id), password)
        all_fit(page, [f"{social}/kreator", f"{social}/"])
    finally:
        phone.close()

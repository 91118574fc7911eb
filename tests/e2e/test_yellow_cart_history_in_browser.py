"""The yellow cart's landing in a real browser's history: the single-use token is redeemed once
and the browser is sent on to the product's own address, so Back, Forward and reload all show
the product (never "Link sudah dipakai"), and an order placed afterwards still credits the
creator whose cart was tapped."""

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.e2e.test_buying_in_browser import (
    check_out_with_virtual_account,
    credited_creator,
    in_stock_video_pin,
    sign_up_when_adding,
)
from tests.e2e.test_yellow_cart_in_browser import PinnedProduct, click_yellow_cart, figures

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace

PAYMENT_CONFIRMED_WITHIN_MS = 30_000


def shows_the_product(page: Page, pin: PinnedProduct, commerce: str) -> None:
    assert page.url == f"{commerce}/products/{pin.product_id}"
    expect(page.get_by_test_id("product-page")).to_have_attribute(
        "data-product-id", str(pin.product_id)
    )
    expect(page.get_by_test_id("product-title")).to_have_text(pin.title)
    expect(page.get_by_test_id("error")).to_have_count(0)


def test_back_forward_and_reload_show_the_product_and_the_creator_is_credited(
    page: Page, marketplace: "RunningMarketplace", tmp_path: Path
) -> None:
    social, commerce = marketplace.social_url, marketplace.commerce_url
    pin, _price = in_stock_video_pin(marketplace)
    handoffs = figures(marketplace, pin.creator_id)["handoffs"]

    page.goto(f"{social}/")
    click_yellow_cart(page, pin, commerce)
    shows_the_product(page, pin, commerce)

    page.go_back()
    page.wait_for_url(f"{social}/")
    expect(page.get_by_test_id("content-card").first).to_be_visible()
    forward = page.go_forward()
    assert forward is not None and forward.status == 200
    shows_the_product(page, pin, commerce)
    reloaded = page.reload()
    assert reloaded is not None and reloaded.status == 200
    shows_the_product(page, pin, commerce)
    expect(page.get_by_test_id("handoff-banner")).to_be_visible()  # still greeted as sent
    page.screenshot(path=tmp_path / "reloaded.png", full_page=True)
    # Going back and forth counted the hand-off once.
    assert figures(marketplace, pin.creator_id)["handoffs"] == handoffs + 1

    sign_up_when_adding(page, pin)
    check_out_with_virtual_account(page, tmp_path)
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/pay/"))
    page.get_by_test_id("pay").click()
    page.wait_for_url(lambda url: url.startswith(commerce) and "/orders/" in url)
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-status", "paid", timeout=PAYMENT_CONFIRMED_WITHIN_MS)
    order_number = page.get_by_test_id("order-number").inner_text()
    assert credited_creator(marketplace.data_dir, order_number) == (pin.creator_id, pin.pin_id)

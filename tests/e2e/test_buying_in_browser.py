"""From the yellow cart to the invoice in a real browser: a viewer taps a creator's yellow cart,
signs up on the shop when adding the product, checks out with an address and a virtual account,
pays on the payment partner's page, comes back to the order until it is paid, and reads the
invoice as a page and as a PDF. The creator is credited on the order line."""

import re
import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_yellow_cart_in_browser import (
    PinnedProduct,
    click_yellow_cart,
    figures,
    origin,
    pinned_products,
)

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace

SHIPPING_IDR = 15_000  # commerce's flat shipping per shop (the default setting)
PAYMENT_CONFIRMED_WITHIN_MS = 30_000


def rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def in_stock_video_pin(marketplace: "RunningMarketplace") -> tuple[PinnedProduct, int]:
    """A video's pin whose product can be bought, with its price. The last one: the hand-off
    test counts the first video pin's hand-offs, and this purchase should not share it."""
    for pin in reversed(pinned_products(marketplace.social_url)):
        if pin.content_kind != "video":
            continue
        entry = httpx.get(
            f"{marketplace.commerce_url}/catalog/products/{pin.product_id}", timeout=10
        ).json()
        if entry["stock_status"] == "in_stock":
            return pin, int(entry["price_idr"])
    pytest.fail("the demo marketplace has no video pin with a product in stock")


def credited_creator(data_dir: Path, order_number: str) -> tuple[int, int] | None:
    """(creator, pin) of the hand-off named on the order's line, read from commerce's database
    file: no API shows a single order's attribution (creators see aggregates only)."""
    with sqlite3.connect(f"file:{data_dir / 'commerce.db'}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT a.creator_id, a.pin_id FROM order_lines l "
            "JOIN orders o ON o.id = l.order_id JOIN attributions a ON a.id = l.attribution_id "
            "WHERE o.number = ?",
            (order_number,),
        ).fetchone()
    return None if row is None else (row[0], row[1])


def sign_up_when_adding(page: Page, pin: PinnedProduct) -> None:
    """On the product page: add to cart, be asked to log in, sign up instead; the product is
    in the cart afterwards."""
    page.get_by_test_id("quantity").fill("1")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("login-page")).to_be_visible()
    expect(page.get_by_test_id("pending-add")).to_be_visible()
    page.get_by_test_id("to-signup").click()
    expect(page.get_by_test_id("signup-page")).to_be_visible()
    page.get_by_test_id("field-name").fill("Siti Rahma")
    page.get_by_test_id("field-email").fill(f"siti-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_test_id("field-password").fill("rahasia-sekali")
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("added-notice")).to_contain_text(pin.title)
    expect(page.get_by_test_id("cart-line")).to_have_count(1)


def check_out_with_virtual_account(page: Page, tmp_path: Path) -> None:
    page.get_by_test_id("to-checkout").click()
    expect(page.get_by_test_id("checkout-form")).to_be_visible()
    page.get_by_test_id("field-recipient").fill("Siti Rahma")
    page.get_by_test_id("field-phone").fill("0812-3456-7890")
    page.get_by_test_id("field-street").fill("Jl. Merdeka No. 17, RT 02/RW 05")
    page.get_by_test_id("field-city").fill("Bandung")
    page.get_by_test_id("field-postal_code").fill("40111")
    page.get_by_test_id("method-virtual_account:bca").check()
    page.screenshot(path=tmp_path / "checkout.png", full_page=True)
    page.get_by_test_id("place-order").click()


def test_a_viewer_buys_from_the_yellow_cart_pays_and_gets_the_invoice(
    page: Page, marketplace: "RunningMarketplace", tmp_path: Path
) -> None:
    social, commerce = marketplace.social_url, marketplace.commerce_url
    pin, price = in_stock_video_pin(marketplace)
    total = rupiah(price + SHIPPING_IDR)
    handoffs_before = figures(marketplace, pin.creator_id)["handoffs"]

    page.goto(f"{social}/")
    click_yellow_cart(page, pin, commerce)
    page.screenshot(path=tmp_path / "product.png", full_page=True)
    assert figures(marketplace, pin.creator_id)["handoffs"] == handoffs_before + 1
    sign_up_when_adding(page, pin)
    expect(page.get_by_test_id("cart-total")).to_have_text(total)
    page.screenshot(path=tmp_path / "cart.png", full_page=True)

    check_out_with_virtual_account(page, tmp_path)
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/pay/"))
    assert origin(page.url) != commerce  # the partner's page, not the shop's
    expect(page.get_by_test_id("amount")).to_have_text(total)
    expect(page.get_by_test_id("va-number")).to_be_visible()
    page.screenshot(path=tmp_path / "pay.png", full_page=True)
    page.get_by_test_id("pay").click()

    page.wait_for_url(lambda url: origin(url) == commerce and "/orders/" in url)
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-status", "paid", timeout=PAYMENT_CONFIRMED_WITHIN_MS)
    expect(status).to_have_text("Dibayar")
    expect(page.get_by_test_id("order-total")).to_have_text(total)
    order_number = page.get_by_test_id("order-number").inner_text()
    page.screenshot(path=tmp_path / "order.png", full_page=True)

    page.get_by_test_id("invoice-link").click()
    expect(page.get_by_test_id("invoice")).to_be_visible()
    expect(page.get_by_test_id("invoice-number")).to_have_text(re.compile(r"^INV/\S+$"))
    expect(page.get_by_test_id("invoice")).to_contain_text(order_number)
    expect(page.get_by_test_id("invoice-line")).to_contain_text(rupiah(price))
    expect(page.get_by_test_id("invoice-total")).to_have_text(total)
    page.screenshot(path=tmp_path / "invoice.png", full_page=True)

    pdf_path = page.get_by_test_id("invoice-pdf").get_attribute("href")
    pdf = page.request.get(f"{commerce}{pdf_path}")  # with the buyer's session cookie
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    assert credited_creator(marketplace.data_dir, order_number) == (pin.creator_id, pin.pin_id)


def test_a_form_posted_from_another_origin_is_refused(
    page: Page, marketplace: "RunningMarketplace", tmp_path: Path
) -> None:
    """Social runs on another port of the same host: the same *site*, so the browser sends the
    Lax session cookie along with a form posted from there. The shop still refuses it."""
    social, commerce = marketplace.social_url, marketplace.commerce_url
    pin, _ = in_stock_video_pin(marketplace)
    page.goto(f"{commerce}/signup")
    page.get_by_test_id("field-name").fill("Budi")
    page.get_by_test_id("field-email").fill(f"budi-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_test_id("field-password").fill("rahasia-sekali")
    page.get_by_test_id("signup-submit").click()
    page.wait_for_url(f"{commerce}/")

    page.goto(f"{social}/")
    with page.expect_response(f"{commerce}/cart/add") as answer:
        page.evaluate(
            """([action, productId]) => {
                const form = Object.assign(document.createElement("form"), {method: "post", action});
                form.append(Object.assign(document.createElement("input"), {name: "product_id", value: productId}));
                document.body.append(form);
                form.submit();
            }""",
            [f"{commerce}/cart/add", str(pin.product_id)],
        )
    assert answer.value.status == 403
    expect(page.get_by_test_id("error")).to_contain_text("tidak dikirim dari halaman Keranjang")
    page.screenshot(path=tmp_path / "refused.png")

    page.goto(f"{commerce}/cart")
    expect(page.get_by_test_id("cart-empty")).to_be_visible()

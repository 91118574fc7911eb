"""Commerce in one language at a time: every page of the shop, the buyer's orders, the invoice and
the seller center, walked with data, shows no English when the browser asks for Indonesian, and
is in English when it asks for English (or `?lang=en`, remembered); a refusal in a form is worded
with the form's own labels in both; an API refusal carries its code, parameters and a message in
the request's language."""

import html
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from keranjang.commerce.money.invoices import InvoiceService
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.web.formatting import wib
from tests.english import english_on, english_texts
from tests.integration.buyer_pages import HTML, add, batik, check_out, pay_at_partner, sign_up
from tests.integration.conftest import System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.seller_pages import LISTING, OWN, sign_in
from tests.integration.test_paying import deliver

SHOP_PAGES = ("/", "/search?q=batik", "/categories/Fashion", "/shops/batik-sekar", "/cart")
BUYER_PAGES = ("/checkout", "/orders", "/account", "/orders/999999")
SELLER_PAGES = ("/seller", "/seller/products", "/seller/products/new", "/seller/orders")
# What an Indonesian page of the shop shows.
INDONESIAN_MARKS = ("Keranjang", "Pesanan", "setiap pesanan dan pembayaran diurus di sini")


def text_of(page: str) -> str:
    """What a reader sees: the markup without tags, styles and scripts."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def read(system: System, path: str, lang: str) -> httpx.Response:
    r = system.commerce.get(path, headers=HTML | {"accept-language": lang}, follow_redirects=False)
    assert r.status_code in (200, 404, 409), (path, r.status_code, r.text[:300])
    return r


def paid_orders_from_two_shops(
    system: System, partner: SimulatorHarness
) -> tuple[dict[str, Any], list[int]]:
    """Two shops' orders, paid once; the first shop (its token signs in to the seller center)."""
    sign_up(system)
    shop = system.merchant()
    add(system, system.product(shop, price_idr=350_000, stock=5, category="Fashion")["id"])
    add(system, system.product(system.merchant("kopi-gayo", "Kopi Gayo"), stock=9)["id"])
    to_pay = check_out(system, method="ewallet")
    assert to_pay.status_code == 303, to_pay.text
    pay_at_partner(system, partner, to_pay.headers["location"])
    deliver(system, partner)
    with system.commerce_engine.connect() as conn:
        orders = list(conn.scalars(select(order_db.OrderRow.id).order_by(order_db.OrderRow.id)))
    return shop, orders


def walk(system: System, orders: list[int], lang: str) -> dict[str, str]:
    """Every main page a buyer and a seller open, as text, by address."""
    paths = [*SHOP_PAGES, *BUYER_PAGES, f"/orders/{orders[0]}", f"/orders/{orders[0]}/invoice"]
    shown = {path: text_of(read(system, path, lang).text) for path in paths}
    for path in (*SELLER_PAGES, f"/seller/orders/{orders[0]}", "/seller/statement"):
        shown[path] = text_of(read(system, path, lang).text)
    return shown


def test_no_page_on_the_way_shows_english_to_an_indonesian_reader(
    system: System, partner: SimulatorHarness
) -> None:
    shop, orders = paid_orders_from_two_shops(system, partner)
    sign_in(system, shop)
    english = english_texts()
    for path, text in walk(system, orders, "id-ID,id;q=0.9").items():
        assert english_on(text, english) == [], path
        assert any(mark in text for mark in (*INDONESIAN_MARKS, "Pusat Penjual")), path


def test_the_same_pages_are_in_english_for_an_english_reader(
    system: System, partner: SimulatorHarness
) -> None:
    shop, orders = paid_orders_from_two_shops(system, partner)
    sign_in(system, shop)
    for path, text in walk(system, orders, "en-US,en;q=0.9").items():
        if path.startswith("/seller"):
            assert "Seller Center" in text and "Pusat Penjual" not in text, path
        else:
            assert "every order and payment is handled here" in text or "INVOICE" in text, path
            assert "setiap pesanan dan pembayaran diurus di sini" not in text, path
    order = text_of(read(system, f"/orders/{orders[0]}", "en").text)
    assert "Order history" in order and "Paid" in order and "Riwayat pesanan" not in order


def test_a_switch_to_english_is_remembered_and_the_page_says_its_language(system: System) -> None:
    batik(system, category="Fashion")
    switched = read(system, "/?lang=en", "id")
    assert (
        switched.headers["content-language"] == "en"
        and "commerce_lang=en" in switched.headers["set-cookie"]
    )
    assert 'href="/?lang=id"' in switched.text and 'lang="en"' in switched.text
    later = read(system, "/search?q=batik", "id")  # the cookie now, not Accept-Language
    assert "Search results for “batik”" in text_of(later.text)
    assert read(system, "/?lang=id", "en").headers["content-language"] == "id"


def test_the_invoice_is_dated_in_wib_with_the_readers_month_names(
    system: System, partner: SimulatorHarness
) -> None:
    system.clock.advance(days=150)  # August 2024: "Agu" in Indonesian, "Aug" in English
    _, orders = paid_orders_from_two_shops(system, partner)
    invoices: InvoiceService = system.commerce.app.state.commerce.invoices  # type: ignore[attr-defined]
    with system.commerce_engine.connect() as conn:
        buyer = conn.scalar(select(order_db.OrderRow.buyer_id))
    issued = invoices.for_buyer(buyer, orders[0]).issued_at
    indonesian = text_of(read(system, f"/orders/{orders[0]}/invoice", "id").text)
    english = text_of(read(system, f"/orders/{orders[0]}/invoice", "en").text)
    assert f"Tanggal: {wib(issued)}" in indonesian and " Agu 2024, " in indonesian
    assert f"Date: {wib(issued, 'en')}" in english and " Aug 2024, " in english
    assert "LUNAS" in indonesian and "PAID" in english


@pytest.mark.parametrize(
    ("lang", "wording"),
    [
        ("id", "Nama produk harus 1 sampai 200 karakter."),
        ("en", "Product name must be 1 to 200 characters."),
    ],
)
def test_a_rule_refused_in_the_product_form_is_worded_with_the_forms_label(
    system: System, lang: str, wording: str
) -> None:
    sign_in(system, system.merchant())
    headers = OWN | {"accept-language": lang}
    refused = system.commerce.post(
        "/seller/products/new", data=LISTING | {"title": "  "}, headers=headers
    )
    assert refused.status_code == 422
    field = refused.text.split('data-testid="error-title"', 1)[1].split("</p>", 1)[0]
    assert wording in field and "title" not in field.replace('data-testid="error-title"', "")


@pytest.mark.parametrize(
    ("lang", "wording"),
    [
        ("id", "Pesanan berstatus “Menunggu pembayaran” tidak bisa diubah menjadi “Dikirim”."),
        ("en", "An order that is “Awaiting payment” cannot become “Shipped”."),
    ],
)
def test_an_api_refusal_has_its_code_parameters_and_message_in_the_readers_language(
    system: System, lang: str, wording: str
) -> None:
    merchant = system.merchant()
    unpaid = placed_api_order(system, merchant)
    r = system.commerce.post(
        f"/api/seller/orders/{unpaid}/ship",
        json={"tracking_number": "JNE-1234567890"},
        headers={"authorization": f"Bearer {merchant['token']}", "accept-language": lang},
    )
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "IllegalTransition" and "cannot become shipped" in body["detail"]
    assert body["code"] == "illegal_transition"
    assert body["params"] == {"status": "awaiting_payment", "target": "shipped"}
    assert body["message"] == wording


def placed_api_order(system: System, merchant: dict[str, Any]) -> int:
    sign_up(system)
    add(system, system.product(merchant, stock=3)["id"])
    assert check_out(system).status_code in (200, 303)  # to the pay page, or its fallback
    with system.commerce_engine.connect() as conn:
        order_id = conn.scalar(select(order_db.OrderRow.id))
    assert order_id is not None
    return int(order_id)

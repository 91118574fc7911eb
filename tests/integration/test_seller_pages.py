"""The seller center's pages: a merchant signs in with its shop token, keeps its catalog with
forms that say what to fix, and fulfils its own orders; another shop's things are not found, and a
form sent from another site is refused."""

import re
from typing import Any

from sqlalchemy import select, update

from keranjang.commerce.catalog.db import MerchantRow, ProductRow
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.infra.clock import FixedClock
from tests.integration.conftest import COMMERCE_URL, HTML, System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_paying import deliver, pay_on_partner_page, start_payment

OWN = HTML | {"origin": COMMERCE_URL}
LISTING = {
    "title": "Kemeja Batik Tulis",
    "description": "Katun primisima, dijahit tangan.",
    "price_idr": "350.000",
    "stock": "12",
    "category": "Fashion",
    "image_url": "",
    "origin_country": "ID",
}


def sign_in(system: System, merchant: dict[str, Any]) -> None:
    r = system.commerce.post(
        "/seller/login", data={"token": merchant["token"]}, headers=OWN, follow_redirects=False
    )
    assert (r.status_code, r.headers["location"]) == (303, "/seller"), r.text


def page(system: System, path: str) -> Any:
    return system.commerce.get(path, headers=HTML, follow_redirects=False)


def post(system: System, path: str, data: dict[str, str] | None = None, **headers: str) -> Any:
    return system.commerce.post(
        path, data=data or {}, headers=OWN | headers, follow_redirects=False
    )


def shop_products(system: System) -> list[ProductRow]:
    with system.commerce_engine.connect() as conn:
        return list(conn.execute(select(ProductRow).order_by(ProductRow.id)).all())  # type: ignore[arg-type]


def status_of(system: System, order_id: int) -> str:
    with system.commerce_engine.connect() as conn:
        return conn.scalar(select(order_db.OrderRow.status).where(order_db.OrderRow.id == order_id))  # type: ignore[return-value]


def placed_order(
    system: System, merchant: dict[str, Any], email: str = "siti@example.com", stock: int = 5
) -> dict[str, Any]:
    product = system.product(merchant, stock=stock)
    auth = buyer(system, email)
    put_in_cart(system, auth, product["id"], 1)
    order: dict[str, Any] = checkout(system, auth).json()["orders"][0]
    return order


def mark_paid(system: System, order: dict[str, Any]) -> None:
    buying = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    buying.transition(order["id"], OrderStatus.PAID, "partner:test")


# signing in -------------------------------------------------------------------------------------


def test_a_merchant_signs_in_with_its_shop_token_and_sees_its_own_dashboard(
    system: System,
) -> None:
    merchant = system.merchant()
    assert page(system, "/seller").headers["location"] == "/seller/login"
    sign_in(system, merchant)
    cookie = next(c for c in system.commerce.cookies.jar if c.name == "kj_seller")
    assert merchant["token"] not in cookie.value
    assert (cookie.path, cookie.secure) == ("/seller", False)
    assert cookie.has_nonstandard_attr("HttpOnly")
    dashboard = page(system, "/seller")
    assert dashboard.status_code == 200
    assert "Batik Sekar" in dashboard.text and "Dasbor" in dashboard.text
    assert dashboard.headers["cache-control"] == "no-store"


def test_the_session_cookie_is_httponly_samesite_lax_and_holds_no_token(system: System) -> None:
    merchant = system.merchant()
    r = system.commerce.post(
        "/seller/login", data={"token": merchant["token"]}, headers=OWN, follow_redirects=False
    )
    set_cookie = r.headers["set-cookie"].lower()
    assert (
        "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/seller" in set_cookie
    )
    assert merchant["token"].lower() not in set_cookie


def test_a_wrong_token_is_refused_on_the_login_page(system: System) -> None:
    system.merchant()
    r = post(system, "/seller/login", {"token": "not-a-shop-token"})
    assert r.status_code == 401
    assert "Token toko tidak dikenal" in r.text
    assert "kj_seller" not in system.commerce.cookies
    assert page(system, "/seller").status_code == 303


def test_logging_out_ends_the_session(system: System) -> None:
    sign_in(system, system.merchant())
    r = post(system, "/seller/logout")
    assert (r.status_code, r.headers["location"]) == (303, "/seller/login")
    assert page(system, "/seller").headers["location"] == "/seller/login"


def test_a_session_ends_when_the_shop_token_is_no_longer_the_shops(system: System) -> None:
    merchant = system.merchant()
    sign_in(system, merchant)
    assert page(system, "/seller").status_code == 200
    with system.commerce_engine.begin() as conn:  # the token is rotated (no API does this yet)
        conn.execute(update(MerchantRow).values(token_hash="0" * 64))
    assert page(system, "/seller").headers["location"] == "/seller/login"


def test_a_session_ends_after_twelve_hours(system: System, clock: FixedClock) -> None:
    sign_in(system, system.merchant())
    clock.advance(hours=11, minutes=59)
    assert page(system, "/seller").status_code == 200
    clock.advance(minutes=2)
    assert page(system, "/seller").headers["location"] == "/seller/login"


def test_a_tampered_session_cookie_is_not_a_session(system: System) -> None:
    sign_in(system, system.merchant())
    value = system.commerce.cookies["kj_seller"]
    forged = value[:-2] + ("B" if value[-2] == "A" else "A") + value[-1]
    system.commerce.cookies.set("kj_seller", forged, domain="commerce.test", path="/seller")
    assert page(system, "/seller").headers["location"] == "/seller/login"


# cross-site forms -------------------------------------------------------------------------------


def test_a_form_sent_from_another_site_is_refused_and_changes_nothing(system: System) -> None:
    merchant = system.merchant()
    sign_in(system, merchant)
    listing = LISTING | {"title": "Dari situs lain"}
    refused = post(system, "/seller/products/new", listing, origin="https://evil.example")
    assert refused.status_code == 403 and "Pusat Penjual" in refused.text
    nameless = system.commerce.post(
        "/seller/products/new", data=listing, headers=HTML, follow_redirects=False
    )
    assert nameless.status_code == 403
    assert shop_products(system) == []
    login = post(system, "/seller/login", {"token": merchant["token"]}, origin="null")
    assert login.status_code == 403
    from_own_page = system.commerce.post(
        "/seller/products/new",
        data=listing,
        headers=HTML | {"referer": f"{COMMERCE_URL}/seller/products/new"},
        follow_redirects=False,
    )
    assert from_own_page.status_code == 303
    assert [p.title for p in shop_products(system)] == ["Dari situs lain"]


# products ---------------------------------------------------------------------------------------


def test_a_product_is_added_and_listed(system: System) -> None:
    merchant = system.merchant()
    sign_in(system, merchant)
    r = post(system, "/seller/products/new", LISTING)
    assert r.status_code == 303 and r.headers["location"].startswith("/seller/products?saved=")
    (row,) = shop_products(system)
    assert (row.title, row.price_idr, row.stock, row.category, row.merchant_id) == (
        "Kemeja Batik Tulis",
        350_000,
        12,
        "Fashion",
        merchant["id"],
    )
    listing = page(system, "/seller/products").text
    assert "Kemeja Batik Tulis" in listing and "Rp350.000" in listing
    assert system.commerce.get(f"/api/products/{row.id}").json()["title"] == "Kemeja Batik Tulis"


def test_a_refused_product_form_keeps_the_input_and_says_what_to_fix(system: System) -> None:
    sign_in(system, system.merchant())
    typed = post(system, "/seller/products/new", LISTING | {"price_idr": "tiga ratus"})
    assert typed.status_code == 422
    assert 'data-testid="error-price_idr"' in typed.text
    assert 'value="tiga ratus"' in typed.text and 'value="Kemeja Batik Tulis"' in typed.text
    assert "Katun primisima, dijahit tangan." in typed.text
    by_rule = post(system, "/seller/products/new", LISTING | {"title": "   ", "stock": "-1"})
    assert by_rule.status_code == 422
    assert 'data-testid="error-title"' in by_rule.text
    assert "Nama produk harus 1 sampai 200 karakter." in by_rule.text  # the form's own label
    assert 'value="-1"' in by_rule.text
    assert shop_products(system) == []


def test_a_cross_border_product_needs_what_the_regulation_asks(system: System) -> None:
    sign_in(system, system.merchant())
    abroad = LISTING | {"cross_border": "on", "origin_country": "CN", "npb_number": "NPB-2024-001"}
    missing = post(system, "/seller/products/new", abroad | {"fob_usd": "120.50"})
    assert missing.status_code == 422
    assert 'data-testid="error-hs_code"' in missing.text
    assert "Kode HS wajib diisi untuk produk lintas negara." in missing.text
    assert (
        'value="120.50"' in missing.text
        and 'name="cross_border" value="on" checked' in missing.text
    )
    cheap = post(
        system, "/seller/products/new", abroad | {"hs_code": "6205.20.00", "fob_usd": "99"}
    )
    assert 'data-testid="error-fob_usd"' in cheap.text and "Pasal 19" in cheap.text
    ok = post(
        system, "/seller/products/new", abroad | {"hs_code": "6205.20.00", "fob_usd": "120.5"}
    )
    assert ok.status_code == 303, ok.text
    (row,) = shop_products(system)
    assert (row.cross_border, row.origin_country, row.hs_code, row.fob_usd_cents) == (
        True,
        "CN",
        "62052000",
        12_050,
    )
    assert 'data-testid="cross-border"' in page(system, "/seller/products").text
    edit = page(system, f"/seller/products/{row.id}/edit").text
    assert 'value="120.50"' in edit and 'value="NPB-2024-001"' in edit
    still_abroad = abroad | {"hs_code": "6205.20.00", "fob_usd": ""}
    kept = post(system, f"/seller/products/{row.id}/edit", still_abroad)
    assert kept.status_code == 422 and 'data-testid="error-fob_usd"' in kept.text
    assert shop_products(system)[0].fob_usd_cents == 12_050
    domestic = LISTING | {"fob_usd": ""}  # no longer cross-border: its FOB price goes
    assert post(system, f"/seller/products/{row.id}/edit", domestic).status_code == 303
    (row,) = shop_products(system)
    assert (row.cross_border, row.fob_usd_cents) == (False, None)


def test_a_merchant_edits_its_product_and_clears_an_optional_number(system: System) -> None:
    merchant = system.merchant()
    product = system.product(merchant, sni_number="SNI-8888-2020", stock=3)
    sign_in(system, merchant)
    form = page(system, f"/seller/products/{product['id']}/edit")
    assert form.status_code == 200 and 'value="SNI-8888-2020"' in form.text
    changed = LISTING | {"title": "Kemeja Batik Cap", "price_idr": "299000", "stock": "40"}
    r = post(system, f"/seller/products/{product['id']}/edit", changed)
    assert r.status_code == 303, r.text
    (row,) = shop_products(system)
    assert (row.title, row.price_idr, row.stock, row.sni_number) == (
        "Kemeja Batik Cap",
        299_000,
        40,
        None,
    )
    refused = post(system, f"/seller/products/{product['id']}/edit", changed | {"price_idr": "0"})
    assert refused.status_code == 422 and 'data-testid="error-price_idr"' in refused.text
    assert shop_products(system)[0].price_idr == 299_000


# another shop -----------------------------------------------------------------------------------


def test_another_shops_product_and_order_are_not_found(system: System) -> None:
    owner, other = system.merchant(), system.merchant("kopi-gayo", "Kopi Gayo")
    order = placed_order(system, owner)
    mark_paid(system, order)
    product_id = order["lines"][0]["product_id"]
    sign_in(system, other)
    for path in (
        f"/seller/products/{product_id}/edit",
        f"/seller/orders/{order['id']}",
        f"/seller/orders/{order['id']}/invoice",
        "/seller/products/999999/edit",
        "/seller/orders/not-a-number",
    ):
        r = page(system, path)
        assert r.status_code == 404, path
        assert 'data-testid="error"' in r.text and "Kopi Gayo" in r.text
    assert post(system, f"/seller/products/{product_id}/edit", LISTING).status_code == 404
    shipped = post(system, f"/seller/orders/{order['id']}/ship", {"tracking_number": "JNE-123456"})
    assert shipped.status_code == 404
    assert status_of(system, order["id"]) == "paid"
    assert shop_products(system)[0].title == "Kemeja Batik Tulis"
    assert f'data-order-id="{order["id"]}"' not in page(system, "/seller/orders").text


# orders -----------------------------------------------------------------------------------------


def test_a_merchant_ships_and_delivers_an_order_from_its_pages(system: System) -> None:
    merchant = system.merchant()
    order = placed_order(system, merchant)
    mark_paid(system, order)
    sign_in(system, merchant)
    to_ship = page(system, "/seller/orders?status=paid").text
    assert f'data-order-id="{order["id"]}"' in to_ship
    assert (
        f'data-order-id="{order["id"]}"' not in page(system, "/seller/orders?status=shipped").text
    )
    detail = page(system, f"/seller/orders/{order['id']}")
    assert order["number"] in detail.text and "Nomor resi" in detail.text
    shipped = post(
        system, f"/seller/orders/{order['id']}/ship", {"tracking_number": "JNE-1234567890"}
    )
    assert (shipped.status_code, shipped.headers["location"]) == (
        303,
        f"/seller/orders/{order['id']}",
    )
    detail = page(system, f"/seller/orders/{order['id']}").text
    assert 'data-status="shipped"' in detail and "JNE-1234567890" in detail
    assert post(system, f"/seller/orders/{order['id']}/deliver").status_code == 303
    assert status_of(system, order["id"]) == "delivered"


def test_an_illegal_step_shows_the_reason_and_changes_nothing(system: System) -> None:
    merchant = system.merchant()
    order = placed_order(system, merchant)
    sign_in(system, merchant)
    unpaid_ship = post(
        system, f"/seller/orders/{order['id']}/ship", {"tracking_number": "JNE-123456"}
    )
    assert unpaid_ship.status_code == 409
    assert 'data-testid="problem"' in unpaid_ship.text
    assert "“Menunggu pembayaran” tidak bisa diubah menjadi “Dikirim”" in unpaid_ship.text
    assert 'data-status="awaiting_payment"' in unpaid_ship.text
    mark_paid(system, order)
    early = post(system, f"/seller/orders/{order['id']}/deliver")
    assert early.status_code == 409
    assert "“Dibayar” tidak bisa diubah menjadi “Tiba di tujuan”" in early.text
    bad_tracking = post(system, f"/seller/orders/{order['id']}/ship", {"tracking_number": "x"})
    assert bad_tracking.status_code == 422
    assert "Nomor resi harus 6 sampai 64 huruf, angka atau &#39;-&#39;." in bad_tracking.text
    assert status_of(system, order["id"]) == "paid"


def test_a_merchant_cancels_with_a_reason_and_the_stock_comes_back(
    system: System, partner: SimulatorHarness
) -> None:
    merchant = system.merchant()
    order = paid_through_partner(system, partner, merchant)
    sign_in(system, merchant)
    path = f"/seller/orders/{order['id']}/cancel"
    no_reason = post(system, path, {"reason": "  "})
    assert no_reason.status_code == 422
    assert "Tulis alasan pembatalan: pembeli membacanya." in no_reason.text
    assert post(system, path, {"reason": "Stok rusak saat dikemas"}).status_code == 303
    assert status_of(system, order["id"]) == "cancelled"
    assert shop_products(system)[0].stock == 5
    assert 'data-status="cancelled"' in page(system, f"/seller/orders/{order['id']}").text


def test_the_dashboard_counts_orders_by_status_and_paid_revenue(system: System) -> None:
    merchant = system.merchant()
    unpaid = placed_order(system, merchant, "a@example.com")
    paid = placed_order(system, merchant, "b@example.com")
    shipped = placed_order(system, merchant, "c@example.com", stock=2)
    for order in (paid, shipped):
        mark_paid(system, order)
    sign_in(system, merchant)
    post(system, f"/seller/orders/{shipped['id']}/ship", {"tracking_number": "JNE-1234567890"})
    dashboard = page(system, "/seller").text
    counts = dict(re.findall(r'data-testid="count-(\w+)">\s*<div class="figure">(\d+)<', dashboard))
    assert counts == {"awaiting_payment": "1", "paid": "1", "shipped": "1", "delivered": "0"}
    revenue = paid["total_idr"] + shipped["total_idr"]
    assert f"Rp{revenue:,}".replace(",", ".") in dashboard
    low = dashboard.split('data-testid="low-stock"')[1]
    assert low.count("<tr>") == 1 + 3  # the header and three products at 4 or 1 left
    assert unpaid["id"] != paid["id"]


# invoices ---------------------------------------------------------------------------------------


def paid_through_partner(
    system: System, partner: SimulatorHarness, merchant: dict[str, Any]
) -> dict[str, Any]:
    product = system.product(merchant, price_idr=350_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    order: dict[str, Any] = checkout(system, auth).json()["orders"][0]
    pay_on_partner_page(partner, start_payment(system, order, auth))
    assert (200, "order paid") in deliver(system, partner)
    return order


def test_the_seller_reads_and_downloads_the_invoice_of_a_paid_order(
    system: System, partner: SimulatorHarness
) -> None:
    merchant = system.merchant()
    order = paid_through_partner(system, partner, merchant)
    unpaid = placed_order(system, merchant, "budi@example.com")
    sign_in(system, merchant)
    assert "/invoice.pdf" in page(system, f"/seller/orders/{order['id']}").text
    html = page(system, f"/seller/orders/{order['id']}/invoice")
    assert html.status_code == 200 and "Kemeja Batik Tulis" in html.text
    assert "Rp365.000" in html.text
    pdf = page(system, f"/seller/orders/{order['id']}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    not_yet = page(system, f"/seller/orders/{unpaid['id']}/invoice")
    assert not_yet.status_code == 409 and "Invoice terbit setelah pesanan dibayar." in not_yet.text


def test_a_merchant_refunds_part_of_an_order_then_the_rest_from_its_page(
    system: System, partner: SimulatorHarness
) -> None:
    merchant = system.merchant()
    order = paid_through_partner(system, partner, merchant)
    sign_in(system, merchant)
    path = f"/seller/orders/{order['id']}/refund"
    product_id = order["lines"][0]["product_id"]
    assert 'data-testid="refund-form"' in page(system, f"/seller/orders/{order['id']}").text
    one = {"scope": "items", f"q_{product_id}": "1", "reason": "Rusak"}
    too_many = post(system, path, one | {f"q_{product_id}": "2"})
    assert too_many.status_code == 422 and "kembalikan 1 sampai 1 barang" in too_many.text
    assert post(system, path, one | {"confirm": "1"}).status_code == 303
    detail = page(system, f"/seller/orders/{order['id']}").text
    assert 'data-testid="refunded"' in detail and "Rp350.000" in detail
    assert status_of(system, order["id"]) == "paid"  # the shipping is still the buyer's
    rest = {"scope": "all", "reason": "Ongkir juga", "confirm": "1"}
    assert post(system, path, rest).status_code == 303
    assert status_of(system, order["id"]) == "refunded"
    assert partner.partner.status(order["number"]).refunded_amount == 365_000

"""The seller center's pages, the catalog: a product added and listed, a refused form that keeps the
input and says what to fix, what a cross-border product needs, an edit that clears an optional
number."""

from tests.integration.conftest import System
from tests.integration.seller_pages import LISTING, page, post, shop_products, sign_in


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

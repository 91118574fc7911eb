"""Cross-border listings (Permendag 31/2023 Pasal 11 and 19): a product sold directly from
abroad names its HS code, origin, FOB price and NPB number, costs at least US$100 FOB unless it is
on the positive list, and sellers edit those fields under the same rules."""

from typing import Any

import pytest

from tests.integration.conftest import System

CROSS_BORDER = {
    "title": "Wireless Earbuds Pro",
    "price_idr": 1_890_000,
    "stock": 40,
    "category": "Elektronik",
    "cross_border": True,
    "origin_country": "cn",
    "hs_code": "8518.30.00",
    "fob_usd_cents": 11_500,
    "npb_number": "NPB-2024/0001234",
    "sni_number": "SNI IEC 60065:2015",
    "halal_number": None,
}


def add(system: System, merchant: dict[str, Any], **fields: Any) -> Any:
    return system.commerce.post(
        "/api/products",
        json={"title": "Barang", "price_idr": 10_000, "stock": 1} | fields,
        headers={"Authorization": f"Bearer {merchant['token']}"},
    )


def test_a_cross_border_listing_keeps_every_field_normalised(system: System) -> None:
    merchant = system.merchant()
    created = system.product(merchant, **CROSS_BORDER)
    shown = system.commerce.get(f"/api/products/{created['id']}").json()
    for answer in (created, shown):
        assert answer["cross_border"] is True
        assert answer["origin_country"] == "CN"
        assert answer["hs_code"] == "85183000"
        assert answer["fob_usd_cents"] == 11_500
        assert answer["npb_number"] == "NPB-2024/0001234"
        assert answer["sni_number"] == "SNI IEC 60065:2015"
        assert answer["halal_number"] is None


def test_a_local_listing_defaults_to_indonesia_and_not_cross_border(system: System) -> None:
    p = system.product(system.merchant())
    assert (p["origin_country"], p["cross_border"], p["hs_code"]) == ("ID", False, None)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"hs_code": None}, "hs_code is required"),
        ({"fob_usd_cents": None}, "fob_usd_cents (the FOB price in US cents) is required"),
        ({"npb_number": "  "}, "npb_number is required"),
        ({"origin_country": "ID"}, "origin_country must be the country the goods ship from"),
        ({"origin_country": "C1"}, "origin_country must be an ISO 3166 two-letter"),
        ({"hs_code": "85-18"}, "hs_code must be 6 to 10 digits"),
        ({"fob_usd_cents": 9_999}, "at least 10000 (US$100 FOB a unit)"),
        ({"fob_usd_cents": 0}, "fob_usd_cents must be a whole number of US cents"),
    ],
)
def test_an_incomplete_or_cheap_cross_border_listing_is_refused_naming_the_field(
    system: System, change: dict[str, Any], named: str
) -> None:
    merchant = system.merchant()
    r = add(system, merchant, **(CROSS_BORDER | change))
    assert r.status_code == 422, r.text
    assert named in r.text
    assert system.commerce.get("/catalog/products").json()["items"] == []


def test_books_on_the_positive_list_may_cost_less_than_us100(system: System) -> None:
    book = CROSS_BORDER | {"title": "Novel impor", "hs_code": "4901.99.10", "fob_usd_cents": 1_200}
    assert add(system, system.merchant(), **book).status_code == 201


def test_a_seller_edits_and_clears_cross_border_fields_under_the_same_rules(system: System) -> None:
    merchant = system.merchant()
    auth = {"Authorization": f"Bearer {merchant['token']}"}
    product = system.product(merchant, **CROSS_BORDER)
    path = f"/api/seller/products/{product['id']}"

    r = system.commerce.patch(path, json={"fob_usd_cents": 5_000}, headers=auth)
    assert r.status_code == 422 and "US$100" in r.text
    r = system.commerce.patch(
        path, json={"sni_number": "", "halal_number": "ID00410000123"}, headers=auth
    )
    assert r.status_code == 200, r.text
    assert (r.json()["sni_number"], r.json()["halal_number"]) == (None, "ID00410000123")
    assert r.json()["fob_usd_cents"] == 11_500  # the refused edit changed nothing

    r = system.commerce.patch(
        path, json={"cross_border": False, "origin_country": "ID"}, headers=auth
    )
    assert r.status_code == 200, r.text
    assert system.commerce.get(f"/api/products/{product['id']}").json()["cross_border"] is False


def test_the_product_page_shows_the_standards_proof(system: System) -> None:
    product = system.product(system.merchant(), **CROSS_BORDER)
    page = system.commerce.get(f"/products/{product['id']}", headers={"accept": "text/html"})
    assert page.status_code == 200
    for shown in ("Dikirim dari luar negeri", "Asal CN", "HS 85183000", "NPB-2024/0001234"):
        assert shown in page.text
    plain = system.product(system.merchant("toko-lokal", "Toko Lokal"))
    page = system.commerce.get(f"/products/{plain['id']}", headers={"accept": "text/html"})
    assert 'data-testid="product-standards"' not in page.text


def test_null_removes_an_optional_field_and_required_ones_cannot_be_removed(
    system: System,
) -> None:
    merchant = system.merchant()
    auth = {"Authorization": f"Bearer {merchant['token']}"}
    product = system.product(merchant, **CROSS_BORDER)
    path = f"/api/seller/products/{product['id']}"
    # Still cross-border: the FOB price is required, so removing it is refused.
    r = system.commerce.patch(path, json={"fob_usd_cents": None}, headers=auth)
    assert (
        r.status_code == 422 and "fob_usd_cents (the FOB price in US cents) is required" in r.text
    )
    r = system.commerce.patch(
        path,
        json={
            "cross_border": False,
            "origin_country": "ID",
            "fob_usd_cents": None,
            "hs_code": None,
        },
        headers=auth,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["fob_usd_cents"], r.json()["hs_code"]) == (None, None)
    r = system.commerce.patch(path, json={"title": None}, headers=auth)
    assert r.status_code == 422 and "title cannot be removed" in r.text

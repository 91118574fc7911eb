"""The seller center's product form: what the seller typed is read into numbers, refused with a
reason next to the field, and a domain rule's refusal lands next to the field it names."""

import pytest

from keranjang.commerce.catalog.domain import Merchant, MerchantKind, Product, apply_change
from keranjang.commerce.errors import Invalid
from keranjang.commerce.web.pages.seller.listing_form import ProductForm, dollars

TYPED = {
    "title": "Kemeja Batik Tulis",
    "price_idr": "350000",
    "stock": "12",
    "origin_country": "ID",
}


@pytest.mark.parametrize(
    ("typed", "rupiah"), [("350000", 350_000), ("350.000", 350_000), ("Rp 1.250.000", 1_250_000)]
)
def test_prices_are_read_as_whole_rupiah_with_or_without_dots(typed: str, rupiah: int) -> None:
    form = ProductForm.submitted(TYPED | {"price_idr": typed})
    assert form.errors == {} and form.price_idr == rupiah


@pytest.mark.parametrize(("typed", "cents"), [("120", 12_000), ("120.5", 12_050), ("99,99", 9_999)])
def test_the_fob_price_is_typed_in_dollars_and_kept_in_cents(typed: str, cents: int) -> None:
    form = ProductForm.submitted(TYPED | {"fob_usd": typed})
    new = form.new_product()
    assert new is not None and new.fob_usd_cents == cents
    assert dollars(cents) == f"{cents // 100}.{cents % 100:02d}"


def test_unreadable_numbers_are_refused_field_by_field_and_kept_as_typed() -> None:
    form = ProductForm.submitted(
        TYPED | {"price_idr": "350rb", "stock": "banyak", "fob_usd": "1.2.3"}
    )
    assert set(form.errors) == {"price_idr", "stock", "fob_usd"}
    assert form.text["price_idr"] == "350rb"
    assert form.new_product() is None


def test_text_longer_than_the_catalog_stores_is_refused() -> None:
    form = ProductForm.submitted(TYPED | {"category": "x" * 61})
    assert "category" in form.errors and form.new_product() is None


def test_a_rule_refusal_lands_next_to_the_field_its_message_names() -> None:
    form = ProductForm.submitted(TYPED)
    form.refused(Invalid("fob_usd_cents must be at least 10000 (US$100 FOB a unit)"))
    form.refused(Invalid("hs_code is required for a cross-border product"))
    form.refused(Invalid("something else went wrong"))
    assert set(form.errors) == {"fob_usd", "hs_code", ""}


def test_an_edit_sends_every_field_so_an_emptied_number_is_cleared() -> None:
    product = Product(
        id=1,
        merchant=Merchant(1, "batik-sekar", "Batik Sekar", MerchantKind.LOCAL, "Solo"),
        title="Kemeja",
        description="",
        price_idr=1,
        stock=1,
        category="Fashion",
        image_url=None,
        sni_number="SNI-8888-2020",
    )
    change = ProductForm.submitted(TYPED).change_of(product)
    assert change is not None and change.sni_number == "" and change.cross_border is False


def test_an_emptied_fob_price_is_removed_from_the_listing() -> None:
    product = Product(
        id=1,
        merchant=Merchant(1, "toko", "Toko", MerchantKind.FOREIGN, "Shenzhen"),
        title="Jam",
        description="",
        price_idr=1,
        stock=1,
        category="Aksesori",
        image_url=None,
        fob_usd_cents=25_000,
    )
    form = ProductForm.submitted(TYPED)
    change = form.change_of(product)
    assert change is not None and change.cleared == {"fob_usd_cents"}
    assert apply_change(product, change).fob_usd_cents is None

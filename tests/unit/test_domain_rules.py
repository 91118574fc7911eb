"""Plain-Python rules of social and commerce."""

import pytest

from keranjang.commerce.attribution.domain import check_handoff_target
from keranjang.commerce.catalog.domain import (
    MAX_PRICE_IDR,
    Merchant,
    MerchantKind,
    NewProduct,
    Product,
    check_new_product,
    check_slug,
)
from keranjang.commerce.errors import HandoffRefused, Invalid
from keranjang.social import domain as social

CREATOR = social.Creator(id=1, handle="rina.masak", display_name="Rina", ecommerce_permitted=True)


def test_a_creator_without_ecommerce_permission_cannot_pin() -> None:
    unpermitted = social.Creator(2, "budi", "Budi", ecommerce_permitted=False)
    with pytest.raises(social.NotPermitted, match="e-commerce permission"):
        social.check_can_pin(unpermitted, content_creator_id=2, existing_pins=0)


def test_a_creator_cannot_pin_on_someone_elses_content() -> None:
    with pytest.raises(social.NotPermitted, match="your own content"):
        social.check_can_pin(CREATOR, content_creator_id=99, existing_pins=0)


def test_pins_per_content_are_limited() -> None:
    social.check_can_pin(CREATOR, 1, social.MAX_PINS_PER_CONTENT - 1)
    with pytest.raises(social.Invalid, match="at most"):
        social.check_can_pin(CREATOR, 1, social.MAX_PINS_PER_CONTENT)


@pytest.mark.parametrize("handle", ["ab", "Rina", "rina masak", "x" * 31, "rina!"])
def test_bad_handles_are_refused_with_the_rule(handle: str) -> None:
    with pytest.raises(social.Invalid, match="3 to 30 characters"):
        social.check_handle(handle)


def test_a_live_session_starts_live_and_a_video_has_no_live_status() -> None:
    assert social.initial_live_status(social.ContentKind.LIVE) is social.LiveStatus.LIVE
    assert social.initial_live_status(social.ContentKind.VIDEO) is None


def product(**changes: object) -> NewProduct:
    base = {
        "title": "Kopi Gayo",
        "description": "",
        "price_idr": 95_000,
        "stock": 3,
        "category": "Minuman",
    }
    return NewProduct(**(base | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "title"),
        ({"price_idr": 0}, "price_idr"),
        ({"price_idr": MAX_PRICE_IDR + 1}, "price_idr"),
        ({"stock": -1}, "stock"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
    ],
)
def test_a_bad_product_is_refused_naming_the_field(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        check_new_product(product(**changes))


@pytest.mark.parametrize("slug", ["ab", "-batik", "batik-", "Batik", "batik sekar"])
def test_bad_shop_addresses_are_refused(slug: str) -> None:
    with pytest.raises(Invalid, match="slug"):
        check_slug(slug)


def test_a_handoff_naming_the_wrong_merchant_is_refused() -> None:
    merchant = Merchant(1, "batik-sekar", "Batik Sekar", MerchantKind.LOCAL, "Solo")
    item = Product(5, merchant, "Kemeja", "", 1000, 1, "Fashion", None)
    check_handoff_target(item, claimed_merchant=1)
    with pytest.raises(HandoffRefused) as refused:
        check_handoff_target(item, claimed_merchant=2)
    assert refused.value.reason == "merchant_mismatch"

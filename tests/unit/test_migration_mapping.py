"""A legacy row as commerce's row, and back: what a seller, a buyer and a regulator would check."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from keranjang.commerce.money import payment_news
from keranjang.migration import mapping
from keranjang.social.legacy_shop import domain as legacy_domain

AT = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
ORDER: dict[str, Any] = {
    "id": 7,
    "number": "LGC-3F2A9C01B7E4D655",
    "status": "completed",
    "subtotal_idr": 700_000,
    "shipping_idr": 15_000,
    "total_idr": 715_000,
    "platform_fee_bp": 500,
    "shipping_address": json.dumps({"recipient": "Siti", "city": "Bandung"}),
    "tracking_number": "JNE1",
    "hold_expires_at": AT,
    "completed_at": AT,
    "created_at": AT,
    "updated_at": AT,
    "refunded_idr": 0,
}


def test_the_sellers_own_slug_is_kept_when_free_else_marked_as_moved() -> None:
    assert mapping.free_slug("toko-rina", ["batik-sekar"]) == "toko-rina"
    assert mapping.free_slug("toko-rina", ["toko-rina"]) == "toko-rina-moved"
    assert mapping.free_slug("toko-rina", ["toko-rina", "toko-rina-moved"]) == "toko-rina-moved-2"


def test_a_bound_merchant_cannot_be_signed_into_before_its_cutover() -> None:
    seller = {"name": "Toko Rina", "kind": "local", "city": "Bandung", "token_digest": "ab" * 32}
    merchant = mapping.merchant(seller, "toko-rina", AT)
    assert merchant["token_hash"] != seller["token_digest"]
    assert merchant["token_hash"] == mapping.moving_marker("ab" * 32)  # found again after a crash
    assert mapping.application(seller | {"slug": "toko-rina"}, 1, AT) is None


def test_a_foreign_sellers_application_lists_what_is_missing() -> None:
    facts = dict.fromkeys(mapping.FOREIGN_FACTS, "x") | {
        "origin_country": "CN",
        "halal_certificate": None,
    }
    seller = {"slug": "shop-cn", "name": "Shop", "kind": "foreign", "city": "Shenzhen"} | facts
    application = mapping.application(seller, 9, AT)
    assert application is not None and application["merchant_id"] == 9
    assert json.loads(application["missing"]) == ["halal_certificate"]


def test_an_order_keeps_its_legacy_number_state_amounts_and_address() -> None:
    moved = mapping.order(ORDER, mapping.OrderIds(merchant_id=3, buyer_id=11))
    assert moved["number"] == "LGC-3F2A9C01B7E4D655"
    assert (moved["status"], moved["total_idr"], moved["merchant_id"], moved["buyer_id"]) == (
        "completed", 715_000, 3, 11,
    )  # fmt: skip
    assert moved["shipping_address"] == ORDER["shipping_address"]
    # Settled in the app: nothing held here for the refund window to release.
    assert moved["released_at"] == AT
    assert "viewer_id" not in moved and "seller_id" not in moved


def test_a_buyer_becomes_an_unclaimed_account_naming_no_viewer() -> None:
    viewer = {
        "id": 42,
        "email": " Siti@Example.com ",
        "name": "Siti",
        "phone": "+628123",
        "created_at": AT,
    }
    buyer = mapping.buyer(viewer)
    assert buyer == {
        "email": "siti@example.com",
        "name": "Siti",
        "password_hash": None,
        "phone": "+628123",
        "created_at": AT,
        "claimed_at": None,
    }
    with pytest.raises(mapping.Unmappable):
        mapping.buyer(viewer | {"email": ""})


def test_a_refunded_orders_lines_and_refund_say_what_was_returned() -> None:
    line = {"title": "Batik", "unit_price_idr": 350_000, "quantity": 2, "commission_bp": 800}
    assert mapping.line(line | {"order_refunded": True}, 5, 6)["refunded_quantity"] == 2
    assert mapping.line(line | {"order_refunded": False}, 5, 6)["refunded_quantity"] == 0
    refund = {
        "refund_key": "lrf-1", "amount_idr": 715_000, "reason": "rusak", "kind": "order",
        "partner_order_id": ORDER["number"], "status": "succeeded", "last_error": None,
        "created_at": AT, "updated_at": AT, "order_status": "refunded", "order_completed_at": AT,
        "order_shipping_idr": 15_000,
    }  # fmt: skip
    moved = mapping.refund(refund, 5, {6: 2})
    assert (moved["stage"], moved["then_status"], json.loads(moved["lines"])) == (
        "shares", "refunded", {"6": 2},
    )  # fmt: skip
    stray = mapping.refund(refund | {"kind": "stray"}, 5, {6: 2})
    assert (stray["stage"], stray["lines"], stray["shipping_idr"]) == ("stray", "{}", 0)


def test_a_payment_keeps_its_partner_ids_and_an_event_its_actor_within_commerces_limit() -> None:
    payment = dict.fromkeys(mapping.PAYMENT_FIELDS, "x") | {"attempt": 2, "amount_idr": 715_000}
    assert mapping.payment(payment, 5)["attempt"] == 2
    back = mapping.back_payment(payment, 9, ORDER["number"])
    assert back["partner_order_id"] == f"{ORDER['number']}-2"
    event = {
        "from_status": None,
        "to_status": "awaiting_payment",
        "actor": "b" * 60,
        "reason": "",
        "at": AT,
    }
    assert len(mapping.event(event, 5)["actor"]) == 40


def test_the_way_back_refuses_an_order_number_the_app_cannot_hold() -> None:
    assert mapping.back_order(ORDER, 1, 2, 3)["number"] == ORDER["number"]
    with pytest.raises(mapping.Unmappable, match="32 characters"):
        mapping.back_order(ORDER | {"number": "KRJ-" + "F" * 40}, 1, 2, 3)


def test_the_app_and_commerce_name_a_payment_attempt_to_the_partner_alike() -> None:
    """A payment moved either way keeps the id the partner knows it by only if both sides
    derive it from the order number and attempt by the same rule."""
    for attempt in (1, 2, 7):
        assert legacy_domain.partner_order_id("LGC-1A2B", attempt) == (
            payment_news.partner_order_id("LGC-1A2B", attempt)
        )

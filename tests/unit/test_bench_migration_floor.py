"""The migration floor bench (bench/migration/floor.py) writes into commerce what the engine
would: its tuple-per-row converters give, for the same legacy row, the values
keranjang.migration.mapping gives (so the floor measures the engine's rows, not easier ones),
and its verification names every seller whose figures differ."""

from datetime import UTC, datetime

import pytest

from bench.migration.floor_steps import STEPS, Maps, Row
from bench.migration.floor_verify import differences
from keranjang.migration import mapping
from keranjang.social.legacy_shop.books import PARTLY

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
MAPS: Maps = {
    "merchant": {7: 70},
    "buyer": {8: 80},
    "product": {11: 110, 12: 120},
    "order": {21: 210},
    "attribution": {31: 310},
}


def floor_values(kind: str, row: Row) -> dict[str, object]:
    step = next(s for s in STEPS if s.kind == kind)
    return dict(zip(step.columns, step.convert(row, MAPS), strict=True))


def test_a_product_is_written_as_the_engine_writes_it() -> None:
    listing = {f: f"{f}-value" for f in mapping.LISTING} | {"price_idr": 150_000, "stock": 4}
    product = {"id": 11, "seller_id": 7, **listing, "created_at": AT, "updated_at": LATER}
    row = (11, 7, *(listing[f] for f in mapping.LISTING), AT, LATER)
    assert floor_values("product", row) == mapping.product(product, 70)


def test_a_buyer_is_opened_unclaimed_with_its_email_cleaned() -> None:
    viewer = {"id": 8, "email": " Sari@Contoh.ID ", "name": " Sari ", "phone": " 0812 ",
              "created_at": AT}  # fmt: skip
    row = (8, 7, viewer["email"], viewer["name"], viewer["phone"], AT)
    assert floor_values("buyer", row) == mapping.buyer(viewer)


@pytest.mark.parametrize(
    ("status", "completed_at", "refunded", "whole", "partly"),
    [
        ("completed", LATER, None, None, None),
        ("refunded", LATER, 95_000, True, None),
        ("paid", None, None, None, None),
        # Part of it refunded in commerce before a rollback: its own shipping, not the order's.
        ("completed", LATER, 30_000, False, 2_000),
    ],
)
def test_an_order_keeps_its_money_and_refund(status: str, completed_at: object,
                                             refunded: int | None, whole: bool | None,
                                             partly: int | None) -> None:  # fmt: skip
    fields = {"number": "LGC-1", "status": status, "subtotal_idr": 90_000, "shipping_idr": 5_000,
              "total_idr": 95_000, "platform_fee_bp": 500, "shipping_address": "{}",
              "tracking_number": None, "hold_expires_at": AT, "completed_at": completed_at,
              "created_at": AT, "updated_at": LATER}  # fmt: skip
    order = {"id": 21, **fields, "refunded_idr": refunded, "order_refunded": whole,
             "partly_shipping_idr": partly}  # fmt: skip
    row = (21, 7, 8, *(fields[f] for f in mapping.ORDER_FIELDS), refunded, whole, partly)
    expected = mapping.order(order, mapping.OrderIds(merchant_id=70, buyer_id=80))
    assert floor_values("order", row) == expected


@pytest.mark.parametrize(("refunded", "units"), [(True, 0), (False, 0), (False, 1)])
def test_a_line_points_at_its_order_product_and_attribution(refunded: bool, units: int) -> None:
    line = {"id": 31, "title": "Kopi", "unit_price_idr": 45_000, "quantity": 2,
            "commission_bp": 300, "order_refunded": refunded,
            "refunded_quantity": units}  # fmt: skip
    row = (31, 7, 21, 11, "Kopi", 45_000, 2, 300, refunded, units)
    assert floor_values("line", row) == mapping.line(line, 210, 110, 310)


def test_a_creator_line_becomes_an_attribution() -> None:
    line = {"id": 31, "creator_id": 5, "order_created_at": AT}
    expected = mapping.attribution(line, 110, 70)
    assert floor_values("attribution", (31, 7, 5, 11, AT)) == expected


def test_an_event_keeps_an_actor_commerce_can_hold() -> None:
    event = {"from_status": "paid", "to_status": "shipped", "actor": "seller:" + "x" * 60,
             "reason": "", "at": AT}  # fmt: skip
    row = (41, 7, 21, "paid", "shipped", event["actor"], "", AT)
    assert floor_values("event", row) == mapping.event(event, 210)


@pytest.mark.parametrize(
    ("kind", "completed_at"), [("order", None), ("order", LATER), ("stray", None)]
)
def test_a_refund_names_its_lines_in_commerce(kind: str, completed_at: object) -> None:
    refund = {"order_id": 21, "kind": kind, "refund_key": "rk-1", "amount_idr": 95_000,
              "reason": "batal", "partner_order_id": "LGC-1", "status": "succeeded",
              "last_error": None, "created_at": AT, "updated_at": LATER,
              "order_status": "refunded", "order_completed_at": completed_at,
              "order_shipping_idr": 5_000}  # fmt: skip
    # The order's units left: product 12 was refunded in full before, so it takes none of it.
    row = (51, 7, *refund.values(), {"12": 0, "11": 2}, None, None)
    expected = mapping.refund(refund | {"lines": None, "shipping_idr": None}, 210, {110: 2})
    assert floor_values("refund", row) == expected


def test_a_refund_made_in_commerce_before_a_rollback_takes_its_own_units() -> None:
    refund = {"order_id": 21, "kind": PARTLY, "refund_key": "rk-2", "amount_idr": 47_000,
              "reason": "rusak", "partner_order_id": "LGC-1", "status": "succeeded",
              "last_error": None, "created_at": AT, "updated_at": LATER,
              "order_status": "completed", "order_completed_at": LATER,
              "order_shipping_idr": 5_000}  # fmt: skip
    own = {"lines": '{"12": 1}', "shipping_idr": 2_000}
    row = (52, 7, *refund.values(), {"12": 1, "11": 2}, own["lines"], own["shipping_idr"])
    expected = mapping.refund(refund | own, 210, {120: 1})
    assert floor_values("refund", row) == expected


def test_the_verification_passes_matching_figures_and_names_each_difference() -> None:
    social = {("order", 7): (2, 190_000), ("line", 7): (3, 90_000), ("order", 9): (1, 10)}
    same = {("order", 70): (2, 190_000), ("line", 70): (3, 90_000), ("order", 90): (1, 10)}
    merchants = {7: 70, 9: 90}
    assert differences(social, same, merchants) == []

    wrong = same | {("line", 70): (3, 89_999)}
    wrong.pop(("order", 90))
    found = differences(social, wrong, merchants)
    assert len(found) == 2
    assert "line of seller 7" in found[0] and "89999" in found[0]
    assert "order of seller 9" in found[1] and "commerce None" in found[1]
    # A merchant the map does not know (rows nobody moved) is a difference too.
    assert differences(social, same | {("order", 99): (1, 1)}, merchants)

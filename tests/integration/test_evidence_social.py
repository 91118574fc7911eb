"""Social's evidence for the regulator, on SQLite and PostgreSQL: what its in-app shop took in
the window (orders, sales, payments and notifications by status), which sellers still sell
there, buyer data left for a seller moved to commerce and purged, the claim names of the
hand-off tokens it signed, and no invoice link; never a buyer's email, phone, name or address;
the regulator's token only."""

from typing import Any

from sqlalchemy import Engine, text

from keranjang.handoff import HandoffClaims
from tests.integration.conftest import OPERATOR
from tests.integration.evidence_checks import (
    assert_names_no_buyer,
    assert_regulator_only,
    monitor_reading,
    read,
    regulator_env,  # noqa: F401
)
from tests.integration.legacy_fixtures import ADDRESS, Legacy, legacy_fixture  # noqa: F401

PATH = "/evidence/social"
DAY = 24 * 3600
BUYERS = ("siti@example.com", "budi@example.com", "Siti", "Budi", *ADDRESS.values())
ORDER_CHILDREN = ("legacy_order_lines", "legacy_stock_holds", "legacy_order_events")


def route_to_commerce(engine: Engine, seller_id: int) -> None:
    with engine.begin() as c:
        c.execute(
            text(
                "UPDATE merchant_routes SET route = 'commerce', commerce_merchant_id = 9 "
                "WHERE legacy_seller_id = :s"
            ),
            {"s": seller_id},
        )


def purge_listings(engine: Engine, seller_id: int) -> None:
    """The purge's first half: the seller's listings go, its (unpaid) orders stay behind."""
    orders = "(SELECT id FROM legacy_orders WHERE seller_id = :s)"
    products = "(SELECT id FROM legacy_products WHERE seller_id = :s)"
    with engine.begin() as c:
        for name in ORDER_CHILDREN[:2]:
            c.execute(text(f"DELETE FROM {name} WHERE order_id IN {orders}"), {"s": seller_id})
        c.execute(
            text(f"DELETE FROM legacy_cart_lines WHERE product_id IN {products}"), {"s": seller_id}
        )
        c.execute(text("DELETE FROM legacy_products WHERE seller_id = :s"), {"s": seller_id})


def purge_orders(engine: Engine, seller_id: int) -> None:
    orders = "(SELECT id FROM legacy_orders WHERE seller_id = :s)"
    with engine.begin() as c:
        for name in ("legacy_payments", "legacy_order_events"):
            c.execute(text(f"DELETE FROM {name} WHERE order_id IN {orders}"), {"s": seller_id})
        c.execute(text("DELETE FROM legacy_orders WHERE seller_id = :s"), {"s": seller_id})


def two_sellers_one_paid_sale(
    legacy: Legacy,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Seller one sells and is paid; seller two's buyer never pays. Returns both sellers and
    the paid order."""
    one, two = legacy.seller("toko-satu"), legacy.seller("toko-dua")
    paid = legacy.buy(legacy.viewer("siti@example.com"), legacy.product(one, price_idr=45_000))
    legacy.pay(paid)
    legacy.buy(legacy.viewer("budi@example.com"), legacy.product(two, price_idr=30_000))
    return one, two, paid


def test_the_in_app_shop_s_payments_and_sales_in_the_window(legacy: Legacy) -> None:
    _, two, paid = two_sellers_one_paid_sale(legacy)
    notified = len(legacy.inbox.answers)
    route_to_commerce(legacy.engine, two["id"])

    body = read(legacy.social, PATH)
    shop = body["legacy_shop"]
    assert shop["enabled"] is True
    assert shop["orders_in_window"] == 2
    assert shop["sales_idr_in_window"] == paid["total_idr"] == 45_000 + 15_000
    assert shop["payments_created_in_window"] == 2
    assert sum(p["count"] for p in shop["payments_by_status"]) == 2
    assert sum(p["sum_idr"] for p in shop["payments_by_status"]) == 60_000 + 45_000
    assert notified >= 1
    assert shop["payment_notifications_in_window"] == notified
    assert sum(n["count"] for n in shop["notifications_by_status"]) == notified
    assert (shop["merchants_on_shop"], shop["merchants_moved"]) == (1, 1)
    assert shop["sales_idr_on_shop"] == 60_000 and shop["sales_idr_moved"] == 0
    assert body["window_seconds"] == DAY
    assert_names_no_buyer(body, *BUYERS)

    legacy.system.clock.advance(days=2)
    later = read(legacy.social, PATH)["legacy_shop"]
    assert later["orders_in_window"] == later["payments_created_in_window"] == 0
    assert later["sales_idr_in_window"] == later["payment_notifications_in_window"] == 0
    assert later["merchants_on_shop"] == 1  # who sells there is no matter of a window
    wide = read(legacy.social, PATH, window_seconds=3 * DAY)["legacy_shop"]
    assert wide["orders_in_window"] == 2 and wide["payments_created_in_window"] == 2


def test_buyer_data_left_for_a_purged_seller_is_named_by_counts(legacy: Legacy) -> None:
    _, two, _ = two_sellers_one_paid_sale(legacy)
    route_to_commerce(legacy.engine, two["id"])
    data = read(legacy.social, PATH)["buyer_data"]
    assert data["purged_merchants"] == 0  # moved, its listings still there: not purged yet
    assert data["purged_merchants_with_buyer_data"] == []
    assert data["rows_outside_legacy_shop"] == 0
    assert data["rows_by_table"]["viewers"] == 2
    assert data["rows_by_table"]["legacy_orders"] == 2

    purge_listings(legacy.engine, two["id"])
    body = read(legacy.social, PATH)
    data = body["buyer_data"]
    assert data["purged_merchants"] == 1
    assert data["purged_merchants_with_buyer_data"] == [
        {"merchant_id": two["id"], "emails": 1, "phones": 1, "addresses": 1}
    ]
    assert_names_no_buyer(body, *BUYERS)

    purge_orders(legacy.engine, two["id"])
    data = read(legacy.social, PATH)["buyer_data"]
    assert data["purged_merchants"] == 1
    assert data["purged_merchants_with_buyer_data"] == []


def test_hand_off_claim_names_no_invoice_links_and_who_answered(legacy: Legacy) -> None:
    system = legacy.system
    pin = system.pinned_product(campaign="ramadan-2024")
    system.click_cart(pin["id"])
    system.click_cart(pin["id"])
    body = read(legacy.social, PATH)
    (names,) = body["handoff"]["claim_sets"]
    assert body["handoff"]["sampled"] == 2
    assert set(names) <= set(HandoffClaims.model_fields)
    assert {"iss", "aud", "jti", "creator", "campaign"} <= set(names)
    assert body["invoice_links"] == {"issued_in_window": 0, "link_hosts": []}
    assert body["shop_tab_open"]["samples"] == 2  # both taps timed
    assert body["personalisation"]["opted_out_viewers"] == 0
    system_id = body["system"]
    assert system_id["service"] == "social"
    assert system.key.kid in system_id["key_ids"]
    assert len(system_id["database_id"]) == 64
    assert str(system.social_engine.url.database) not in str(body)
    system.clock.advance(days=2)
    assert read(legacy.social, PATH)["handoff"] == {"sampled": 0, "claim_sets": []}


def test_the_monitor_reads_social_s_evidence_as_it_is(legacy: Legacy) -> None:
    two_sellers_one_paid_sale(legacy)
    parsed = monitor_reading(legacy.social, "social").social()
    assert parsed.legacy_shop.payments_created_in_window == 2


def test_only_the_regulator_reads_social_s_evidence(legacy: Legacy) -> None:
    assert_regulator_only(legacy.social, PATH, OPERATOR)

"""Commerce's evidence for the regulator, on SQLite and PostgreSQL: cross-border listings and
those without their NPB, foreign merchants and the documents on file, merchants the platform
operates (revision 0010's flag), no column for a social identifier, the hand-off tokens it
received and refused, its invoices and their host, orders and payments by status; never a
buyer's email, phone, name or address; the regulator's token only."""

import json
from typing import Any

from sqlalchemy import text

from keranjang.handoff import HandoffClaims
from tests.integration.conftest import OPERATOR, System
from tests.integration.evidence_checks import (
    assert_names_no_buyer,
    assert_regulator_only,
    monitor_reading,
    read,
    regulator_env,  # noqa: F401
)
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import ADDRESS
from tests.integration.test_foreign_merchants import COMPLETE, register
from tests.integration.test_invoices import paid_order
from tests.integration.test_listings import CROSS_BORDER

PATH = "/evidence/commerce"
BUYERS = ("siti@example.com", "Siti", *ADDRESS.values())
EVERY_DOCUMENT = [
    "identity",
    "business_legality",
    "legalisation",
    "standards_proof",
    "halal_proof",
    "description_id",
    "shipping_origin",
]


def sql(system: System, statement: str, **params: Any) -> None:
    """An injected violation, as a careless operator or a bug would leave it."""
    with system.commerce_engine.begin() as c:
        c.execute(text(statement), params)


def test_listings_that_break_pasal_19_and_11_and_the_platform_as_producer(
    system: System,
) -> None:
    merchant = system.merchant()
    fine = system.product(merchant, **CROSS_BORDER)
    cheap = system.product(merchant, **CROSS_BORDER | {"title": "Earbuds Lite"})
    system.product(merchant)  # a local listing: neither cross-border nor needing an NPB
    sql(system, "UPDATE products SET fob_usd_cents = 9999 WHERE id = :id", id=cheap["id"])
    sql(system, "UPDATE products SET npb_number = NULL WHERE id = :id", id=cheap["id"])

    body = read(system.commerce, PATH)
    assert body["cross_border"] == {
        "total": 2,
        "listings": [
            {"listing_id": fine["id"], "merchant_id": merchant["id"], "hs_code": "85183000",
             "fob_minor": 11_500, "currency": "USD"},
            {"listing_id": cheap["id"], "merchant_id": merchant["id"], "hs_code": "85183000",
             "fob_minor": 9_999, "currency": "USD"},
        ],
        "truncated": False,
    }  # fmt: skip
    assert body["standards"] == {
        "requiring": 2,
        "missing": [
            {"listing_id": cheap["id"], "merchant_id": merchant["id"], "required": ["NPB"],
             "shown": ["SNI"]},
        ],
        "truncated": False,
    }  # fmt: skip
    assert body["producer"] == {"platform_operated_merchants": [], "listings_by_platform": 0}

    sql(
        system,
        "UPDATE merchants SET platform_operated = :t WHERE id = :id",
        t=True,
        id=merchant["id"],
    )
    producer = read(system.commerce, PATH)["producer"]
    assert producer == {"platform_operated_merchants": [merchant["id"]], "listings_by_platform": 3}


def test_foreign_merchants_and_the_documents_on_file(system: System) -> None:
    opened = register(system, COMPLETE).json()
    kept = system.commerce.post(
        "/api/merchants",
        json={"slug": "toko-asing", "name": "Toko Asing", "kind": "foreign", "city": "Shenzhen",
              "registration": {"owner_name": "Chen"}},
        headers=system.operator(),
    )  # fmt: skip
    assert kept.status_code == 422 and kept.json()["missing"], kept.text
    system.merchant("toko-lokal", "Toko Lokal")
    foreign = read(system.commerce, PATH)["foreign_merchants"]
    assert foreign == {
        "total": 1,
        "merchants": [{"merchant_id": opened["id"], "documents": EVERY_DOCUMENT}],
        "truncated": False,
        "applications_incomplete": 1,
    }
    without_halal = {k: v for k, v in COMPLETE.items() if k != "halal_certificate"}
    sql(
        system,
        "UPDATE merchant_applications SET submitted = :s WHERE merchant_id = :id",
        s=json.dumps(without_halal),
        id=opened["id"],
    )
    (merchant,) = read(system.commerce, PATH)["foreign_merchants"]["merchants"]
    assert merchant["documents"] == [d for d in EVERY_DOCUMENT if d != "halal_proof"]


def test_hand_offs_received_and_refused_and_no_social_identifier(system: System) -> None:
    pin = system.pinned_product(campaign="ramadan-2024")
    landing = system.click_cart(pin["id"])
    assert system.commerce.get(landing).status_code == 200
    assert system.commerce.get(landing).status_code == 410  # replayed
    assert system.commerce.get("/handoff?token=not-a-token").status_code == 400

    body = read(system.commerce, PATH)
    handoff = body["handoff"]
    assert handoff["sampled"] == 3
    assert handoff["refused_by_reason"] == {"malformed": 1, "replayed": 1}
    signed = [names for names in handoff["claim_sets"] if names != ["(unreadable)"]]
    assert len(signed) == 1 and set(signed[0]) <= set(HandoffClaims.model_fields)
    identifiers = body["social_identifiers"]
    assert identifiers["columns"] == [] and identifiers["rows"] == 0
    assert {"jti", "creator_id", "content_id", "pin_id", "campaign"} <= set(
        identifiers["attribution_columns"]
    )
    assert not any("viewer" in c for c in identifiers["attribution_columns"])
    assert body["system"]["service"] == "commerce"
    assert body["system"]["key_ids"] and body["system"]["key_ids"][0].startswith("session:")
    system.clock.advance(days=2)
    later = read(system.commerce, PATH)["handoff"]
    assert later == {"sampled": 0, "claim_sets": [], "refused_by_reason": {}}


def test_invoices_on_commerce_and_orders_by_status(
    system: System, partner: SimulatorHarness
) -> None:
    paid_order(system, partner)
    body = read(system.commerce, PATH)
    assert body["invoices"] == {
        "issued_in_window": 1,
        "link_hosts": ["commerce.test"],
        "issued_total": 1,
    }
    assert body["orders_by_status"] == [{"status": "paid", "count": 1, "sum_idr": 365_000}]
    assert sum(p["count"] for p in body["payments_by_status"]) == 1
    assert_names_no_buyer(body, *BUYERS)
    social = read(system.social, "/evidence/social")
    assert social["system"]["database_id"] != body["system"]["database_id"]
    assert not set(social["system"]["key_ids"]) & set(body["system"]["key_ids"])
    system.clock.advance(days=2)
    assert read(system.commerce, PATH)["invoices"]["issued_in_window"] == 0


def test_the_monitor_reads_commerce_s_evidence_as_it_is(system: System) -> None:
    system.product(system.merchant(), **CROSS_BORDER)
    parsed = monitor_reading(system.commerce, "commerce").commerce()
    assert parsed.cross_border.total == 1


def test_only_the_regulator_reads_commerce_s_evidence(system: System) -> None:
    assert_regulator_only(system.commerce, PATH, OPERATOR)

"""A compliant world's evidence, for tests and demos: every service answering, nothing wrong.
Tests start from it and inject one violation at a time (`FakeEvidence.pieces`)."""

from datetime import datetime, timedelta

from keranjang.evidence.commerce import (
    CommerceEvidence,
    CommerceInvoices,
    CrossBorder,
    CrossBorderListing,
    ForeignMerchant,
    ForeignMerchants,
    Producer,
    ReceivedHandoffs,
    SocialIdentifiers,
    StandardsProof,
)
from keranjang.evidence.migration import (
    Categories,
    Category,
    MigrationEvent,
    MigrationEvents,
    MigrationHistory,
    MigrationProgress,
    ProgressSnapshot,
)
from keranjang.evidence.payments import NotificationTarget, PaymentsEvidence
from keranjang.evidence.shared import HandoffSample, InvoiceLinks, SystemIdentity
from keranjang.evidence.social import (
    BuyerData,
    Latency,
    LegacyShopActivity,
    Personalisation,
    SocialEvidence,
)
from keranjang.oversight.evidence import FakeEvidence

WINDOW = 3_600
CLAIMS = ["iss", "aud", "jti", "iat", "exp", "pin", "content", "product", "merchant", "creator"]
DOCUMENTS = [
    "identity",
    "business_legality",
    "legalisation",
    "standards_proof",
    "halal_proof",
    "description_id",
    "shipping_origin",
]
HISTOGRAM = """# TYPE keranjang_http_request_duration_seconds histogram
keranjang_http_request_duration_seconds_bucket{{route="{route}",service="{service}",le="0.01"}} 90.0
keranjang_http_request_duration_seconds_bucket{{route="{route}",service="{service}",le="0.05"}} 99.0
keranjang_http_request_duration_seconds_bucket{{route="{route}",service="{service}",le="+Inf"}} 100.0
keranjang_http_request_duration_seconds_count{{route="{route}",service="{service}"}} 100.0
keranjang_http_request_duration_seconds_sum{{route="{route}",service="{service}"}} 1.0
"""


def social(now: datetime) -> SocialEvidence:
    return SocialEvidence(
        observed_at=now,
        window_seconds=WINDOW,
        system=SystemIdentity(service="social", database_id="social-db-0001", key_ids=["soc-k1"]),
        legacy_shop=LegacyShopActivity(
            enabled=False,
            merchants_on_shop=0,
            orders_in_window=0,
            sales_idr_in_window=0,
            payments_created_in_window=0,
            payment_notifications_in_window=0,
        ),
        buyer_data=BuyerData(rows_outside_legacy_shop=0, purged_merchants_with_buyer_data=[]),
        handoff=HandoffSample(sampled=20, claim_sets=[CLAIMS]),
        invoice_links=InvoiceLinks(issued_in_window=0, link_hosts=[]),
        personalisation=Personalisation(
            opted_out_viewers=5,
            personalised_after_opt_out=0,
            feeds_personalised=30,
            feeds_chronological=12,
        ),
        shop_tab_open=Latency(samples=40, p95_ms=120.0),
    )


def commerce(now: datetime) -> CommerceEvidence:
    book = CrossBorderListing(
        listing_id=1, merchant_id=7, hs_code="4901.99.10", fob_minor=12_00, currency="USD"
    )
    lamp = CrossBorderListing(
        listing_id=2, merchant_id=7, hs_code="9405.11.00", fob_minor=150_00, currency="USD"
    )
    return CommerceEvidence(
        observed_at=now,
        window_seconds=WINDOW,
        system=SystemIdentity(
            service="commerce", database_id="commerce-db-0002", key_ids=["com-k1"]
        ),
        handoff=ReceivedHandoffs(sampled=20, claim_sets=[CLAIMS]),
        cross_border=CrossBorder(total=2, listings=[book, lamp]),
        foreign_merchants=ForeignMerchants(
            total=1, merchants=[ForeignMerchant(merchant_id=7, documents=DOCUMENTS)]
        ),
        standards=StandardsProof(requiring=3, missing=[]),
        producer=Producer(platform_operated_merchants=[], listings_by_platform=0),
        social_identifiers=SocialIdentifiers(columns=[], rows=0),
        invoices=CommerceInvoices(issued_in_window=4, link_hosts=["127.0.0.1:8002"]),
    )


def payments(now: datetime) -> PaymentsEvidence:
    return PaymentsEvidence(
        observed_at=now,
        window_seconds=WINDOW,
        system=SystemIdentity(service="payments", database_id="payments-db-0003", key_ids=[]),
        by_notification_host=[
            NotificationTarget(host="127.0.0.1:8002", payments_created=4, notifications_sent=4)
        ],
    )


def progress(now: datetime, percent: float = 100.0) -> MigrationProgress:
    category = Category(percent=percent, weight=20)
    return MigrationProgress(
        at=now,
        overall_percent=percent,
        categories=Categories(
            payment=Category(percent=percent, weight=60),
            data=category,
            merchant_operations=category,
        ),
        merchants_total=12,
        merchants_moved=12 if percent >= 100 else 6,
        merchants_by_phase={"purged": 12},
        rows_total=1000,
        rows_done=3000,
        rows_per_second=0.0,
        merchants_per_hour=0.0,
        eta=None,
    )


def history(now: datetime) -> MigrationHistory:
    points = [(70.0, -3), (75.0, -2), (87.0, -1), (100.0, 0)]
    return MigrationHistory(
        snapshots=[
            ProgressSnapshot(
                at=now + timedelta(days=days),
                payment_percent=p,
                data_percent=p,
                merchant_operations_percent=p,
                overall_percent=p,
                merchants_moved=12,
                merchants_total=12,
                rows_per_second=0.0,
                eta=None,
            )
            for p, days in points
        ]
    )


def events(now: datetime) -> MigrationEvents:
    return MigrationEvents(
        events=[
            MigrationEvent(
                id=1,
                at=now,
                merchant_id=3,
                phase="bound",
                what="bound",
                actor="seller",
                operator=False,
                detail={},
            ),
            MigrationEvent(
                id=2,
                at=now,
                merchant_id=4,
                phase="bound",
                what="forced",
                actor="operator:ana",
                operator=True,
                detail={"reason": "seller unreachable"},
            ),
        ],
        next_after=None,
    )


def compliant(now: datetime) -> FakeEvidence:
    """Every piece answering, every rule passing (or not applicable)."""
    return FakeEvidence(
        {
            "social": social(now),
            "commerce": commerce(now),
            "payments": payments(now),
            "migration": progress(now),
            "history": history(now),
            "events": events(now),
            "metrics:social": HISTOGRAM.format(route="/cart/{pin_id}", service="social"),
            "metrics:commerce": HISTOGRAM.format(route="/handoff", service="commerce"),
        }
    )

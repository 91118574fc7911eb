"""The evidence the monitor reads: the JSON each service's read-only `/evidence/...` endpoint
answers a regulator's token with. These models ARE the agreement: services serve exactly these
shapes (extra fields are ignored, missing ones make the evidence malformed, which the monitor
reports as `insufficient_data`, never as a pass).

Evidence is counts, sums, flags and samples of key sets: never a buyer's row. Every document
says when it was observed and over which window (`window_seconds`, counted back from
`observed_at`).

    GET social     /evidence/social              SocialEvidence
    GET commerce   /evidence/commerce            CommerceEvidence
    GET payments   /evidence/payments            PaymentsEvidence
    GET migration  /evidence/migration/progress  keranjang.evidence.migration.MigrationProgress
    GET migration  /evidence/migration/history?since=<at>  keranjang.evidence.migration.MigrationHistory
    GET migration  /evidence/migration/events?after=<id>&limit=<n>  MigrationEvents
    GET social|commerce /metrics   Prometheus text (the request-latency histogram)
"""

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Count = int  # counts are non-negative: every count field carries ge=0
_N = Field(ge=0)


class Evidence(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SystemIdentity(Evidence):
    """Which system answered: a fingerprint of its own database (never its address or
    credentials: e.g. SHA-256 of PostgreSQL's system identifier and database name, or of a
    random id the service stores in its database) and the ids of the keys it holds."""

    service: str = Field(max_length=40)
    database_id: str = Field(min_length=8, max_length=128)
    key_ids: list[str] = Field(max_length=50)


class HandoffSample(Evidence):
    """Hand-off tokens looked at in the window (social: signed; commerce: received, refused
    ones included) and the distinct sets of claim names they carried."""

    sampled: Count = _N
    claim_sets: list[list[str]] = Field(max_length=100)


class InvoiceLinks(Evidence):
    """Invoice links the service showed or issued in the window, by host."""

    issued_in_window: Count = _N
    link_hosts: list[str] = Field(max_length=100)


class LegacyShopActivity(Evidence):
    """The in-app shop inside social: what of it still transacts."""

    enabled: bool
    closed_at: AwareDatetime | None = None  # the last seller's purge; null while any sells
    merchants_on_shop: Count = _N  # merchants whose yellow carts still route to the app
    orders_in_window: Count = _N
    sales_idr_in_window: Count = _N
    payments_created_in_window: Count = _N
    payment_notifications_in_window: Count = _N


class MerchantBuyerData(Evidence):
    """Buyer data still in social for a merchant whose move is purged (counts of fields)."""

    merchant_id: int
    emails: Count = _N
    phones: Count = _N
    addresses: Count = _N


class BuyerData(Evidence):
    rows_outside_legacy_shop: Count = _N  # buyer emails, phones, addresses in promotion's tables
    purged_merchants_with_buyer_data: list[MerchantBuyerData] = Field(max_length=100)


class Personalisation(Evidence):
    opted_out_viewers: Count = _N
    personalised_after_opt_out: Count = _N  # shop content shaped by social signals anyway


class Latency(Evidence):
    samples: Count = _N
    p95_ms: float | None = Field(default=None, ge=0)


class SocialEvidence(Evidence):
    observed_at: AwareDatetime
    window_seconds: int = Field(gt=0)
    system: SystemIdentity
    legacy_shop: LegacyShopActivity
    buyer_data: BuyerData
    handoff: HandoffSample
    invoice_links: InvoiceLinks
    personalisation: Personalisation | None = None  # None: social does not report it
    shop_tab_open: Latency | None = None  # the Shop tab's time to open, where measured


class CrossBorderListing(Evidence):
    listing_id: int
    merchant_id: int
    hs_code: str = Field(max_length=16)
    fob_minor: Count = _N  # FOB price a unit, in the currency's minor units
    currency: str = Field(default="USD", min_length=3, max_length=3)


class CrossBorder(Evidence):
    """Active listings sold directly from abroad, every one (`truncated` if cut)."""

    total: Count = _N
    listings: list[CrossBorderListing] = Field(max_length=10_000)
    truncated: bool = False


class ForeignMerchant(Evidence):
    """A foreign merchant and the registration documents it has on file, by name: identity,
    business_legality, legalisation, standards_proof, halal_proof, description_id,
    shipping_origin."""

    merchant_id: int
    documents: list[str] = Field(max_length=20)


class ForeignMerchants(Evidence):
    total: Count = _N
    merchants: list[ForeignMerchant] = Field(max_length=10_000)
    truncated: bool = False


class StandardsGap(Evidence):
    listing_id: int
    merchant_id: int
    required: list[str] = Field(max_length=5)  # e.g. ["SNI"], ["NPB"]
    shown: list[str] = Field(max_length=5)


class StandardsProof(Evidence):
    """Listings that must show a standards number, and those that do not show it."""

    requiring: Count = _N
    missing: list[StandardsGap] = Field(max_length=1_000)
    truncated: bool = False


class Producer(Evidence):
    platform_operated_merchants: list[int] = Field(max_length=100)
    listings_by_platform: Count = _N


class SocialIdentifiers(Evidence):
    """Columns of commerce's schema that hold a social identifier, and rows holding one."""

    columns: list[str] = Field(max_length=100)
    rows: Count = _N


class CommerceEvidence(Evidence):
    observed_at: AwareDatetime
    window_seconds: int = Field(gt=0)
    system: SystemIdentity
    handoff: HandoffSample
    cross_border: CrossBorder
    foreign_merchants: ForeignMerchants
    standards: StandardsProof
    producer: Producer
    social_identifiers: SocialIdentifiers
    invoices: InvoiceLinks


class NotificationTarget(Evidence):
    host: str = Field(max_length=255)
    payments_created: Count = _N
    notifications_sent: Count = _N
    last_payment_created_at: AwareDatetime | None = None
    last_notification_sent_at: AwareDatetime | None = None


class PaymentsEvidence(Evidence):
    """The payment partner (simulator): payments in the window by the host notified."""

    observed_at: AwareDatetime
    window_seconds: int = Field(gt=0)
    system: SystemIdentity
    by_notification_host: list[NotificationTarget] = Field(max_length=100)


class MigrationEvent(Evidence):
    """One journal event: a phase entered, a cutover abandoned, a verification, or an
    operator's action (`operator`: forced bind, rollback, purge), with who and why."""

    id: int = Field(ge=1)
    at: AwareDatetime
    merchant_id: int
    phase: str = Field(max_length=20)
    what: str = Field(max_length=60)
    actor: str = Field(max_length=80)
    operator: bool = False
    detail: dict[str, object] = Field(default_factory=dict)


class MigrationEvents(Evidence):
    """The journal's events after `after` (oldest first, at most `limit`; ask again from the
    last id for more)."""

    events: list[MigrationEvent] = Field(max_length=10_000)

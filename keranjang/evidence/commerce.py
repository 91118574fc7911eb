"""Commerce's evidence (`GET /evidence/commerce` on commerce, regulator token): listings that
break Pasal 19 or 11 (listings are not buyer data), foreign merchants' documents (Pasal 5),
merchants the platform operates (Pasal 21(2)), columns holding a social identifier (Pasal 13),
the hand-off tokens it received, the invoices it issued, and counts of orders and payments."""

from pydantic import AwareDatetime, BaseModel, Field

from keranjang.evidence.shared import HandoffSample, InvoiceLinks, StatusFigure, SystemIdentity


class ReceivedHandoffs(HandoffSample):
    """Tokens commerce received in the window (refused ones included), since it started: the
    sample is kept in memory, per process."""

    refused_by_reason: dict[str, int] = Field(
        default_factory=dict,
        description="Beyond the monitor's reading: refused redemptions in the window by reason "
        "(expired, replayed, bad_signature, unknown_key, malformed, claims_rejected…).",
    )


class CrossBorderListing(BaseModel):
    listing_id: int
    merchant_id: int
    hs_code: str = Field(max_length=16, description="Empty where none was given.")
    fob_minor: int = Field(ge=0, description="FOB price a unit in US cents (0 where none).")
    currency: str = Field(default="USD", min_length=3, max_length=3)


class CrossBorder(BaseModel):
    """Every listing sold directly from abroad (`truncated` if cut at 10 000); the monitor
    applies the floor and the positive list itself."""

    total: int = Field(ge=0)
    listings: list[CrossBorderListing] = Field(max_length=10_000)
    truncated: bool = False


class ForeignMerchant(BaseModel):
    """A foreign merchant and the Pasal 5 documents on file for it, by name: identity,
    business_legality, legalisation, standards_proof, halal_proof, description_id,
    shipping_origin."""

    merchant_id: int
    documents: list[str] = Field(max_length=20)


class ForeignMerchants(BaseModel):
    total: int = Field(ge=0)
    merchants: list[ForeignMerchant] = Field(max_length=10_000)
    truncated: bool = False
    applications_incomplete: int = Field(
        default=0,
        ge=0,
        description="Beyond the monitor's reading: foreign registrations kept but refused (no "
        "shop opened) because something is missing.",
    )


class StandardsGap(BaseModel):
    listing_id: int
    merchant_id: int
    required: list[str] = Field(max_length=5, description='e.g. ["NPB"]')
    shown: list[str] = Field(max_length=5, description="Numbers it shows: NPB, SNI, halal.")


class StandardsProof(BaseModel):
    """Listings that must show a standards number (a cross-border listing: NPB), and those of
    them that do not."""

    requiring: int = Field(ge=0)
    missing: list[StandardsGap] = Field(max_length=1_000)
    truncated: bool = False


class Producer(BaseModel):
    platform_operated_merchants: list[int] = Field(max_length=100)
    listings_by_platform: int = Field(ge=0)


class SocialIdentifiers(BaseModel):
    """Columns of commerce's live schema named for a social user's identifier (viewer, social,
    follower, watch), and rows with a value in one. The attribution's columns are listed apart:
    they hold the hand-off's allowed claims (creator, content, pin, campaign), no viewer."""

    columns: list[str] = Field(max_length=100, description="`table.column`.")
    rows: int = Field(ge=0)
    attribution_columns: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Beyond the monitor's reading: the attribution table's columns, as built.",
    )


class CommerceInvoices(InvoiceLinks):
    issued_total: int = Field(default=0, ge=0, description="Beyond the monitor's reading.")


class CommerceEvidence(BaseModel):
    observed_at: AwareDatetime
    window_seconds: int = Field(gt=0)
    system: SystemIdentity
    handoff: ReceivedHandoffs
    cross_border: CrossBorder
    foreign_merchants: ForeignMerchants
    standards: StandardsProof
    producer: Producer
    social_identifiers: SocialIdentifiers
    invoices: CommerceInvoices
    orders_by_status: list[StatusFigure] = Field(
        default_factory=list, description="Beyond the monitor's reading: every order, by status."
    )
    payments_by_status: list[StatusFigure] = Field(
        default_factory=list,
        description="Beyond the monitor's reading: every payment attempt, by status.",
    )

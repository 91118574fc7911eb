"""Social's evidence (`GET /evidence/social` on social, regulator token): what of the legacy
in-app shop still transacts (Pasal 21(3)), where buyer data sits (Pasal 13), the claim names of
the hand-off tokens it signed, and the invoice links it shows (none expected)."""

from pydantic import AwareDatetime, BaseModel, Field

from keranjang.evidence.shared import HandoffSample, InvoiceLinks, StatusFigure, SystemIdentity


class LegacyShopActivity(BaseModel):
    """The in-app shop inside social; the window counts back from `observed_at`."""

    enabled: bool = Field(description="The shop's routes are mounted (not switched off).")
    closed_at: AwareDatetime | None = Field(
        default=None,
        description="When the shop closed: the last moved seller's purge, once no seller is left "
        "in the app (null while any is). The window's counts start no earlier than this.",
    )
    merchants_on_shop: int = Field(ge=0, description="Sellers whose yellow carts go to the app.")
    orders_in_window: int = Field(ge=0, description="Orders placed in the app in the window.")
    sales_idr_in_window: int = Field(
        ge=0, description="Totals of those orders whose money came in (paid and after)."
    )
    payments_created_in_window: int = Field(ge=0, description="Payments social asked for.")
    payment_notifications_in_window: int = Field(
        ge=0, description="Partner notifications social received about its payments."
    )
    merchants_moved: int = Field(
        default=0, ge=0, description="Beyond the monitor's reading: sellers routed to commerce."
    )
    sales_idr_on_shop: int = Field(
        default=0,
        ge=0,
        description="Beyond the monitor's reading: all-time sales of sellers still on the app.",
    )
    sales_idr_moved: int = Field(
        default=0,
        ge=0,
        description="Beyond the monitor's reading: sales still in social's tables of sellers "
        "routed to commerce (zero once purged).",
    )
    payments_by_status: list[StatusFigure] = Field(
        default_factory=list,
        description="Beyond the monitor's reading: payments created in the window by status.",
    )
    notifications_by_status: list[StatusFigure] = Field(
        default_factory=list,
        description="Beyond the monitor's reading: notifications received in the window by "
        "the status they announced.",
    )


class MerchantBuyerData(BaseModel):
    """Buyer data social still holds for a seller routed to commerce whose shop data is purged
    (`merchant_id` is the legacy seller's id)."""

    merchant_id: int
    emails: int = Field(ge=0, description="Buyers' accounts still linked to its orders.")
    phones: int = Field(ge=0, description="Its orders still carrying a buyer's phone.")
    addresses: int = Field(ge=0, description="Its orders still carrying a shipping address.")


class BuyerData(BaseModel):
    rows_outside_legacy_shop: int = Field(
        ge=0,
        description="Rows of promotion's tables with a value in a column named for buyer data "
        "(email, phone, address, recipient, viewer): zero by design.",
    )
    purged_merchants_with_buyer_data: list[MerchantBuyerData] = Field(
        max_length=100, description="Only merchants with something left, at most 100."
    )
    rows_by_table: dict[str, int] = Field(
        default_factory=dict,
        description="Beyond the monitor's reading: rows of every table of social holding "
        "buyer data (the viewers' accounts and the legacy shop's tables).",
    )
    purged_merchants: int = Field(
        default=0,
        ge=0,
        description="Beyond the monitor's reading: sellers routed to commerce whose seller "
        "row is gone from the legacy shop.",
    )


class Personalisation(BaseModel):
    """The viewers' shopping-personalisation setting and the feeds served in the window (feeds
    counted in memory, per process, since it started)."""

    opted_out_viewers: int = Field(ge=0, description="Viewers who turned it off (now).")
    personalised_after_opt_out: int = Field(
        ge=0,
        description="Feeds in the window ordered by social signals for a viewer who had "
        "turned personalisation off: zero when the setting is honoured.",
    )
    feeds_personalised: int = Field(
        default=0, ge=0, description="Feeds in the window ordered by what the viewer watched."
    )
    feeds_chronological: int = Field(
        default=0,
        ge=0,
        description="Feeds in the window newest first (off, nobody signed in, "
        "or nothing watched yet).",
    )


class Latency(BaseModel):
    """How long social took to open the way into the shop (a yellow-cart tap answered), over
    the requests of the window (kept in memory per process, since it started)."""

    samples: int = Field(ge=0, description="Requests served in the window.")
    p95_ms: float | None = Field(
        default=None, ge=0, description="Their 95th percentile in milliseconds; null: none."
    )


class SocialEvidence(BaseModel):
    observed_at: AwareDatetime
    window_seconds: int = Field(gt=0)
    system: SystemIdentity
    legacy_shop: LegacyShopActivity
    buyer_data: BuyerData
    handoff: HandoffSample = Field(description="Tokens social signed in the window.")
    invoice_links: InvoiceLinks
    personalisation: Personalisation | None = Field(
        default=None, description="null: social keeps no personalisation setting (not reported)."
    )
    shop_tab_open: Latency | None = Field(
        default=None,
        description="The yellow cart's route (`/cart/{pin_id}`), social's way into the shop; "
        "null: social does not measure it (not reported).",
    )


__all__ = [
    "BuyerData",
    "Latency",
    "LegacyShopActivity",
    "MerchantBuyerData",
    "Personalisation",
    "SocialEvidence",
]

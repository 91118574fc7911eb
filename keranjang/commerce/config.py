"""Commerce's settings, from `KERANJANG_COMMERCE_*` environment variables."""

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from keranjang.infra.settings import ServiceSettings


class CommerceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KERANJANG_COMMERCE_")

    port: int = 8002
    public_url: str = "http://127.0.0.1:8002"
    # Where social publishes its hand-off verification keys, and where "back" links go.
    social_url: str = "http://127.0.0.1:8001"
    # Platform operators' token for registering merchants.
    admin_token: str | None = None
    # Social's service token for reading creators' aggregate figures (the same value is set as
    # KERANJANG_SOCIAL_FIGURES_TOKEN); unset: nobody reads them.
    figures_token: str | None = None
    # Signs the attribution cookie a hand-off leaves (default: a key file in the data folder).
    secret_key: str | None = None
    # How long after a hand-off a purchase still counts for the creator.
    attribution_window_days: int = 7
    # Flat shipping cost per merchant in an order, and how long stock waits for payment.
    shipping_idr: int = 15_000
    # At least 2 minutes (a payment needs a whole minute, less the leeway for the partner), at
    # most 7 days (the longest payment the partners and the simulator take).
    hold_minutes: int = Field(default=30, ge=2, le=7 * 24 * 60)
    # The payment partner: the local simulator (default), Midtrans or Xendit.
    payments_partner: Literal["simulator", "midtrans", "xendit"] = "simulator"
    # The simulator's address and commerce's server key with it (default: the data folder's).
    payments_url: str = "http://127.0.0.1:8003"
    payments_server_key: str | None = None
    # Midtrans: the server key, and whether to use production instead of the sandbox.
    midtrans_server_key: str | None = None
    midtrans_production: bool = False
    # Xendit: the secret API key and the callback verification token of the account.
    xendit_secret_key: str | None = None
    xendit_callback_token: str | None = None
    # Who sends payouts and bank-transfer refunds to bank accounts: the simulator (Iris' format),
    # Xendit Disbursements, Midtrans Iris, or none (payouts are then only recorded in the ledger,
    # as paid when the batch runs).
    disbursement_partner: Literal["none", "simulator", "xendit", "midtrans"] = "none"
    # Midtrans Iris: the creator's API key (sends payouts) and the merchant key (signs callbacks).
    iris_creator_key: str | None = None
    iris_merchant_key: str | None = None
    # Where Iris is reached (default: Midtrans' sandbox or production Iris, by midtrans_production).
    iris_url: str | None = None
    # A payout account replaced less than this many hours ago is not paid until it has aged.
    payout_cooling_off_hours: float = Field(default=24.0, ge=0)
    # How often payouts due are sent and those in transit looked up; 0: never.
    disburse_every_seconds: float = 300.0
    # How often unpaid orders past their hold are expired and their stock released; 0: never.
    hold_release_seconds: float = 30.0
    # The platform's fee on the goods of a completed order, in basis points (500 = 5%).
    platform_fee_bp: int = Field(default=500, ge=0, le=2_000)
    # A delivered order completes when its buyer confirms, or by itself after this many days.
    auto_complete_days: int = Field(default=3, ge=0)
    # A completed order can be refunded for this many days; its shares are held until then.
    refund_window_days: int = Field(default=7, ge=0)
    # How often due orders are completed and closed refund windows released; 0: never.
    settle_every_seconds: float = 300.0
    # How often open payments of orders that ended unpaid are ended at the partner (those the
    # partner could not take right after the order ended); 0: never.
    end_payments_every_seconds: float = 30.0
    # How often recent payments are reconciled with the partner's status; 0: never.
    reconcile_every_seconds: float = 300.0

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_default("commerce")

    @property
    def social_jwks_url(self) -> str:
        return f"{self.social_url}/.well-known/jwks.json"

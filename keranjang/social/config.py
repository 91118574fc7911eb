"""Social's settings, from `KERANJANG_SOCIAL_*` environment variables."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from keranjang.infra.settings import ServiceSettings


class SocialSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KERANJANG_SOCIAL_")

    port: int = 8001
    public_url: str = "http://127.0.0.1:8001"
    # Commerce as the viewer's browser sees it (yellow-cart redirects, Shop tab) and as social's
    # server reads its public catalog feed.
    commerce_url: str = "http://127.0.0.1:8002"
    signing_key_file: Path | None = None
    handoff_ttl_seconds: int = 120
    # How often pinned products' public data (price, title, stock status) is re-read from
    # commerce's catalog feed; 0 turns the refresh off.
    catalog_refresh_seconds: float = 60.0
    # Platform operators' token for granting creators e-commerce permission.
    admin_token: str | None = None
    # Social's own service token for reading creators' aggregate figures from commerce (the
    # same value is set as KERANJANG_COMMERCE_FIGURES_TOKEN); unset: creators' pages show no
    # figures and say so.
    figures_token: str | None = None
    # Viewers' page sessions: a signed cookie (the key is created in the data folder if unset).
    session_secret: str | None = None
    # The legacy in-app shop (the old combined app, until the migration empties it). Off: its
    # routes answer 410 and send buyers to commerce; nothing else in social changes.
    legacy_shop: bool = True
    legacy_hold_minutes: int = Field(default=30, ge=2, le=10_080)
    legacy_shipping_idr: int = Field(default=15_000, ge=0, le=10_000_000)
    legacy_platform_fee_bp: int = Field(default=500, ge=0, le=5_000)
    # Days after delivery an order completes by itself if the buyer does not confirm receipt.
    legacy_complete_after_days: int = Field(default=3, ge=0, le=60)
    # How often unpaid holds are released, delivered orders completed and refunds asked again.
    legacy_jobs_every_seconds: float = 30.0
    # The payment partner social itself asks (the simulator), with its own notification URL.
    payments_url: str = "http://127.0.0.1:8003"
    payments_server_key: str | None = None
    payments_server_key_file: Path | None = None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_default("social")

    @property
    def resolved_signing_key_file(self) -> Path:
        return self.signing_key_file or self.data_dir / "social-signing-key.pem"

    @property
    def resolved_session_secret_file(self) -> Path:
        return self.data_dir / "social-session-secret"

    @property
    def resolved_payments_server_key_file(self) -> Path:
        """The simulator's key file in the data folder, the one commerce reads too (acceptable
        for the demo; production sets `KERANJANG_SOCIAL_PAYMENTS_SERVER_KEY`)."""
        return self.payments_server_key_file or self.data_dir / "payments-server-key"

    @property
    def legacy_notification_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/legacy/payments/notifications"

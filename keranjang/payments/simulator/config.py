"""The payment simulator's settings, from `KERANJANG_PAYMENTS_*` environment variables."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from keranjang.infra.settings import ServiceSettings


class PaymentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KERANJANG_PAYMENTS_")

    port: int = 8003
    public_url: str = "http://127.0.0.1:8003"
    # The merchant's secret: HTTP Basic user name on the API, and the key notifications are
    # signed with. Without one, a key is created in `server_key_file` on first start.
    server_key: str | None = None
    server_key_file: Path | None = None
    # Where notifications are POSTed (the shop's notification endpoint); unset, they wait.
    notification_url: str | None = None
    # Where payout (Iris-format) callbacks are POSTed; unset, they wait.
    payout_notification_url: str | None = None
    # How often queued notifications are sent and overdue payments expired; 0 turns each off.
    dispatch_every_seconds: float = 0.5
    expire_every_seconds: float = 30.0
    # Operators' token for the fault-injection switches.
    admin_token: str | None = None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_default("payments")

    @property
    def resolved_server_key_file(self) -> Path:
        return self.server_key_file or self.data_dir / "payments-server-key"

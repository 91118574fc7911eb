"""Oversight's settings, from `KERANJANG_OVERSIGHT_*` environment variables."""

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from keranjang.infra.settings import ServiceSettings


class OversightSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KERANJANG_OVERSIGHT_")

    port: int = 8004
    public_url: str = "http://127.0.0.1:8004"
    # Where each service's read-only evidence is read (with that service's regulator token:
    # KERANJANG_<SERVICE>_REGULATOR_TOKEN, else the data folder's `regulator-token`).
    social_url: str = "http://127.0.0.1:8001"
    commerce_url: str = "http://127.0.0.1:8002"
    payments_url: str = "http://127.0.0.1:8003"
    migration_url: str = "http://127.0.0.1:8005"
    # The operators' token: evaluating on demand. A regulator's token reads only.
    admin_token: str | None = None
    # The rule set (TOML or JSON); default: Permendag 31/2023.
    regime_file: Path | None = None
    # The deadline: the regime's, unless set here, or (the demo) this long after start-up.
    deadline: datetime | None = None
    deadline_after_start_seconds: float | None = Field(default=None, gt=0)
    # How often every rule is evaluated; 0 turns the periodic evaluation off.
    evaluate_every_seconds: float = Field(default=60.0, ge=0)
    # How far back the services count what happened (payments in social, invoices…): the
    # window every evidence endpoint is asked for.
    evidence_window_seconds: int = Field(default=3600, ge=60, le=31 * 86_400)
    # Pages of the migration's journal (500 events each) read in one evaluation at most: a
    # longer journal is read on over the next evaluations, each event logged once.
    evidence_event_pages: int = Field(default=20, ge=1, le=1000)
    # The audit log: its name in checkpoints and its Ed25519 key (created on first start).
    log_origin: str = Field(default="keranjang.local/oversight", pattern=r"^[A-Za-z0-9.:/_-]+$")
    log_key_file: Path | None = None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_default("oversight")

    @property
    def resolved_log_key_file(self) -> Path:
        return self.log_key_file or self.data_dir / "oversight-log-key.pem"


def host_of(url: str) -> str:
    """`host:port` of a URL, as a Host header or an invoice link names it."""
    return urlsplit(url).netloc

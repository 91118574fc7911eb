"""The migration's settings, from `KERANJANG_MIGRATION_*` environment variables: its own journal
database, and the two databases it moves between (social's, the source; commerce's, the target)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from keranjang.infra.settings import ServiceSettings


class MigrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KERANJANG_MIGRATION_")

    port: int = 8005
    public_url: str = "http://127.0.0.1:8005"
    # The source and the target: default, the SQLite files beside the journal's.
    social_database_url: str | None = None
    commerce_database_url: str | None = None
    # Operators' token (forcing a move, rollback, purge) and the regulator's (read-only evidence).
    admin_token: str | None = None
    regulator_token: str | None = None
    # How long a merchant's legacy writes may be fenced at cutover; a cutover predicted to take
    # longer is abandoned and tried again later.
    pause_budget_ms: int = Field(default=50, ge=1, le=60_000)
    # On PostgreSQL, post a cutover's opening entries before the fence, in a commerce
    # transaction held open through the pause (`staging`); off, they are posted inside it.
    stage_opening_entries: bool = True
    # How long a moved merchant can be rolled back; its legacy data is purged after this.
    rollback_window_days: float = Field(default=7.0, ge=0)
    # Category weights for overall progress (payment, data, merchant operations).
    weight_payment: int = Field(default=60, ge=0)
    weight_data: int = Field(default=20, ge=0)
    weight_operations: int = Field(default=20, ge=0)
    # A worker's claim on a merchant lapses unless renewed this often (a stalled worker's
    # merchant is taken over by another).
    lease_seconds: float = Field(default=30.0, gt=0)
    # Rows per second the copy may write (0: no cap).
    max_rows_per_second: int = Field(default=0, ge=0)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_default("migration")

    @property
    def resolved_social_url(self) -> str:
        return self.social_database_url or self.sqlite_default("social")

    @property
    def resolved_commerce_url(self) -> str:
        return self.commerce_database_url or self.sqlite_default("commerce")

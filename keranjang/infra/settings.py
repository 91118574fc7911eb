"""Settings common to every service; each service adds its own with its own env prefix."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings


def data_dir_field() -> Path:
    return Field(
        default=Path(".keranjang"),
        validation_alias=AliasChoices("KERANJANG_DATA_DIR", "data_dir"),
        description="Folder for the embedded SQLite files and generated keys.",
    )


class ServiceSettings(BaseSettings):
    """Fields every service has. `database_url` defaults to a SQLite file in the data folder."""

    data_dir: Path = data_dir_field()
    database_url: str | None = None
    host: str = "127.0.0.1"
    log_level: str = "WARNING"
    # The largest request body the service reads (a larger one is answered 413 before it is read).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Failed log-ins allowed in a moving window, per account and per client address ("N/period",
    # e.g. "10/minute"; the `limits` package's notation). A success clears neither.
    login_failures_per_account: str = "10/minute"
    login_failures_per_address: str = "30/minute"

    def sqlite_default(self, name: str) -> str:
        return f"sqlite:///{self.data_dir / f'{name}.db'}"

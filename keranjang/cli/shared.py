"""What every family of commands shares: the console, the services' names and default ports, the
data folder option, the operators' token, and logs kept off stdout.

Nothing here imports a service or a web framework: loading the command line loads no part."""

import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from keranjang.infra.logs import configure_logging

console = Console()


class ServiceName(StrEnum):
    social = "social"
    commerce = "commerce"
    payments = "payments"
    migration = "migration"
    oversight = "oversight"


DEFAULT_PORTS = {
    ServiceName.social: 8001,
    ServiceName.commerce: 8002,
    ServiceName.payments: 8003,
    ServiceName.migration: 8005,
    ServiceName.oversight: 8004,
}
DataDir = Annotated[
    Path, typer.Option(envvar="KERANJANG_DATA_DIR", help="Folder for SQLite files.")
]


def log_level(name: ServiceName) -> str:
    """The service's log level, from KERANJANG_<SERVICE>_LOG_LEVEL."""
    return os.environ.get(f"KERANJANG_{name.value.upper()}_LOG_LEVEL", "WARNING")


def operator_token(data_dir: Path) -> str:
    """The operators' token for this data folder, created (mode 0600) on first use."""
    path = data_dir / "operator-token"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def log_to_stderr(level: str) -> None:
    """Logs as a service writes them (JSON lines), but on stderr: stdout carries the command's
    answer."""
    configure_logging(level, to_stderr=True)

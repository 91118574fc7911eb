"""The regulator's token: one bearer token per service, read-only wherever it is presented.

A service takes its regulator token from `KERANJANG_<SERVICE>_REGULATOR_TOKEN`, else from the
`regulator-token` file in its data folder, which `keranjang up` creates (mode 0600) so that every
service of one machine, and the monitor, share it. No token configured: nobody is a regulator.
"""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

TOKEN_FILE = "regulator-token"  # noqa: S105 (a file name, not a secret)


def variable(service: str) -> str:
    """`KERANJANG_MIGRATION_REGULATOR_TOKEN` for `migration`."""
    return f"KERANJANG_{service.upper()}_REGULATOR_TOKEN"


def regulator_token(
    service: str, data_dir: Path, environ: Mapping[str, str] = os.environ
) -> str | None:
    """The token the regulator presents to `service`, or None where none is configured."""
    configured = environ.get(variable(service), "").strip()
    if configured:
        return configured
    path = data_dir / TOKEN_FILE
    try:
        shared = path.read_text().strip()
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None
    return shared or None


def is_regulator(presented: str | None, expected: str | None) -> bool:
    """Constant-time comparison: how long it takes says nothing about how much of it was right."""
    if not presented or not expected:
        return False
    return secrets.compare_digest(presented.encode(), expected.encode())


def bearer_of(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None

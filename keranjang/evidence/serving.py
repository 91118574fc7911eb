"""What every service's evidence endpoints share, with no web framework: where the regulator's
token comes from (read once found), who a presented token is, and the fingerprints a service
reports of its own database and keys (so the monitor can tell two services share one without
learning an address or a secret)."""

import enum
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from keranjang.evidence.tokens import is_regulator, regulator_token

# Bounds of an evidence window (the query parameter `window_seconds`), and its default.
MIN_WINDOW_SECONDS = 60
MAX_WINDOW_SECONDS = 31 * 24 * 3600
DEFAULT_WINDOW_SECONDS = 24 * 3600


class TokenSource:
    """A service's regulator token: `configured` (its settings), else the environment variable
    or the data folder's shared file (`tokens.regulator_token`). Once found it is kept, so a
    write request never reads a file; until then each call looks again (the file may be made
    after the service starts). A changed token takes a restart."""

    def __init__(self, service: str, data_dir: Path, configured: str | None = None) -> None:
        self.service = service
        self.data_dir = Path(data_dir)
        self._found = configured or None

    def __call__(self) -> str | None:
        if self._found is None:
            self._found = regulator_token(self.service, self.data_dir)
        return self._found


class Admission(enum.Enum):
    REGULATOR = "regulator"
    NO_TOKEN = "no_token"  # noqa: S105 (a state, not a secret); answered 401
    NOT_REGULATOR = "not_regulator"  # answered 403


def admit(presented: str | None, expected: str | None) -> Admission:
    """Who presented `presented`: the regulator, nobody, or somebody else."""
    if not presented:
        return Admission.NO_TOKEN
    if is_regulator(presented, expected):
        return Admission.REGULATOR
    return Admission.NOT_REGULATOR


def database_fingerprint(url: str) -> str:
    """SHA-256 of a database's dialect, host, port and name (a SQLite file's absolute path):
    two services on one database report the same value; user and password never enter it."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        database = str(Path(database).resolve())
    parts = (parsed.get_backend_name(), parsed.host or "", str(parsed.port or ""), database)
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def key_fingerprint(secret: str, kind: str = "secret") -> str:
    """An id for a symmetric secret a service holds: `kind:` and 16 hex digits of SHA-256 over a
    fixed prefix and the secret (64 bits of a 256-bit random value: enough to see two services
    hold the same secret, nothing to recover it)."""
    digest = hashlib.sha256(b"keranjang-key-id\x00" + secret.encode()).hexdigest()
    return f"{kind}:{digest[:16]}"


def host_of(url: str) -> str:
    """`host:port` of a URL as the monitor compares hosts (`127.0.0.1:8002`); the URL itself if
    it has none."""
    return urlsplit(url).netloc or url

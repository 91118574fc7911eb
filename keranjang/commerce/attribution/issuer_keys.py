"""Social's published verification keys (its JWKS), fetched over HTTP and cached.

A token with an unknown key id triggers one refetch (at most every `min_refresh_seconds`), so
social can rotate keys without commerce restarting. Public keys are not credentials.
"""

import threading
import time

import httpx
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keranjang import handoff

log = structlog.get_logger(__name__)
TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class IssuerKeys:
    def __init__(
        self,
        jwks_url: str,
        client: httpx.Client | None = None,
        min_refresh_seconds: float = 30.0,
    ) -> None:
        self.jwks_url = jwks_url
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.min_refresh_seconds = min_refresh_seconds
        self._ring = handoff.KeyRing()
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def get(self, kid: str) -> Ed25519PublicKey:
        """The key for `kid`; an unknown id triggers a (rate-limited) refetch of the JWKS."""
        if kid not in self._ring:
            with self._lock:
                if kid not in self._ring and self._may_refresh():
                    self._ring = self._fetch()
        return self._ring.get(kid)

    def _may_refresh(self) -> bool:
        return time.monotonic() - self._fetched_at >= self.min_refresh_seconds

    def _fetch(self) -> handoff.KeyRing:
        self._fetched_at = time.monotonic()
        try:
            response = self.client.get(self.jwks_url)
            response.raise_for_status()
            return handoff.KeyRing.from_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            # Keep the keys we had; the token is then refused as signed by an unknown key.
            log.warning("jwks_fetch_failed", url=self.jwks_url, error=str(exc))
            return self._ring

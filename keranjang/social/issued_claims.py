"""A small in-memory record of the claim NAMES of the hand-off tokens social signed lately (never
their values), for the regulator's evidence: which claims went out, checked against the
allow-list. Per process, since it started; the oldest fall off past `capacity`."""

import base64
import binascii
import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ClaimSample:
    sampled: int
    claim_sets: tuple[tuple[str, ...], ...]  # distinct sets, most frequent first


class IssuedClaims:
    def __init__(self, capacity: int = 1_000) -> None:
        self._ring: deque[tuple[datetime, tuple[str, ...]]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def record(self, at: datetime, names: Iterable[str]) -> None:
        with self._lock:
            self._ring.append((at, tuple(sorted(names))))

    def record_token(self, at: datetime, token: str) -> None:
        """Record the claim names of a signed token as it leaves (its payload, read back)."""
        self.record(at, claim_names(token))

    def since(self, start: datetime, limit: int = 100) -> ClaimSample:
        """The tokens signed at or after `start`: how many, and their distinct claim-name sets."""
        with self._lock:
            recent = [names for at, names in self._ring if at >= start]
        counts: dict[tuple[str, ...], int] = {}
        for names in recent:
            counts[names] = counts.get(names, 0) + 1
        ranked = sorted(counts, key=lambda names: (-counts[names], names))
        return ClaimSample(len(recent), tuple(ranked[:limit]))


def claim_names(token: str) -> list[str]:
    """The claim names in a compact JWS's payload (no signature check: social signed it);
    `["(unreadable)"]` for anything that is not one."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return ["(unreadable)"]
    return sorted(claims) if isinstance(claims, dict) else ["(unreadable)"]

"""A small in-memory record of the claim NAMES of the hand-off tokens social signed lately (never
their values), for the regulator's evidence: which claims went out, checked against the
allow-list. The names are those of the claims as they were signed (`HandoffClaims.names()`),
not read back from the token. Per process, since it started; the oldest fall off past
`capacity`."""

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

    def since(self, start: datetime, limit: int = 100) -> ClaimSample:
        """The tokens signed at or after `start`: how many, and their distinct claim-name sets."""
        with self._lock:
            recent = [names for at, names in self._ring if at >= start]
        counts: dict[tuple[str, ...], int] = {}
        for names in recent:
            counts[names] = counts.get(names, 0) + 1
        ranked = sorted(counts, key=lambda names: (-counts[names], names))
        return ClaimSample(len(recent), tuple(ranked[:limit]))

"""Attribution's figures for the regulator's evidence (Pasal 13): the claim NAMES of the
hand-off tokens commerce received (never their values) and why it refused some, kept in memory
per process since it started; and the columns of commerce's live schema that could hold a
social user's identifier (none expected: the attribution keeps only the allowed claims)."""

import base64
import binascii
import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, column, func, inspect, select, table

from keranjang.commerce.attribution.db import AttributionRow

# A column named with one of these would hold a social user's identifier.
SOCIAL_WORDS = ("viewer", "social", "follower", "watch")


@dataclass(frozen=True)
class Received:
    sampled: int
    claim_sets: tuple[tuple[str, ...], ...]  # distinct, most frequent first
    refused_by_reason: dict[str, int]


class ReceivedTokens:
    """The last `capacity` tokens commerce was handed: when, their claim names, and the reason
    it refused one (None: redeemed)."""

    def __init__(self, capacity: int = 1_000) -> None:
        self._ring: deque[tuple[datetime, tuple[str, ...], str | None]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def record(self, at: datetime, names: tuple[str, ...], refused: str | None) -> None:
        with self._lock:
            self._ring.append((at, tuple(sorted(names)), refused))

    def since(self, start: datetime, limit: int = 100) -> Received:
        with self._lock:
            recent = [(names, why) for at, names, why in self._ring if at >= start]
        counts: dict[tuple[str, ...], int] = {}
        refused: dict[str, int] = {}
        for names, why in recent:
            counts[names] = counts.get(names, 0) + 1
            if why is not None:
                refused[why] = refused.get(why, 0) + 1
        ranked = sorted(counts, key=lambda names: (-counts[names], names))
        return Received(len(recent), tuple(ranked[:limit]), dict(sorted(refused.items())))


def claim_names(token: str) -> tuple[str, ...]:
    """The claim names in a refused token's payload, read without trusting it (a redeemed
    token's come from its verified claims); `("(unreadable)",)` for anything that is not one."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return ("(unreadable)",)
    return tuple(sorted(claims)) if isinstance(claims, dict) else ("(unreadable)",)


@dataclass(frozen=True)
class SocialColumns:
    columns: tuple[str, ...]  # `table.column`
    rows: int
    attribution_columns: tuple[str, ...]


def social_columns(connection: Connection) -> SocialColumns:
    """Every table of the live schema, column by column."""
    schema = inspect(connection)
    found: list[str] = []
    rows = 0
    for name in sorted(schema.get_table_names()):
        for col in schema.get_columns(name):
            if any(word in col["name"].lower() for word in SOCIAL_WORDS):
                found.append(f"{name}.{col['name']}")
                t = table(name, column(col["name"]))
                query = select(func.count()).select_from(t).where(t.c[0].is_not(None))
                rows += connection.execute(query).scalar_one()
    attribution = tuple(c["name"] for c in schema.get_columns(AttributionRow.__tablename__))
    return SocialColumns(tuple(found), rows, attribution)

"""The viewer's personalisation setting (Permendag 31/2023 Pasal 13; the DMA's consent): while it
is on, the creators a signed-in viewer watched order their feed; off, the feed is newest first,
nothing they watch is kept, and what was kept is deleted. Every feed served is counted, with
whether it was personalised and whether its viewer had turned personalisation off, for the
regulator's evidence (in memory, per process, since it started)."""

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.database import read_connection, transaction
from keranjang.social import domain
from keranjang.social.viewers.db import ViewerSettingRow, ViewerWatchRow

SIGNALS = 200  # the latest watches of a viewer that order their feed


@dataclass(frozen=True)
class FeedFigures:
    personalised: int
    chronological: int
    personalised_after_opt_out: int


class FeedsServed:
    """The last `capacity` feeds served: when, personalised or not, to a viewer opted out or
    not."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._ring: deque[tuple[datetime, bool, bool]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def record(self, at: datetime, *, personalised: bool, opted_out: bool) -> None:
        with self._lock:
            self._ring.append((at, personalised, opted_out))

    def since(self, start: datetime) -> FeedFigures:
        with self._lock:
            recent = [(p, out) for at, p, out in self._ring if at >= start]
        shaped = sum(1 for p, _ in recent if p)
        ignored = sum(1 for p, out in recent if p and out)
        return FeedFigures(shaped, len(recent) - shaped, ignored)


class Personalisation:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self.served = FeedsServed()

    def is_on(self, viewer_id: int) -> bool:
        with read_connection(self.sessions) as c:
            row = c.execute(
                select(ViewerSettingRow.personalised).where(ViewerSettingRow.viewer_id == viewer_id)
            ).first()
        return True if row is None else bool(row.personalised)

    def choose(self, viewer_id: int, on: bool) -> None:
        """Turn it on or off; off deletes every watch kept for the viewer, in one transaction.
        Two first choices racing: the one that loses the insert is applied again over it."""
        try:
            self._choose(viewer_id, on)
        except IntegrityError:
            self._choose(viewer_id, on)

    def _choose(self, viewer_id: int, on: bool) -> None:
        with transaction(self.sessions) as s:
            row = s.get(ViewerSettingRow, viewer_id, with_for_update=True)
            if row is None:
                row = ViewerSettingRow(viewer_id=viewer_id)
                s.add(row)
            row.personalised, row.changed_at = on, self.clock.now()
            if not on:
                s.execute(delete(ViewerWatchRow).where(ViewerWatchRow.viewer_id == viewer_id))

    def watched(self, viewer_id: int, creator_id: int) -> None:
        """A signed-in viewer opened a creator's content: kept only while personalisation is on."""
        if not self.is_on(viewer_id):
            return
        with transaction(self.sessions) as s:
            s.add(ViewerWatchRow(viewer_id=viewer_id, creator_id=creator_id, at=self.clock.now()))

    def feed(self, viewer_id: int | None, items: list[domain.Content]) -> list[domain.Content]:
        """The feed for this viewer (None: nobody signed in), counted as served."""
        on = viewer_id is not None and self.is_on(viewer_id)
        affinity = self._affinity(viewer_id) if on and viewer_id is not None else {}
        ordered = domain.personalised_order(items, affinity) if affinity else list(items)
        opted_out = viewer_id is not None and not on
        self.served.record(self.clock.now(), personalised=bool(affinity), opted_out=opted_out)
        return ordered

    def _affinity(self, viewer_id: int) -> dict[int, int]:
        """How often the viewer watched each creator, over their latest watches."""
        w = ViewerWatchRow
        latest = (
            select(w.creator_id)
            .where(w.viewer_id == viewer_id)
            .order_by(w.id.desc())
            .limit(SIGNALS)
        ).subquery()
        query = select(latest.c.creator_id, func.count()).group_by(latest.c.creator_id)
        with read_connection(self.sessions) as c:
            return {int(creator): int(n) for creator, n in c.execute(query)}

    def opted_out_viewers(self) -> int:
        query = select(func.count()).where(ViewerSettingRow.personalised.is_(False))
        with read_connection(self.sessions) as c:
            return int(c.execute(query).scalar_one())

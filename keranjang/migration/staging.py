"""The opening entries staged before the fence: posted in a commerce transaction held open
through the pause, so the pause holds only what the drain changed of them.

A giant's escrow is thousands of open orders. Posted inside the pause, its entries alone took
a few hundred milliseconds: no fence of 50 ms could hold it, and every giant was left for the
operator (bench/README.md). Posted before the fence, in a transaction nobody else can see
until the flip commits it, the pause only puts right the entries the drain changed.

The ledger is append-only (a trigger refuses to change or delete a posted entry), and these
entries are not yet posted: they are rows of a transaction not committed. Putting one right is
rolling back to the savepoint before it and posting again from there, never a delete. The
entries go in a known order, a savepoint every `CHUNK` entries (more for a giant), the sellers
already behind in the change log last and after a savepoint of their own (the drain is
likeliest to change theirs), so a change re-posts little.

Held only on PostgreSQL. SQLite has one writer: a commerce transaction held open would keep the
drain from writing. There the staging is a rehearsal (posted, timed, rolled back) and the
pause posts every entry, as before.

Nothing else writes what the held transaction holds: the ledger is written by the engine
alone for a merchant not yet selling in commerce, and the drain only updates the orders the
entries name (a key share lock, which updates of the orders' other columns do not wait for);
the app never deletes an order (`sync.gone`).
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session, SessionTransaction

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.infra.bulk import postgresql
from keranjang.migration.sync import Ctx

CHUNK = 128  # entries between savepoints, at least
# PostgreSQL keeps 64 subtransactions of a transaction in shared memory
# (PGPROC_MAX_CACHED_SUBXIDS). Past that, every snapshot taken anywhere while the transaction is
# open is "suboverflowed" and looks transactions up in pg_subtrans: a known slowdown of the
# whole server. A giant's chunks grow so that its staging keeps under that (at 128 entries a
# chunk, about 8,000 open orders would pass it).
MAX_SAVEPOINTS = 48
Owned = list[tuple[int, ledger.Entry]]  # (seller, entry), in the order staged
Span = tuple[int, int]


@dataclass(frozen=True)
class Restage:
    """What putting the staged entries right takes: the entries to post from `start` on (those
    before it stay as staged), after rolling back to a savepoint (`mark`, an index of
    `Staged.marks`; none when nothing posted changes, or nothing is held)."""

    tail: Owned
    start: int
    mark: int | None
    opened: dict[int, ledger.Opening]

    @property
    def entries(self) -> int:
        return len(self.tail)


class Staged:
    """The batch's opening entries as they stand in the caller's commerce transaction `s`."""

    def __init__(self, s: Session, ctx: Ctx, hold: bool = True) -> None:
        self.s, self.ctx = s, ctx
        self.held = hold and postgresql(s)
        self.last: set[int] = set()  # sellers behind in the log when staged: posted last
        self.opened: dict[int, ledger.Opening] = {}  # what is staged (none: rehearsed)
        self.posted: Owned = []
        self.marks: list[tuple[int, SessionTransaction]] = []  # (first entry, savepoint)
        self.ms, self.count = 0.0, 0
        self.chunk = CHUNK

    def stage(self, opened: dict[int, ledger.Opening], last: Iterable[int] = ()) -> None:
        """Post every entry of `opened` (held), or rehearse it (posted, timed, rolled back)."""
        self.last = set(last)
        wanted = [(s, e) for s in self.sellers(opened) for e in ledger.opening(opened[s])]
        self.chunk = max(CHUNK, -(-len(wanted) // MAX_SAVEPOINTS))
        started = time.perf_counter()
        self._post_from(0, wanted)
        self.ms, self.count = (time.perf_counter() - started) * 1000, len(wanted)
        if self.held:
            self.opened = opened
        else:
            self.s.rollback()
            self.posted = []

    def sellers(self, opened: dict[int, ledger.Opening]) -> list[int]:
        """The order staged: sellers behind in the log last."""
        return sorted(opened, key=lambda s: (s in self.last, s))

    def plan(self, opened: dict[int, ledger.Opening]) -> Restage:
        """What making the staged entries `opened`'s takes. Only the sellers whose books
        changed are compared entry by entry (a giant's thousands are not rebuilt for a batch
        whose drain changed one small seller), from the first that differs."""
        if not self.held:
            return Restage(self._from(0, opened, set(opened)), 0, None, opened)
        changed = {s for s in opened.keys() | self.opened.keys()
                   if opened.get(s) != self.opened.get(s)}  # fmt: skip
        spans = self._spans(opened)
        first = self._first_difference(opened, changed, spans)
        if first is None:
            return Restage([], len(self.posted), None, opened)
        if first == len(self.posted):  # only new entries, after every staged one
            return Restage(self._from(first, opened, changed, spans), first, None, opened)
        mark = max(k for k, (at, _) in enumerate(self.marks) if at <= first)
        start = self.marks[mark][0]
        return Restage(self._from(start, opened, changed, spans), start, mark, opened)

    def restage(self, plan: Restage) -> int:
        """Carry out `plan`: roll back to its savepoint (the savepoints after it go with it)
        and post again from there. Answers how many entries were posted."""
        if plan.mark is not None:
            self.marks[plan.mark][1].rollback()
            del self.marks[plan.mark :]
        del self.posted[plan.start :]
        self._post_from(plan.start, plan.tail)
        if self.held:
            self.opened = plan.opened
        return plan.entries

    def _spans(self, opened: dict[int, ledger.Opening]) -> dict[int, tuple[int, int]]:
        """Each seller's entries as staged: [start, end) in `posted` (empty where it has none,
        at the place its entries would take)."""
        ends: dict[int, int] = {}
        for i, (owner, _) in enumerate(self.posted):
            ends[owner] = i + 1
        spans, at = {}, 0
        for seller in self.sellers(opened):
            end = ends.get(seller, at)
            spans[seller], at = (at, end), end
        return spans

    def _first_difference(
        self, opened: dict[int, ledger.Opening], changed: set[int], spans: dict[int, Span]
    ) -> int | None:
        """The first place in `posted` whose entry the books now want otherwise (its length
        when the only change is entries after every staged one); none when nothing differs."""
        for seller in self.sellers(opened):
            if seller not in changed:
                continue
            a, b = spans[seller]
            new, old = ledger.opening(opened[seller]), [e for _, e in self.posted[a:b]]
            same = next((i for i, (x, y) in enumerate(zip(old, new, strict=False)) if x != y), None)
            if same is not None:
                return a + same
            if len(new) != len(old):
                return a + min(len(new), len(old))
        return None

    def _from(
        self,
        start: int,
        opened: dict[int, ledger.Opening],
        changed: set[int],
        spans: dict[int, Span] | None = None,
    ) -> Owned:
        """The entries wanted from `start` on: the changed sellers' from their books, the
        others' as staged."""
        spans = spans or {}
        tail: Owned = []
        for seller in self.sellers(opened):
            a, b = spans.get(seller, (start, start))
            if b < start:  # before the first difference: stays as staged
                continue
            entries = (
                ledger.opening(opened[seller])
                if seller in changed
                else [e for _, e in self.posted[a:b]]
            )
            tail += [(seller, e) for e in entries[max(start - a, 0) :]]
        return tail

    def _post_from(self, start: int, wanted: Owned) -> None:
        """Post `wanted` from `start` on, a savepoint every `CHUNK` entries and before the sellers
        behind in the log. (A savepoint and a bulk post per seller cost a batch of 500 small
        sellers half a second.)"""
        at = self.ctx.clock.now()
        chunk: list[ledger.Entry] = []
        seller: int | None = None
        for i, (owner, entry) in enumerate(wanted, start):
            behind = (owner in self.last) != (seller in self.last)
            if chunk and (behind or len(chunk) >= self.chunk):
                money_db.post_many(self.s, chunk, at)
                chunk = []
            if not chunk and self.held:
                self.marks.append((i, self.s.begin_nested()))
            seller = owner
            chunk.append(entry)
            self.posted.append((owner, entry))
        if chunk:
            money_db.post_many(self.s, chunk, at)

"""The opening entries staged before the fence: posted in a commerce transaction held open
through the pause, so the pause holds only what the drain changed of them.

A giant's escrow is thousands of open orders. Posted inside the pause, its entries alone took
a few hundred milliseconds: no fence of 50 ms could hold it, and every giant was left for the
operator (bench/README.md). Posted before the fence, in a transaction nobody else can see
until the flip commits it, the pause only puts right the entries the drain changed.

The ledger is append-only (a trigger refuses to change or delete a posted entry), and these
entries are not yet posted: they are rows of a transaction not committed. Putting one right is
rolling back to the savepoint before it and posting again from there, never a delete. The
entries go in a known order, a savepoint every `CHUNK` entries, the sellers already behind in
the change log last and after a savepoint of their own (the drain is likeliest to change
theirs), so a change re-posts little.

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

CHUNK = 128  # entries between savepoints
Owned = list[tuple[int, ledger.Entry]]  # (seller, entry), in the order staged


@dataclass(frozen=True)
class Restage:
    """The entries wanted in the order staged, the first to post again (those before it stay
    as staged), and the savepoint to roll back to first (an index of `Staged.marks`)."""

    wanted: Owned
    start: int
    mark: int | None

    @property
    def entries(self) -> int:
        return max(len(self.wanted) - self.start, 0)


class Staged:
    """The batch's opening entries as they stand in the caller's commerce transaction `s`."""

    def __init__(self, s: Session, ctx: Ctx, hold: bool = True) -> None:
        self.s, self.ctx = s, ctx
        self.held = hold and postgresql(s)
        self.last: set[int] = set()  # sellers behind in the log when staged: posted last
        self.opened: dict[int, ledger.Opening] = {}  # what was staged (none: rehearsed)
        self.posted: list[ledger.Entry] = []
        self.marks: list[tuple[int, SessionTransaction]] = []  # (first entry, savepoint)
        self.ms, self.count = 0.0, 0

    @property
    def ms_per_entry(self) -> float:
        """What posting one entry cost when staged, savepoints included."""
        return self.ms / max(self.count, 1)

    def stage(self, opened: dict[int, ledger.Opening], last: Iterable[int] = ()) -> None:
        """Post every entry of `opened` (held), or rehearse it (posted, timed, rolled back)."""
        self.last = set(last)
        wanted = self.ordered(opened)
        started = time.perf_counter()
        self._post_from(0, wanted)
        self.ms, self.count = (time.perf_counter() - started) * 1000, len(wanted)
        if self.held:
            self.opened = opened
        else:
            self.s.rollback()
            self.posted = []

    def ordered(self, opened: dict[int, ledger.Opening]) -> Owned:
        """Every entry with its seller, in the order staged: sellers behind in the log last."""
        sellers = sorted(opened, key=lambda s: (s in self.last, s))
        return [(s, e) for s in sellers for e in ledger.opening(opened[s])]

    def plan(self, opened: dict[int, ledger.Opening]) -> Restage:
        """What making the staged entries `opened`'s takes: nothing when they are what was
        staged (no seller's books changed: compared whole, not entry by entry)."""
        if opened == self.opened:
            return Restage([], len(self.posted), None)
        wanted = self.ordered(opened)
        return Restage(wanted, *self._start(wanted))

    def restage(self, plan: Restage) -> int:
        """Carry out `plan`: roll back to its savepoint (the savepoints after it go with it)
        and post again from there. Answers how many entries were posted."""
        if plan.mark is not None:
            self.marks[plan.mark][1].rollback()
            del self.marks[plan.mark :]
        if plan.wanted:
            del self.posted[plan.start :]
            self._post_from(plan.start, plan.wanted)
        return plan.entries

    def _start(self, wanted: Owned) -> tuple[int, int | None]:
        """Where a restage begins, and the savepoint (an index of `marks`) to roll back to:
        none when what is staged is all the same (the new entries, if any, follow it) or
        nothing is held (everything is posted)."""
        same = 0
        for staged, (_, entry) in zip(self.posted, wanted, strict=False):
            if staged != entry:
                break
            same += 1
        if same == len(self.posted):
            return same, None
        mark = max(k for k, (at, _) in enumerate(self.marks) if at <= same)
        return self.marks[mark][0], mark

    def _post_from(self, start: int, wanted: Owned) -> None:
        """Post `wanted[start:]`, a savepoint every `CHUNK` entries and before the sellers
        behind in the log. (A savepoint and a bulk post per seller cost a batch of 500 small
        sellers half a second.)"""
        at = self.ctx.clock.now()
        chunk: list[ledger.Entry] = []
        seller: int | None = None
        for i, (owner, entry) in enumerate(wanted[start:], start):
            behind = (owner in self.last) != (seller in self.last)
            if chunk and (behind or len(chunk) >= CHUNK):
                money_db.post_many(self.s, chunk, at)
                chunk = []
            if not chunk and self.held:
                self.marks.append((i, self.s.begin_nested()))
            seller = owner
            chunk.append(entry)
            self.posted.append(entry)
        if chunk:
            money_db.post_many(self.s, chunk, at)

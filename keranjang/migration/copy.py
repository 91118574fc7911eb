"""The copy: a seller's rows (or a batch's sellers' rows, together) in key order, step after step
(products, buyers, orders, lines, holds, events, payments, refunds), in batches, each batch
brought over by `sync.apply` and its last key then recorded in the move's `position`
(`{"copied": {step: last key}, "done": [...]}`): in every move of the batch, in one journal
transaction. The batch starts from the smallest position its moves record (a step is done when
it is done for all of them): a batch put together again after a crash, or split, repeats rows
some of its moves had copied, which `sync` writes idempotently, and skips none.

A slice copies batches until its time is up (the worker then gives other merchants a turn);
the next slice goes on from the position, so a crash anywhere repeats what was copied since the
position was last recorded, which `sync` writes idempotently. The position is recorded once a
full batch's worth of rows is in commerce (per 20 merchants of the batch: recording writes
every move of it), and at the end of the slice: the short and empty
steps of a small merchant (most of them) share one journal transaction instead of one each. The change log's cursor is taken before the first batch is read:
every change committed after it is applied by the catch-up, whatever state the copy saw.
"""

import bisect
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select
from sqlalchemy.engine import RowMapping

from keranjang.infra.bulk import one_of
from keranjang.infra.database import transaction
from keranjang.migration import journal, source, sync
from keranjang.migration.sync import Ctx

RECORD_SELLERS = 20  # a batch of more records its position after a batch of rows per 20


@dataclass(frozen=True)
class Pace:
    """How a slice goes: rows per batch, seconds per slice, rows per second at most (0: no
    cap)."""

    batch_rows: int = 1000
    # A slice re-reads the batch's id maps and orders (`sync.Ctx.whole_maps`, `_Orders`): a
    # giant's run to 100,000 ids, so a short slice spends much of itself reading them again.
    slice_seconds: float = 3.0
    max_rows_per_second: int = 0
    # The clock the slice and the throttle read, and how they wait (a test passes fakes).
    monotonic: Callable[[], float] = field(default=time.monotonic, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


class Throttle:
    """At most `rate` rows a second over a slice: after each batch, sleep off what the batch
    took beyond its share. Hand-written: a token bucket library would cut batches in the
    middle; here the rows are counted after they are written."""

    def __init__(self, rate: int, pace: Pace | None = None) -> None:
        self.pace = pace or Pace()
        self.rate, self.started, self.rows = rate, self.pace.monotonic(), 0

    def took(self, rows: int) -> None:
        self.rows += rows
        if self.rate <= 0:
            return
        ahead = self.rows / self.rate - (self.pace.monotonic() - self.started)
        if ahead > 0:
            self.pace.sleep(ahead)


def start(ctx: Ctx) -> tuple[dict[str, int], list[str]]:
    """Where the batch's copy stands: each step's smallest last key over its moves, and the
    steps every move has done."""
    with ctx.journal() as s:
        moves = s.scalars(
            select(journal.MoveRow).where(one_of(journal.MoveRow.seller_id, ctx.sellers))
        )
        where = [journal.position(m) for m in moves]
    copied: dict[str, int] = {}
    for step in source.STEPS:
        keys = [int(w.get("copied", {}).get(step, 0)) for w in where]
        if min(keys, default=0):
            copied[step] = min(keys)
    done = [step for step in source.STEPS if all(step in w.get("done", []) for w in where)]
    return copied, done


def copy_slice(ctx: Ctx, pace: Pace) -> bool:
    """Copy batches until the slice's time is up; True once every step is done."""
    copied, done = start(ctx)
    throttle = Throttle(pace.max_rows_per_second, pace)
    deadline = pace.monotonic() + pace.slice_seconds
    unrecorded: Counter[int] = Counter()  # per seller, rows in commerce not in the position yet
    # Recording writes every move of the batch: a large batch records after more rows.
    record_every = pace.batch_rows * max(1, len(ctx.sellers) // RECORD_SELLERS)
    pages = _Pages(ctx, pace.batch_rows)
    for step in source.STEPS:
        while step not in done:
            rows, last, more = pages.next(step, copied.get(step, 0))
            if last is not None:
                copied[step] = last
            if not more:
                done.append(step)
            unrecorded.update(int(r["owner_id"]) for r in rows)
            if unrecorded.total() >= record_every:  # a full batch's worth: recorded now
                _record(ctx, copied, done, unrecorded)
                unrecorded = Counter()
            throttle.took(len(rows))
            if pace.monotonic() > deadline:
                _record(ctx, copied, done, unrecorded)
                return len(done) == len(source.STEPS)
    _record(ctx, copied, done, unrecorded)
    return True


Page = tuple[list[RowMapping], int | None, bool]  # rows, the last key read, whether more follow


class _Pages:
    """The batch's pages of rows, each brought over as it is read. Where the batch's orders can
    be named (`source.orders_to_name`, read once a slice), a step's keys are listed once a
    slice and its pages read by key; else (SQLite, a giant) each page is the next rows after
    the last key. Rows written after the listing are the catch-up's (its cursor was taken
    before the copy began); a listed row deleted meanwhile is skipped, the step going on past
    its key. Buyers are always read a page at a time (`source.batch` lists them from the
    orders)."""

    def __init__(self, ctx: Ctx, limit: int) -> None:
        self.ctx, self.limit = ctx, limit
        self.orders: list[int] | None = None
        self.read = False
        self.keys: dict[str, list[int]] = {}

    def next(self, step: str, after: int) -> Page:
        with self.ctx.social.connect() as c:
            page = self._read(c, step, after)
        sync.apply(self.ctx, step, page[0])
        self.ctx.checkpoint(f"copy:{step}:applied")
        return page

    def _read(self, c: Connection, step: str, after: int) -> Page:
        if not self.read:
            self.orders, self.read = source.orders_to_name(c, self.ctx.sellers), True
        if self.orders is None or step == "buyers":  # buyers: listed from orders a page at a time
            named = self.orders if step in source.ORDER_OF else None
            rows = source.batch(c, step, self.ctx.sellers, (after, self.limit), named)
            last = sync.key_of(step, rows[-1]) if rows else None
            return rows, last, len(rows) == self.limit
        if step not in self.keys:
            self.keys[step] = source.keys_after(c, step, self.ctx.sellers, after, self.orders)
        listed = self.keys[step]
        wanted = listed[bisect.bisect_right(listed, after) :][: self.limit]
        rows = source.by_keys(c, step, self.ctx.sellers, wanted)
        more = bool(wanted) and wanted[-1] < listed[-1]
        return rows, (wanted[-1] if wanted else None), more


def _record(ctx: Ctx, copied: dict[str, int], done: list[str], rows: Counter[int]) -> None:
    """The batch is in commerce: its last key is the position now, of every move of it."""
    now = ctx.clock.now()
    with transaction(ctx.journal) as s:
        for move in journal.moves_for_update(s, ctx.sellers):
            journal.set_position(move, copied=copied, done=done)
            move.rows_copied += rows[move.seller_id]
            move.updated_at = now

"""Capture and catch-up: the changes the app made to the seller's rows since the copy's cursor,
read from social's change log (written by triggers in the same transaction as each legacy write,
see `keranjang.social.legacy_shop.changes`) and applied to commerce.

A change names a table and a row; the row is read as it is now and brought over by `sync.apply`
(insert or update), so a change applied twice, or a row changed three times, lands once, in its
latest state. The cursor moves in the journal only after commerce has the batch: a crash in
between applies the batch again, harmlessly. The log's cursor is an opaque string (on
PostgreSQL a snapshot, so changes committed out of id order are never skipped), kept in the
move's `position` as `log`; `change_cursor` counts the changes applied. A batch's moves are
caught up together: one read of the log for all of them (each from its own cursor), one
`sync.apply` per step, and every move's cursor written in one journal transaction.
"""

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.infra.bulk import one_of
from keranjang.infra.database import transaction
from keranjang.migration import journal, mapping, source, source_books, sync, target
from keranjang.migration.sync import Ctx
from keranjang.social.legacy_shop import changes

STEP_OF_TABLE = {
    "legacy_products": "products",
    "legacy_orders": "orders",
    "legacy_order_lines": "lines",
    "legacy_stock_holds": "holds",
    "legacy_order_events": "events",
    "legacy_payments": "payments",
    "legacy_refunds": "refunds",
}
SELLER_TABLES = ("legacy_sellers", "legacy_payout_accounts")


@dataclass(frozen=True)
class CaughtUp:
    applied: int
    cursor: str
    seconds: float


def start_cursor(ctx: Ctx) -> str:
    with Session(ctx.social) as s:
        return changes.cursor_now(s)


Cursors = dict[int, str]  # seller -> where its log was read to


def cursors(ctx: Ctx) -> Cursors:
    with ctx.journal() as s:
        moves = s.scalars(
            select(journal.MoveRow).where(one_of(journal.MoveRow.seller_id, ctx.sellers))
        )
        return {m.seller_id: str(journal.position(m)["log"]) for m in moves}


def read(ctx: Ctx, where: Cursors) -> changes.ChangeBatch:
    with Session(ctx.social) as s:
        return changes.changes_of(s, where)


def apply_changes(ctx: Ctx, batch: Sequence[changes.Change]) -> None:
    """Bring the rows these changes name into commerce as they are now, parents first."""
    by_table: dict[str, set[int]] = {}
    for change in batch:
        by_table.setdefault(change.table_name, set()).add(change.row_id)
    refreshed = {c.seller_id for c in batch if c.table_name in SELLER_TABLES}
    if refreshed:
        refresh_sellers(ctx, refreshed)
    for step in source.STEPS:
        keys = {k for t, ks in by_table.items() if STEP_OF_TABLE.get(t) == step for k in ks}
        if not keys:
            continue
        with ctx.social.connect() as c:
            if step == "payments":
                keys = source.orders_of_payments(c, keys)
            rows = source.by_keys(c, step, ctx.sellers, keys)
        sync.apply(ctx, step, rows)
        sync.gone(ctx, step, keys - {sync.key_of(step, r) for r in rows})


def refresh_sellers(ctx: Ctx, sellers: set[int]) -> None:
    """The shops' names, cities and payout accounts as the sellers keep them in the app."""
    with ctx.social.connect() as c:
        found, accounts = (
            source_books.sellers_of(c, sellers),
            source_books.payout_accounts(c, sellers),
        )
    with ctx.commerce.begin() as c:
        for seller_id, seller in found.items():
            merchant_id = ctx.merchants[seller_id]
            target.update_merchant(c, merchant_id, {"name": seller["name"], "city": seller["city"]})
        for seller_id, account in accounts.items():
            target.put_payout_account(c, mapping.payout_account(account, ctx.merchants[seller_id]))


def catch_up(ctx: Ctx) -> CaughtUp:
    """Apply the changes made visible since the cursors, then move the cursors."""
    started = time.monotonic()
    batch = read(ctx, cursors(ctx))
    apply_changes(ctx, batch.changes)
    ctx.checkpoint("catch_up:applied")
    seconds = time.monotonic() - started
    applied = Counter(c.seller_id for c in batch.changes)
    with transaction(ctx.journal) as s:
        for move in journal.moves_for_update(s, ctx.sellers):
            rate = _ms_per_change(journal.position(move), len(batch.changes), seconds)
            journal.set_position(move, log=batch.cursor, ms_per_change=rate)
            move.change_cursor += applied[move.seller_id]
            move.updated_at = ctx.clock.now()
    return CaughtUp(len(batch.changes), batch.cursor, seconds)


def _ms_per_change(where: dict[str, object], applied: int, seconds: float) -> float:
    """The apply cost per change, a moving average over the batches (the first batches of a
    large lag say the most)."""
    before = float(where.get("ms_per_change") or 0.0)  # type: ignore[arg-type]
    if applied < 5:  # too few changes to say anything about the rate
        return before
    now = seconds * 1000 / applied
    return now if before <= 0 else 0.7 * before + 0.3 * now

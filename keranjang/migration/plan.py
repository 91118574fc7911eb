"""The plan: which legacy sellers move, in which order. Largest legacy sales first, so the payment
share (60 % of the weight) rises fastest, as it did in 2024.

Planning reads social's legacy tables (the sellers, their sales and how many rows each has) and
writes one `moves` row per seller in phase `planned`, with an event. It is idempotent: planning
again adds the sellers that opened since, after the others, and refreshes the figures of moves
not yet started; it never reorders a move, started or not, so the order an operator saw holds.
"""

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keranjang.migration.errors import MigrationError
from keranjang.migration.journal import EventRow, MoveRow
from keranjang.migration.phases import Phase
from keranjang.social.legacy_shop import db as legacy
from keranjang.social.legacy_shop.domain import MONEY_IN

# The seller's rows that move, counted per seller, reached from the seller (`by`) or through its
# orders. The engine counts exactly when it copies; these counts size the plan beforehand.
SELLER_TABLES = (legacy.ProductRow, legacy.OrderRow)
ORDER_TABLES = (
    legacy.OrderLineRow,
    legacy.OrderEventRow,
    legacy.StockHoldRow,
    legacy.PaymentRow,
    legacy.RefundRow,
)


@dataclass(frozen=True)
class SellerSize:
    seller_id: int
    sales_idr: int  # paid, shipped, delivered and completed orders' totals
    rows: int  # the seller's own rows, its payout account, and its shop's rows


@dataclass(frozen=True)
class PlannedMove:
    seller_id: int
    rank: int
    sales_idr: int
    rows: int


@dataclass(frozen=True)
class PlanReport:
    added: tuple[PlannedMove, ...]
    refreshed: int  # moves not yet started whose figures were brought up to date
    total: int  # moves in the plan, after this one
    dry_run: bool


def ordered(sizes: Iterable[SellerSize]) -> list[SellerSize]:
    """Largest sales first; equal sales by seller id, so the same shop plans the same way."""
    return sorted(sizes, key=lambda s: (-s.sales_idr, s.seller_id))


def new_moves(sizes: Sequence[SellerSize], planned: set[int], last_rank: int) -> list[PlannedMove]:
    """The sellers not in the plan yet, ranked after every move already in it."""
    fresh = [s for s in ordered(sizes) if s.seller_id not in planned]
    return [
        PlannedMove(s.seller_id, last_rank + i, s.sales_idr, s.rows)
        for i, s in enumerate(fresh, start=1)
    ]


def legacy_sizes(social: Connection) -> list[SellerSize]:
    """Every legacy seller's sales and row count, in a few grouped reads (no read per seller)."""
    sellers = social.scalars(select(legacy.SellerRow.id)).all()
    o = legacy.OrderRow
    sales_query = (
        select(o.seller_id, func.coalesce(func.sum(o.total_idr), 0))
        .where(o.status.in_([s.value for s in MONEY_IN]))
        .group_by(o.seller_id)
    )
    sales = {int(k): int(v) for k, v in social.execute(sales_query)}
    rows = Counter({seller_id: 1 for seller_id in sellers})  # the seller itself
    payout = select(legacy.PayoutAccountRow.seller_id)
    rows.update(int(seller_id) for seller_id in social.scalars(payout))
    for table in SELLER_TABLES:
        query = select(table.seller_id, func.count()).group_by(table.seller_id)
        rows.update({int(k): int(v) for k, v in social.execute(query)})
    for child in ORDER_TABLES:
        query = (
            select(o.seller_id, func.count())
            .select_from(child)
            .join(o, o.id == child.order_id)
            .group_by(o.seller_id)
        )
        rows.update({int(k): int(v) for k, v in social.execute(query)})
    return [SellerSize(int(s), sales.get(int(s), 0), rows[int(s)]) for s in sellers]


def plan(journal: Session, sizes: Sequence[SellerSize], at: datetime, dry_run: bool) -> PlanReport:
    """Add the sellers not yet planned and refresh the figures of moves not yet started, in the
    caller's transaction (one for the whole plan)."""
    existing = {k: v for k, v in journal.execute(select(MoveRow.seller_id, MoveRow.phase))}
    last_rank = journal.scalar(select(func.max(MoveRow.rank))) or 0
    added = new_moves(sizes, set(existing), last_rank)
    waiting = [
        {"sid": s.seller_id, "sales": s.sales_idr, "rows": s.rows, "at": at}
        for s in sizes
        if existing.get(s.seller_id) == Phase.PLANNED.value
    ]
    if not dry_run:
        _write(journal, added, waiting, at)
    return PlanReport(tuple(added), len(waiting), len(existing) + len(added), dry_run)


def _write(
    journal: Session, added: Sequence[PlannedMove], waiting: list[dict[str, object]], at: datetime
) -> None:
    if waiting:
        # Only while still planned: a worker may have started the move since it was read.
        m = MoveRow
        refresh = (
            update(MoveRow)
            .where(m.seller_id == bindparam("sid"), m.phase == Phase.PLANNED.value)
            .values(
                sales_idr=bindparam("sales"),
                rows_total=bindparam("rows"),
                updated_at=bindparam("at"),
            )
        )
        journal.connection().execute(refresh, waiting)
    if not added:
        return
    moves = [_move_row(m, at) for m in added]
    events = [
        {
            "seller_id": m.seller_id,
            "phase": Phase.PLANNED.value,
            "what": "planned",
            "detail": json.dumps({"rank": m.rank, "sales_idr": m.sales_idr, "rows": m.rows}),
            "actor": "plan",
            "at": at,
        }
        for m in added
    ]
    try:
        journal.execute(insert(MoveRow), moves)
        journal.execute(insert(EventRow), events)
    except IntegrityError as exc:
        raise MigrationError("another plan ran at the same moment; plan again") from exc


def _move_row(m: PlannedMove, at: datetime) -> dict[str, object]:
    return {
        "seller_id": m.seller_id,
        "rank": m.rank,
        "phase": Phase.PLANNED.value,
        "position": "{}",
        "change_cursor": 0,
        "attempts": 0,
        "sales_idr": m.sales_idr,
        "rows_total": m.rows,
        "rows_copied": 0,
        "rows_verified": 0,
        "rows_purged": 0,
        "created_at": at,
        "updated_at": at,
    }

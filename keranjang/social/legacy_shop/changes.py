"""The change log of the legacy shop: every insert, update and delete of a seller's rows, written
by database triggers (social's revision 0003) in the same transaction as the write, for the
migration to capture what a seller changes while its shop is being copied.

A change names the seller, the table, the row's key and the operation; the migration reads the
row itself for its current state, so applying a change twice does no harm.

Reading the log in order needs care on PostgreSQL: ids are handed out when a row is inserted,
but transactions commit in another order, so a change with a smaller id can become visible after
a larger one was read, and a cursor on ids alone would skip it. Each change therefore carries its
transaction's id (`tx`), and the cursor is a PostgreSQL snapshot: the next read returns exactly
the changes of transactions that were not visible in the previous snapshot and are now (PgQ's
batching, built on `pg_current_snapshot` and `pg_visible_in_snapshot`): none twice, none lost.
On SQLite one writer commits at a time and AUTOINCREMENT ids never go back, so the cursor is the
last id read. Either way the cursor is an opaque string: start from `cursor_now`, read inside
the copy's snapshot transaction, and pass each batch's cursor to the next `changes_since`.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Connection, Index, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from keranjang.infra.types import Id, UtcDateTime
from keranjang.social.db import Base

# The tables whose rows belong to one seller; the triggers find the seller of a row without a
# seller id through its order (lines, holds, events, payments, refunds, ledger entries) or its
# ledger entry's order (postings whose own seller id is empty).
CAPTURED_TABLES = (
    "legacy_sellers",
    "legacy_payout_accounts",
    "legacy_products",
    "legacy_orders",
    "legacy_order_lines",
    "legacy_stock_holds",
    "legacy_order_events",
    "legacy_payments",
    "legacy_refunds",
    "legacy_ledger_entries",
    "legacy_ledger_postings",
)


class ChangeRow(Base):
    __tablename__ = "legacy_changes"
    __table_args__ = (
        Index("ix_legacy_changes_seller_id_id", "seller_id", "id"),
        Index("ix_legacy_changes_seller_id_tx", "seller_id", "tx"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seller_id: Mapped[int] = mapped_column(Id)
    table_name: Mapped[str] = mapped_column(String(40))
    # The changed row's key: `id`, or `seller_id` for legacy_payout_accounts.
    row_id: Mapped[int] = mapped_column(Id)
    op: Mapped[str] = mapped_column(String(6))  # insert | update | delete
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # PostgreSQL: the writing transaction's id (pg_current_xact_id); SQLite: empty.
    tx: Mapped[int | None] = mapped_column(BigInteger)


@dataclass(frozen=True)
class Change:
    id: int
    seller_id: int
    table_name: str
    row_id: int
    op: str
    at: datetime


@dataclass(frozen=True)
class ChangeBatch:
    """The changes since a cursor, in id order, and the cursor to read from next."""

    changes: tuple[Change, ...]
    cursor: str


def cursor_now(s: Session) -> str:
    """The log's position as this session sees the database now: inside the copy's snapshot
    (REPEATABLE READ on PostgreSQL), the changes after it are exactly those the copy missed."""
    if s.get_bind().dialect.name == "postgresql":
        return str(s.scalar(text("SELECT pg_current_snapshot()::text")))
    return str(s.scalar(select(ChangeRow.id).order_by(ChangeRow.id.desc()).limit(1)) or 0)


_SINCE_POSTGRESQL = text(
    """
    WITH now AS (SELECT pg_current_snapshot() AS snapshot),
    wanted AS (
        SELECT w.seller_id, CAST(w.cursor AS pg_snapshot) AS cursor
        FROM unnest(CAST(:sellers AS bigint[]), CAST(:cursors AS text[])) AS w(seller_id, cursor)
    ),
    found AS (
        SELECT c.id, c.seller_id, c.table_name, c.row_id, c.op, c.at
        FROM wanted JOIN legacy_changes AS c
          ON c.seller_id = wanted.seller_id
         AND c.tx >= pg_snapshot_xmin(wanted.cursor)::text::bigint
         AND NOT pg_visible_in_snapshot(c.tx::text::xid8, wanted.cursor)
    )
    SELECT found.*, now.snapshot::text AS cursor
    FROM now LEFT JOIN found ON true
    ORDER BY found.id
    """
).columns(at=UtcDateTime())


def changes_since(s: Session, seller_id: int, cursor: str) -> ChangeBatch:
    """A seller's changes made visible since `cursor` (from `cursor_now` or the last batch)."""
    return changes_of(s, {seller_id: cursor})


def changes_of(s: Session, cursors: Mapping[int, str]) -> ChangeBatch:
    """The changes of several sellers made visible since each one's cursor, in one read; the
    cursor answered is every one of these sellers' cursor from now on."""
    sellers = sorted(cursors)
    if s.get_bind().dialect.name == "postgresql":
        values = {"sellers": sellers, "cursors": [cursors[k] for k in sellers]}
        rows = s.execute(_SINCE_POSTGRESQL, values).all()
        found = tuple(Change(*row[:6]) for row in rows if row.id is not None)
        return ChangeBatch(found, rows[0].cursor)
    # SQLite: ids are handed out in commit order, so every change of these sellers past the
    # smallest cursor is read, and those a seller had read already are left out.
    after = {k: int(v) for k, v in cursors.items()}
    query = (
        select(ChangeRow)
        .where(ChangeRow.seller_id.in_(sellers), ChangeRow.id > min(after.values()))
        .order_by(ChangeRow.id)
    )
    read = list(s.scalars(query))
    found = tuple(
        Change(r.id, r.seller_id, r.table_name, r.row_id, r.op, r.at)
        for r in read
        if r.id > after[r.seller_id]
    )
    return ChangeBatch(found, str(max([*after.values(), *(r.id for r in read)])))


@contextmanager
def capture_paused(connection: Connection) -> Iterator[None]:
    """Writes in this transaction leave no change rows: for bulk seeding of sellers no move has
    started for (their rows are all in any later copy). PostgreSQL: a transaction-local setting
    the trigger functions read; SQLite, which has no such setting: the triggers are dropped and
    created again before the transaction commits, so no other connection ever sees them gone."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT set_config('keranjang.capture', 'off', true)")
        yield
        connection.exec_driver_sql("SELECT set_config('keranjang.capture', 'on', true)")
        return
    triggers = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'legacy_capture_%'"
    ).all()
    for name, _ in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in triggers:
        connection.exec_driver_sql(sql)

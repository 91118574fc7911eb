"""the legacy shop's change log and its triggers, the migration's fences, sellers' consents

Every insert, update and delete of a seller's rows in the legacy shop lands in `legacy_changes`,
written by a trigger on the table. Triggers, and not the application writing the log itself or
reading a replication stream, because:

- a trigger writes in the same transaction as the change it records: the log never holds a
  change that rolled back, and never misses one that committed;
- no code path can forget it: the shop's use cases, the pages, the seed generator, the
  traffic driver and an operator's hand-written UPDATE are all captured;
- it works on SQLite and PostgreSQL alike (logical decoding is PostgreSQL's alone and needs
  server settings; SQLite has no replication stream at all).

Each trigger is one INSERT (the seller found through the row's order, or its ledger entry's
order, where the row has no seller id). On PostgreSQL one plpgsql function per table also records
the writing transaction's id (`tx`) so the log can be read in commit order (see
`keranjang.social.legacy_shop.changes`); a transaction may switch its own capture off
(`set_config('keranjang.capture', 'off', true)`) for bulk seeding.

`legacy_fences` holds back a seller's legacy writes during its cutover; `legacy_move_consents`
records the seller's own confirmation of the move.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 10:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ORDER_SELLER = "(SELECT seller_id FROM legacy_orders WHERE id = {row}.order_id)"
# Each captured table: its key column and how a row's seller is found ({row} is NEW or OLD).
CAPTURED = {
    "legacy_sellers": ("id", "{row}.id"),
    "legacy_payout_accounts": ("seller_id", "{row}.seller_id"),
    "legacy_products": ("id", "{row}.seller_id"),
    "legacy_orders": ("id", "{row}.seller_id"),
    "legacy_order_lines": ("id", ORDER_SELLER),
    "legacy_stock_holds": ("id", ORDER_SELLER),
    "legacy_order_events": ("id", ORDER_SELLER),
    "legacy_payments": ("id", ORDER_SELLER),
    "legacy_refunds": ("id", ORDER_SELLER),
    "legacy_ledger_entries": ("id", ORDER_SELLER),
    "legacy_ledger_postings": (
        "id",
        "COALESCE({row}.seller_id, (SELECT o.seller_id FROM legacy_ledger_entries AS e "
        "JOIN legacy_orders AS o ON o.id = e.order_id WHERE e.id = {row}.entry_id))",
    ),
}
OPS = {"insert": "NEW", "update": "NEW", "delete": "OLD"}


def _insert(table: str, op_name: str, now: str, tx: str) -> str:
    key, seller = CAPTURED[table]
    row = OPS[op_name]
    # Every name below is a constant of this revision: no outside text reaches the SQL.
    return (
        "INSERT INTO legacy_changes (seller_id, table_name, row_id, op, at, tx) "  # noqa: S608
        f"SELECT s, '{table}', {row}.{key}, '{op_name}', {now}, {tx} "
        f"FROM (SELECT {seller.format(row=row)} AS s) AS found WHERE s IS NOT NULL"
    )


def _sqlite_triggers() -> None:
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    for table in CAPTURED:
        for op_name in OPS:
            op.execute(
                f"CREATE TRIGGER legacy_capture_{table}_{op_name} "
                f"AFTER {op_name.upper()} ON {table} FOR EACH ROW "
                f"BEGIN {_insert(table, op_name, now, 'NULL')}; END"
            )


def _postgresql_triggers() -> None:
    tx = "pg_current_xact_id()::text::bigint"
    for table in CAPTURED:
        op.execute(
            f"CREATE FUNCTION legacy_capture_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF current_setting('keranjang.capture', true) = 'off' THEN RETURN NULL; END IF;\n"
            "  IF TG_OP = 'DELETE' THEN\n"
            f"    {_insert(table, 'delete', 'now()', tx)};\n"
            "  ELSIF TG_OP = 'UPDATE' THEN\n"
            f"    {_insert(table, 'update', 'now()', tx)};\n"
            "  ELSE\n"
            f"    {_insert(table, 'insert', 'now()', tx)};\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        op.execute(
            f"CREATE TRIGGER legacy_capture AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION legacy_capture_{table}()"
        )


def upgrade() -> None:
    op.create_table(
        "legacy_changes",
        sa.Column("id", ID, nullable=False),
        sa.Column("seller_id", ID, nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", ID, nullable=False),
        sa.Column("op", sa.String(length=6), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_legacy_changes_seller_id_id", "legacy_changes", ["seller_id", "id"])
    op.create_index("ix_legacy_changes_seller_id_tx", "legacy_changes", ["seller_id", "tx"])
    op.create_table(
        "legacy_fences",
        sa.Column("seller_id", ID, autoincrement=False, nullable=False),
        sa.Column("fenced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("seller_id"),
    )
    op.create_table(
        "legacy_move_consents",
        sa.Column("seller_id", ID, autoincrement=False, nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["seller_id"], ["legacy_sellers.id"]),
        sa.PrimaryKeyConstraint("seller_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in CAPTURED:
        if postgresql:
            op.execute(f"DROP TRIGGER legacy_capture ON {table}")
            op.execute(f"DROP FUNCTION legacy_capture_{table}()")
        else:
            for op_name in OPS:
                op.execute(f"DROP TRIGGER legacy_capture_{table}_{op_name}")
    op.drop_table("legacy_move_consents")
    op.drop_table("legacy_fences")
    op.drop_index("ix_legacy_changes_seller_id_tx", table_name="legacy_changes")
    op.drop_index("ix_legacy_changes_seller_id_id", table_name="legacy_changes")
    op.drop_table("legacy_changes")

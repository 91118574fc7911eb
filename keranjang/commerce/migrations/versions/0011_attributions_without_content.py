"""attributions without content or pin (creators' lines moved from the app)

A line the app sold carries only its creator: no content, no pin. So that a moved open order
still pays its creator's commission when it completes in commerce, its line gets an attribution
of its own, with `content_id` and `pin_id` left empty.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COLUMNS = ("content_id", "pin_id")


def _sqlite_nullable(nullable: bool) -> None:
    """SQLite cannot drop a NOT NULL with ALTER TABLE, and Alembic's batch mode copies the
    table, which fails once order and cart lines refer to attributions (see revision 0009). So
    this follows SQLite's own procedure (lang_altertable.html, "Making Other Kinds Of Table
    Schema Changes"): edit the stored CREATE TABLE text and bump the schema version, in the same
    transaction."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'attributions'"
    ).scalar_one()
    for column in COLUMNS:
        strict, loose = f"{column} INTEGER NOT NULL,", f"{column} INTEGER,"
        before, after = (strict, loose) if nullable else (loose, strict)
        if before not in sql:
            raise RuntimeError(f"attributions is not as revision 0001 made it: {sql}")
        sql = sql.replace(before, after)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'attributions'",
        (sql,),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _nullable(nullable: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_nullable(nullable)
        return
    for column in COLUMNS:
        op.alter_column("attributions", column, existing_type=ID, nullable=nullable)


def upgrade() -> None:
    _nullable(True)


def downgrade() -> None:
    """A database holding attributions without content cannot go back: refused rather than
    losing the commissions they carry."""
    loose = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT count(*) FROM attributions WHERE content_id IS NULL OR pin_id IS NULL"
        )
        .scalar_one()
    )
    if loose:
        raise RuntimeError(f"{loose} attributions have no content or pin: cannot go below 0011")
    _nullable(False)

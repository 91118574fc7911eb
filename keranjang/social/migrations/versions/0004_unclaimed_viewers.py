"""viewers without a password (buyers of a merchant rolled back from commerce)

A buyer who bought from a moved merchant in commerce only, with no account in the app, comes
back with the merchant's rollback as a viewer of its own, unclaimed: an email and a name, no
password (log-in treats it as a wrong password until one is set).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOT_NULL = "password_hash VARCHAR(200) NOT NULL"
NULLABLE = "password_hash VARCHAR(200)"


def _sqlite_password_nullable(before: str, after: str) -> None:
    """SQLite cannot drop a NOT NULL with ALTER TABLE, and Alembic's batch mode copies the
    table, which fails once tokens, carts or orders refer to a viewer (commerce's revision 0009
    met the same with buyers). So this follows SQLite's own procedure (lang_altertable.html,
    "Making Other Kinds Of Table Schema Changes"): edit the stored CREATE TABLE text and bump
    the schema version, in the same transaction."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'viewers'"
    ).scalar_one()
    if before not in sql:
        raise RuntimeError(f"viewers is not as revision 0002 made it: {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'viewers'",
        (sql.replace(before, after),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _password(nullable: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        before, after = (NOT_NULL, NULLABLE) if nullable else (NULLABLE, NOT_NULL)
        _sqlite_password_nullable(before, after)
    else:
        op.alter_column(
            "viewers", "password_hash", existing_type=sa.String(length=200), nullable=nullable
        )


def upgrade() -> None:
    _password(True)


def downgrade() -> None:
    """Unclaimed viewers keep their orders, so a database holding any is refused rather than
    losing data."""
    unclaimed = (
        op.get_bind()
        .exec_driver_sql("SELECT count(*) FROM viewers WHERE password_hash IS NULL")
        .scalar_one()
    )
    if unclaimed:
        raise RuntimeError(f"{unclaimed} viewers have no password: cannot go below 0004")
    _password(False)

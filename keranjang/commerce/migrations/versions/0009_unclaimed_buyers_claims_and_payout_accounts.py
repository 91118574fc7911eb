"""unclaimed buyers, claim links and payout accounts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOT_NULL = "password_hash VARCHAR(200) NOT NULL"
NULLABLE = "password_hash VARCHAR(200)"


def _sqlite_password_nullable(before: str, after: str) -> None:
    """SQLite cannot drop a NOT NULL with ALTER TABLE. Alembic's batch mode copies the table,
    drops it and renames the copy, but dropping `buyers` with foreign keys on fails as soon as
    a session, cart or order refers to a buyer (and the pragma that turns them off is a no-op
    inside the migration's transaction). So this follows SQLite's own procedure for removing a
    NOT NULL constraint (lang_altertable.html, "Making Other Kinds Of Table Schema Changes"):
    edit the stored CREATE TABLE text and bump the schema version, in the same transaction."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'buyers'"
    ).scalar_one()
    if before not in sql:
        raise RuntimeError(f"buyers is not as revision 0002 made it: {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'buyers'",
        (sql.replace(before, after),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_password_nullable(NOT_NULL, NULLABLE)
    else:
        op.alter_column(
            "buyers", "password_hash", existing_type=sa.String(length=200), nullable=True
        )
    # ADD COLUMN of a nullable column is plain ALTER TABLE on both databases (no table copy).
    op.add_column("buyers", sa.Column("phone", sa.String(length=16), nullable=True))
    op.add_column("buyers", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "buyer_claims",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("buyer_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["buyer_id"], ["buyers.id"]),
        sa.PrimaryKeyConstraint("token_digest"),
    )
    op.create_index("ix_buyer_claims_buyer_id", "buyer_claims", ["buyer_id"], unique=False)
    op.create_table(
        "payout_accounts",
        sa.Column("merchant_id", ID, nullable=False),
        sa.Column("bank_code", sa.String(length=10), nullable=False),
        sa.Column("account_number", sa.String(length=20), nullable=False),
        sa.Column("holder_name", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("merchant_id"),
    )


def downgrade() -> None:
    """Downgrade schema. Unclaimed accounts cannot be kept without a password and their orders
    keep them, so a database holding any is refused rather than losing data."""
    bind = op.get_bind()
    unclaimed = bind.exec_driver_sql(
        "SELECT count(*) FROM buyers WHERE password_hash IS NULL"
    ).scalar_one()
    if unclaimed:
        raise RuntimeError(f"{unclaimed} unclaimed buyer accounts exist: cannot go below 0009")
    op.drop_table("payout_accounts")
    op.drop_index("ix_buyer_claims_buyer_id", table_name="buyer_claims")
    op.drop_table("buyer_claims")
    # DROP COLUMN in place (SQLite 3.35+ and PostgreSQL): no copy of a table others refer to.
    op.execute("ALTER TABLE buyers DROP COLUMN claimed_at")
    op.execute("ALTER TABLE buyers DROP COLUMN phone")
    if bind.dialect.name == "sqlite":
        _sqlite_password_nullable(NULLABLE, NOT_NULL)
    else:
        op.alter_column(
            "buyers", "password_hash", existing_type=sa.String(length=200), nullable=False
        )

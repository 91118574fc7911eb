"""payouts: the simulator sends money out as Midtrans Iris does, with its callbacks' outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payouts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("reference_no", sa.String(40), nullable=False, unique=True),
        sa.Column("idempotency_key", sa.String(100), nullable=False, unique=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("bank", sa.String(20), nullable=False),
        sa.Column("account", sa.String(30), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("notes", sa.String(200), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, index=True),
        sa.Column("error_code", sa.String(10), nullable=True),
        sa.Column("error_message", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "payout_callbacks",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("reference_no", sa.String(40), nullable=False, index=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, index=True),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("forged", sa.Boolean(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("payout_callbacks")
    op.drop_table("payouts")

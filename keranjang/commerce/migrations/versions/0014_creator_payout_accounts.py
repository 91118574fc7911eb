"""creator payout accounts: where a creator's commission is sent, and every change of it

One bank account per creator (social's creator id; social stores no bank data), and each set or
replacement recorded, as for merchants (a replaced account holds payouts for a cooling-off period).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "creator_payout_accounts",
        sa.Column("creator_id", ID, primary_key=True, autoincrement=False),
        sa.Column("bank_code", sa.String(10), nullable=False),
        sa.Column("account_number", sa.String(20), nullable=False),
        sa.Column("holder_name", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "creator_payout_account_changes",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("creator_id", ID, nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_bank_code", sa.String(10), nullable=False),
        sa.Column("old_account_number", sa.String(20), nullable=False),
        sa.Column("new_bank_code", sa.String(10), nullable=False),
        sa.Column("new_account_number", sa.String(20), nullable=False),
        sa.Column("new_holder_name", sa.String(120), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("creator_payout_account_changes")
    op.drop_table("creator_payout_accounts")

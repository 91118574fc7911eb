"""disbursements: each payout sent to the payee's bank through a disbursement partner

One row per payout sent: our idempotency key (`payout-<id>`), the bank account it went to (as
it was when the payout was made), the partner's id for it once known, its status (`new`, `sent`,
`completed`, `failed`) and why it failed. And every change of a merchant's payout account,
recorded (a replaced account holds payouts for a cooling-off period). And the transfers that
return a bank-transfer (virtual account) payment to the buyer's own bank account: one per refund,
waiting for the buyer's account, then sent (each attempt under its own key).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "disbursements",
        sa.Column("payout_id", ID, sa.ForeignKey("payouts.id"), primary_key=True),
        sa.Column("key", sa.String(40), nullable=False, unique=True),
        sa.Column("partner", sa.String(30), nullable=False),
        sa.Column("partner_id", sa.String(80), nullable=True, index=True),
        sa.Column("status", sa.String(12), nullable=False, index=True),
        sa.Column("bank_code", sa.String(10), nullable=False),
        sa.Column("account_number", sa.String(20), nullable=False),
        sa.Column("holder_name", sa.String(120), nullable=False),
        sa.Column("failure", sa.String(300), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.create_table(
        "payout_account_changes",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("merchant_id", ID, sa.ForeignKey("merchants.id"), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_bank_code", sa.String(10), nullable=False),
        sa.Column("old_account_number", sa.String(20), nullable=False),
        sa.Column("new_bank_code", sa.String(10), nullable=False),
        sa.Column("new_account_number", sa.String(20), nullable=False),
        sa.Column("new_holder_name", sa.String(120), nullable=False),
    )

    op.create_table(
        "refund_transfers",
        sa.Column("refund_id", ID, sa.ForeignKey("refunds.id"), primary_key=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(30), nullable=False),
        sa.Column("partner_id", sa.String(80), nullable=True, index=True),
        sa.Column("status", sa.String(12), nullable=False, index=True),
        sa.Column("bank_code", sa.String(10), nullable=False, server_default=""),
        sa.Column("account_number", sa.String(20), nullable=False, server_default=""),
        sa.Column("holder_name", sa.String(120), nullable=False, server_default=""),
        sa.Column("failure", sa.String(300), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refund_transfers")
    op.drop_table("payout_account_changes")
    op.drop_table("disbursements")

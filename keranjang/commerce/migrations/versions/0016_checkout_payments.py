"""checkout payments: one partner payment for the orders of a checkout across shops

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0016"
down_revision: Union[str, Sequence[str], None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "checkout_payments",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("buyer_id", ID, sa.ForeignKey("buyers.id"), nullable=False),
        sa.Column("total_idr", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_checkout_payments_buyer_id", "checkout_payments", ["buyer_id"])
    op.create_table(
        "checkout_payment_orders",
        sa.Column("order_id", ID, sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("checkout_payment_id", ID, sa.ForeignKey("checkout_payments.id"), nullable=False),
    )
    op.create_index(
        "ix_checkout_payment_orders_checkout_payment_id",
        "checkout_payment_orders",
        ["checkout_payment_id"],
    )


def downgrade() -> None:
    op.drop_table("checkout_payment_orders")
    op.drop_table("checkout_payments")

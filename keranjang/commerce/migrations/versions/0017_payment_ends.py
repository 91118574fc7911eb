"""payment ends: an order that ends unpaid asks for its open payment to be ended at the partner
(an outbox drained after commit), and a late payment's refund remembers how it was paid

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0017"
down_revision: Union[str, Sequence[str], None] = "0016"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payment_ends",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("order_id", ID, sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("ending", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("order_id"),
    )
    op.create_index("ix_payment_ends_status_next_at", "payment_ends", ["status", "next_at"])
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("paid_with", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("paid_with")
    op.drop_table("payment_ends")

"""how many units of a legacy order line have been refunded

A moved merchant's order can be refunded in part in commerce (some units, the shipping); the
rollback brings it back with its lines, and each line keeps how many of its units were
refunded, so the app's completion divides, and its refund returns, only what is left.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# A plain ADD COLUMN, not a batch (SQLite's batch copies the table and would drop the change
# log's triggers on it).
def upgrade() -> None:
    op.add_column(
        "legacy_order_lines",
        sa.Column("refunded_quantity", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("legacy_order_lines", "refunded_quantity")

"""what a refund made in commerce before a rollback took: its units and its shipping

The way back writes commerce's partial refunds as the app's refunds (`commerce`); they keep the
units (legacy product id -> quantity, JSON) and the shipping they took, so that moving the
merchant again gives commerce back the same refunds, not whole-order ones. The app's own
refunds (whole orders, second payments) leave both empty.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Plain ADD COLUMNs, not a batch (SQLite's batch copies the table and would drop the change
# log's triggers on it).
def upgrade() -> None:
    op.add_column("legacy_refunds", sa.Column("lines", sa.Text(), nullable=True))
    op.add_column("legacy_refunds", sa.Column("shipping_idr", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("legacy_refunds", "shipping_idr")
    op.drop_column("legacy_refunds", "lines")

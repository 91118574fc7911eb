"""abandoned cutovers counted on each move

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 01:50:00.000000

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("abandons", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("left_behind", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("predicted_pause_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("abandoned_budget_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.drop_column("left_at")
        batch_op.drop_column("abandoned_budget_ms")
        batch_op.drop_column("predicted_pause_ms")
        batch_op.drop_column("left_behind")
        batch_op.drop_column("abandons")

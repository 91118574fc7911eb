"""merchants that are not selling in commerce now (a move from the app under way)

A flag on each merchant, true unless the migration has set it: from the bind of a merchant
moving out of the old in-app shop until its cutover, and from the start of its rollback on. A
merchant not selling shows no product in the public catalog and takes no cart line and no
checkout. Added with a server default, so shops already there keep selling and no table is
copied.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column(
        "merchants",
        sa.Column("selling", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("merchants", "selling")

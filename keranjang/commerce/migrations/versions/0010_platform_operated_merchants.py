"""merchants the platform itself operates (Pasal 21(2))

A flag on each merchant, false unless the platform runs the shop itself; the regulator's
evidence reports merchants with it set and their listings. Added with a server default, so rows
already there are false and no table is copied.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column(
        "merchants",
        sa.Column("platform_operated", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("merchants", "platform_operated")

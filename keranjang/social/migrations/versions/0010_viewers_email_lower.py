"""viewers found by their email whatever its case, through an index

The migration's way back looks buyers up by the email they bought with, case-insensitively
(`lower(email)`): without an index on that expression every lookup read all viewers, 104 ms
for 900 emails at 250,000 viewers (bench/README.md), and proving a giant merchant's way back
looked up tens of thousands.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_viewers_email_lower", "viewers", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_viewers_email_lower", table_name="viewers")

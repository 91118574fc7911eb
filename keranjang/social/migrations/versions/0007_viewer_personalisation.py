"""the viewers' personalisation setting and the watch signals it may use

A viewer's choice whether what they watched may order their feed (no row: on, the default), and
the creators whose content a signed-in viewer opened while it was on (deleted when they turn it
off). The viewers' tables, beside their accounts; promotion's tables still name no viewer.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "viewer_settings",
        sa.Column("viewer_id", ID, nullable=False),
        sa.Column("personalised", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["viewer_id"], ["viewers.id"]),
        sa.PrimaryKeyConstraint("viewer_id"),
    )
    op.create_table(
        "viewer_watches",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("viewer_id", ID, nullable=False),
        sa.Column("creator_id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["viewer_id"], ["viewers.id"]),
        sa.ForeignKeyConstraint(["creator_id"], ["creators.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("viewer_watches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_viewer_watches_viewer_id"), ["viewer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("viewer_watches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_viewer_watches_viewer_id"))
    op.drop_table("viewer_watches")
    op.drop_table("viewer_settings")

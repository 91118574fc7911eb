"""creators sign in to their own pages: a password and page sessions

A creator's password (argon2id; no row until the creator sets one), in a table of its own
beside promotion's, and their page sessions, kept as token digests like the viewers' sessions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "creator_credentials",
        sa.Column("creator_id", ID, nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["creator_id"], ["creators.id"]),
        sa.PrimaryKeyConstraint("creator_id"),
    )
    op.create_table(
        "creator_sessions",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("creator_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["creator_id"], ["creators.id"]),
        sa.PrimaryKeyConstraint("token_digest"),
    )
    with op.batch_alter_table("creator_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_creator_sessions_creator_id"), ["creator_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("creator_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_creator_sessions_creator_id"))
    op.drop_table("creator_sessions")
    op.drop_table("creator_credentials")

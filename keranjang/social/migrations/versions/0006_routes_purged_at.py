"""when each moved seller's shop data was purged from the app

The migration's purge stamps the seller's routing row; once every seller is gone from the
in-app shop, the latest stamp is when the shop closed, and the regulator's evidence reports it
(Pasal 21(3): a payment the social app takes part in after that moment is a violation, one
before it was the move's tail).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("merchant_routes") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("merchant_routes") as batch:
        batch.drop_column("purged_at")

"""the id map keyed by the legacy row it maps

Every row the copy writes into commerce writes one row of the id map: it was the journal's
largest write (45 s of the server's time in a 100,000-merchant run), each row drawing a
surrogate id from a sequence and going into three indexes (that id, the unique (kind, legacy
id), and (seller, kind)). Nothing reads the surrogate id: (kind, legacy id) is the key every
read and every correction uses, and is now the primary key; two indexes a row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 00:45:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("id_map", schema=None) as batch_op:
        batch_op.drop_constraint("uq_id_map_legacy", type_="unique")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_id_map", ["kind", "legacy_id"])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("id_map", schema=None) as batch_op:
        batch_op.drop_constraint("pk_id_map", type_="primary")
        batch_op.create_unique_constraint("uq_id_map_legacy", ["kind", "legacy_id"])
        batch_op.add_column(
            sa.Column(
                "id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                sa.Identity(),
                nullable=False,
            )
        )
        batch_op.create_primary_key("pk_id_map_id", ["id"])

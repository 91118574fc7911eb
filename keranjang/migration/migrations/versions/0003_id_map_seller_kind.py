"""the id map read per seller and kind

The copy reads a batch's whole map of a kind at once (its sellers' orders, say) instead of
looking each parent up by id; the index on the seller alone made that read every kind of a
giant's rows to keep one. It is now on (seller, kind); purging by seller still uses it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 14:15:00.000000

"""

from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_id_map_seller_kind", "id_map", ["seller_id", "kind"])
    op.drop_index("ix_id_map_seller", table_name="id_map")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_id_map_seller", "id_map", ["seller_id"])
    op.drop_index("ix_id_map_seller_kind", table_name="id_map")

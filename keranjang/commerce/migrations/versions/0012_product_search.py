"""product search: a generated search document on products, and indexes to browse by

Search reads each product's title and description through a column the database keeps itself:
on PostgreSQL a full-text vector in the 'simple' configuration (stock PostgreSQL has no
Indonesian stemmer), the title weighted above the description, with a GIN index; on SQLite the lower-cased text, which search matches with
LIKE. Category pages and sorting by price or newest get b-tree indexes. Generated columns are
added in place (STORED on PostgreSQL, VIRTUAL on SQLite), so no table is copied.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR


revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TEXT = "coalesce(title, '') || ' ' || coalesce(description, '')"
VECTOR = (  # the title weighs more than the description when results are ranked
    "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(description, '')), 'B')"
)
SORTING = {
    "ix_products_category": "category",
    "ix_products_price_idr": "price_idr",
    "ix_products_created_at": "created_at",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        column = sa.Column("search_document", TSVECTOR(), sa.Computed(VECTOR, persisted=True))
        op.add_column("products", column)
        op.create_index(
            "ix_products_search_document", "products", ["search_document"], postgresql_using="gin"
        )
    else:
        column = sa.Column("search_document", sa.Text(), sa.Computed(f"lower({TEXT})"))
        op.add_column("products", column)
        op.create_index("ix_products_search_document", "products", ["search_document"])
    for name, indexed in SORTING.items():
        op.create_index(name, "products", [indexed])


def downgrade() -> None:
    for name in SORTING:
        op.drop_index(name, table_name="products")
    op.drop_index("ix_products_search_document", table_name="products")
    op.drop_column("products", "search_document")

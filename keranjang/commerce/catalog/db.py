"""The catalog's tables (merchants, their applications, products) and the queries on them that
are not search (`catalog.search` browses and searches)."""

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    false,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.sql.expression import ColumnElement

from keranjang.commerce.catalog.domain import Merchant, MerchantKind, NewProduct, Product
from keranjang.commerce.tables import Base
from keranjang.infra.types import Id, UtcDateTime

# A product's seller-editable fields, in `NewProduct`'s order.
LISTING_FIELDS = tuple(f.name for f in fields(NewProduct))


class MerchantRow(Base):
    __tablename__ = "merchants"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The platform runs this shop itself (Pasal 21(2) forbids it to sell as a producer).
    platform_operated: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Set by the migration alone: false from a moving shop's bind to its cutover, and from the
    # start of its rollback on. A shop not selling shows no product and takes no order.
    selling: Mapped[bool] = mapped_column(Boolean, server_default=true())

    def to_domain(self) -> Merchant:
        kind = MerchantKind(self.kind)
        return Merchant(self.id, self.slug, self.name, kind, self.city, self.selling)


class MerchantApplicationRow(Base):
    """A merchant's registration as submitted, kept whether complete or not."""

    __tablename__ = "merchant_applications"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    slug: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(80))
    submitted: Mapped[str] = mapped_column(Text)
    missing: Mapped[str] = mapped_column(Text)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SearchDocument(ColumnElement[Any]):
    """What search reads of a product (title and description), kept by the database itself as
    a generated column: a full-text vector on PostgreSQL ('simple' configuration: stock
    PostgreSQL has no Indonesian stemmer; the title weighs more than the description in the
    ranking), lower-cased text on SQLite (searched with LIKE).
    Revision 0012 writes the same expressions."""

    inherit_cache = True


@compiles(SearchDocument, "postgresql")
def _search_vector(element: SearchDocument, compiler: Any, **kw: Any) -> str:
    return (
        "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('simple', coalesce(description, '')), 'B')"
    )


@compiles(SearchDocument)
def _search_text(element: SearchDocument, compiler: Any, **kw: Any) -> str:
    return "lower(coalesce(title, '') || ' ' || coalesce(description, ''))"


class ProductRow(Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_category", "category"),
        Index("ix_products_price_idr", "price_idr"),
        Index("ix_products_created_at", "created_at"),
        # GIN on PostgreSQL; on SQLite a b-tree that keeps the lower-cased text computed
        # (LIKE '%…%' scans it instead of lower-casing every row again).
        Index("ix_products_search_document", "search_document", postgresql_using="gin"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_idr: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(60))
    image_url: Mapped[str | None] = mapped_column(String(500))
    hs_code: Mapped[str | None] = mapped_column(String(10))
    origin_country: Mapped[str] = mapped_column(String(2), server_default="ID")
    cross_border: Mapped[bool] = mapped_column(Boolean, server_default=false())
    fob_usd_cents: Mapped[int | None] = mapped_column(BigInteger)
    npb_number: Mapped[str | None] = mapped_column(String(64))
    sni_number: Mapped[str | None] = mapped_column(String(64))
    halal_number: Mapped[str | None] = mapped_column(String(64))
    commission_bp: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    search_document: Mapped[str | None] = mapped_column(
        TSVECTOR().with_variant(Text(), "sqlite"), Computed(SearchDocument()), deferred=True
    )
    merchant: Mapped[MerchantRow] = relationship(lazy="joined")

    def set_listing(self, listing: NewProduct) -> None:
        """Copy a checked listing onto the row (every seller-editable field)."""
        for name in LISTING_FIELDS:
            setattr(self, name, getattr(listing, name))

    def to_domain(self) -> Product:
        return Product(
            id=self.id,
            merchant=self.merchant.to_domain(),
            **{name: getattr(self, name) for name in LISTING_FIELDS},
        )


def merchant_by_token_hash(session: Session, token_hash: str) -> MerchantRow | None:
    return session.scalar(select(MerchantRow).where(MerchantRow.token_hash == token_hash))


def merchant_by_slug(session: Session, slug: str) -> MerchantRow | None:
    return session.scalar(select(MerchantRow).where(MerchantRow.slug == slug))


def products_page(
    session: Session, after: int, limit: int, merchant_id: int | None = None, *, on_sale: bool
) -> list[ProductRow]:
    """Products in id order after `after`; `on_sale`: only those of shops selling now."""
    query = select(ProductRow).where(ProductRow.id > after).order_by(ProductRow.id).limit(limit)
    if merchant_id is not None:
        query = query.where(ProductRow.merchant_id == merchant_id)
    if on_sale:
        query = query.join(MerchantRow).where(MerchantRow.selling)
    return list(session.scalars(query))


def merchants(session: Session) -> list[MerchantRow]:
    return list(session.scalars(select(MerchantRow).order_by(MerchantRow.name)))


_m, _p = MerchantRow, ProductRow
# Built once: the hot path reuses the compiled statements and runs them on the connection,
# skipping per-call statement construction and ORM execution.
_PRODUCT_VIEW = (
    select(
        _p.id,
        *(getattr(_p, name) for name in LISTING_FIELDS),
        _m.id,
        _m.slug,
        _m.name,
        _m.kind,
        _m.city,
        _m.selling,
    )
    .join(_m, _p.merchant_id == _m.id)
    .where(_p.id == bindparam("product_id"))
)


def product_view(connection: Connection, product_id: int) -> Product | None:
    """A product with its merchant in one query (the hand-off hot path)."""
    row = connection.execute(_PRODUCT_VIEW, {"product_id": product_id}).first()
    if row is None:
        return None
    *listing, m_id, m_slug, m_name, m_kind, m_city, m_selling = row[1:]
    merchant = Merchant(m_id, m_slug, m_name, MerchantKind(m_kind), m_city, m_selling)
    return Product(row[0], merchant, *listing)

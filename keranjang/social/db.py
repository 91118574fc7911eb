"""Promotion's tables and the queries its use cases need, with the routing table of legacy
sellers. None of these tables holds buyer data; the legacy in-app shop's tables, in the same
database, do (its own module)."""

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TypeVar, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Connection,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from keranjang.handoff import HandoffTarget
from keranjang.infra.types import Id, UtcDateTime
from keranjang.social import domain

MIGRATIONS = Path(__file__).parent / "migrations"
_TargetRow = tuple[int, int, int, int, int, str | None]
T = TypeVar("T")


class Base(DeclarativeBase):
    pass


class CreatorRow(Base):
    __tablename__ = "creators"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    ecommerce_permitted: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def to_domain(self) -> domain.Creator:
        return domain.Creator(self.id, self.handle, self.display_name, self.ecommerce_permitted)


class ContentRow(Base):
    __tablename__ = "content"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    campaign: Mapped[str | None] = mapped_column(String(64))
    live_status: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    creator: Mapped[CreatorRow] = relationship(lazy="joined")
    pins: Mapped[list["PinRow"]] = relationship(
        back_populates="content", order_by="PinRow.id", lazy="selectin"
    )


class CatalogCacheRow(Base):
    """Commerce's public catalog data, cached: title, price, image, stock status. Nothing more."""

    __tablename__ = "catalog_cache"
    product_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    merchant_id: Mapped[int] = mapped_column(Id)
    merchant_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    price_idr: Mapped[int] = mapped_column(BigInteger)
    image_url: Mapped[str] = mapped_column(String(500))
    in_stock: Mapped[bool] = mapped_column(Boolean)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def to_domain(self) -> domain.CatalogItem:
        return domain.CatalogItem(
            self.product_id,
            self.merchant_id,
            self.merchant_name,
            self.title,
            self.price_idr,
            self.image_url,
            self.in_stock,
        )

    def refresh(self, item: domain.CatalogItem, at: datetime) -> None:
        self.merchant_id = item.merchant_id
        self.merchant_name = item.merchant_name
        self.title = item.title
        self.price_idr = item.price_idr
        self.image_url = item.image_url
        self.in_stock = item.in_stock
        self.fetched_at = at


class LegacyCatalogCacheRow(Base):
    """The legacy in-app shop's public product data, cached as for commerce's: title, price,
    image, stock status, and the legacy seller (whose route decides the yellow cart)."""

    __tablename__ = "legacy_catalog_cache"
    legacy_product_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    seller_id: Mapped[int] = mapped_column(Id, index=True)
    seller_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    price_idr: Mapped[int] = mapped_column(BigInteger)
    image_url: Mapped[str] = mapped_column(String(500))
    in_stock: Mapped[bool] = mapped_column(Boolean)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def to_domain(self) -> domain.CatalogItem:
        return domain.CatalogItem(
            self.legacy_product_id,
            self.seller_id,
            self.seller_name,
            self.title,
            self.price_idr,
            self.image_url,
            self.in_stock,
        )

    def refresh(self, item: domain.CatalogItem, at: datetime) -> None:
        self.seller_id = item.merchant_id
        self.seller_name = item.merchant_name
        self.title = item.title
        self.price_idr = item.price_idr
        self.image_url = item.image_url
        self.in_stock = item.in_stock
        self.fetched_at = at


class MerchantRouteRow(Base):
    """The routing table: which way each legacy seller's yellow carts go. The legacy shop writes
    a seller's row (`legacy`) when it opens; the migration flips it to `commerce`, naming the
    commerce merchant, and the next click follows."""

    __tablename__ = "merchant_routes"
    legacy_seller_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    route: Mapped[str] = mapped_column(String(10))
    commerce_merchant_id: Mapped[int | None] = mapped_column(Id)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Stamped by the migration's purge: the seller's shop data is gone from the app.
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ProductMapRow(Base):
    """Where each legacy product lives in commerce once moved (written by the migration)."""

    __tablename__ = "legacy_product_map"
    legacy_product_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    commerce_product_id: Mapped[int] = mapped_column(Id)
    mapped_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PinRow(Base):
    """A pin names a commerce product (`product_id`) or a legacy one (`legacy_product_id`)."""

    __tablename__ = "pins"
    __table_args__ = (
        UniqueConstraint("content_id", "product_id", name="uq_pin_content_product"),
        UniqueConstraint("content_id", "legacy_product_id", name="uq_pin_content_legacy_product"),
        CheckConstraint(
            "(product_id IS NULL) <> (legacy_product_id IS NULL)", name="ck_pin_one_product"
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_cache.product_id"))
    legacy_product_id: Mapped[int | None] = mapped_column(
        ForeignKey("legacy_catalog_cache.legacy_product_id")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    content: Mapped[ContentRow] = relationship(back_populates="pins")
    product: Mapped[CatalogCacheRow | None] = relationship(lazy="joined")
    legacy_product: Mapped[LegacyCatalogCacheRow | None] = relationship(lazy="joined")

    def to_domain(self) -> domain.Pin:
        if self.legacy_product is not None:
            item = self.legacy_product.to_domain()
            return domain.Pin(self.id, self.content_id, item, domain.ProductSource.LEGACY)
        assert self.product is not None  # the check constraint: one of the two is set
        return domain.Pin(self.id, self.content_id, self.product.to_domain())


def refresh_cached(
    session: Session,
    items: list[domain.CatalogItem],
    at: datetime,
    model: type[CatalogCacheRow] | type[LegacyCatalogCacheRow] = CatalogCacheRow,
) -> int:
    """Update the cached rows among `items` (only pinned products are cached); count changes."""
    key = (
        CatalogCacheRow.product_id
        if model is CatalogCacheRow
        else LegacyCatalogCacheRow.legacy_product_id
    )
    rows: Iterable[CatalogCacheRow | LegacyCatalogCacheRow] = session.scalars(
        select(model).where(key.in_([i.product_id for i in items]))
    )
    by_id = {i.product_id: i for i in items}
    changed = 0
    for row in rows:
        item = by_id[row.to_domain().product_id]
        if row.to_domain() != item:
            row.refresh(item, at)
            changed += 1
    return changed


def content_to_domain(row: ContentRow) -> domain.Content:
    return domain.Content(
        id=row.id,
        creator=row.creator.to_domain(),
        kind=domain.ContentKind(row.kind),
        title=row.title,
        description=row.description,
        campaign=row.campaign,
        live_status=domain.LiveStatus(row.live_status) if row.live_status else None,
        created_at=row.created_at,
        pins=tuple(p.to_domain() for p in row.pins),
    )


def get_or_404(session: Session, model: type[T], key: int, what: str) -> T:
    row = session.get(model, key)
    if row is None:
        raise domain.NotFound(f"no {what} with id {key}", f"no_{what}", id=key)
    return row


def creator_by_token_hash(session: Session, token_hash: str) -> CreatorRow | None:
    return session.scalar(select(CreatorRow).where(CreatorRow.token_hash == token_hash))


def handle_taken(session: Session, handle: str) -> bool:
    return session.scalar(select(CreatorRow.id).where(CreatorRow.handle == handle)) is not None


def feed(session: Session, limit: int, kind: domain.ContentKind | None) -> list[ContentRow]:
    query = select(ContentRow).order_by(ContentRow.created_at.desc(), ContentRow.id.desc())
    if kind is not None:
        query = query.where(ContentRow.kind == kind.value)
    return list(session.scalars(query.limit(limit)).unique())


def legacy_pin_target(connection: Connection, pin_id: int) -> domain.LegacyPinTarget | None:
    """A legacy product's pin with its seller's route and the product's place in commerce (if
    mapped); None if the pin is not of a legacy product."""
    row = connection.execute(_LEGACY_PIN_TARGET, {"pin_id": pin_id}).first()
    if row is None:
        return None
    route = domain.Route(row.route) if row.route else domain.Route.LEGACY
    return domain.LegacyPinTarget(
        pin_id=row.id,
        content_id=row.content_id,
        creator_id=row.creator_id,
        campaign=row.campaign,
        legacy_product_id=row.legacy_product_id,
        route=route,
        commerce_merchant_id=row.commerce_merchant_id,
        commerce_product_id=row.commerce_product_id,
    )


def open_route(session: Session, legacy_seller_id: int, at: datetime) -> None:
    """A new legacy seller's route: its yellow carts open the in-app shop."""
    session.add(
        MerchantRouteRow(
            legacy_seller_id=legacy_seller_id, route=domain.Route.LEGACY.value, changed_at=at
        )
    )


def route_of(connection: Connection | Session, legacy_seller_id: int) -> domain.Route:
    """A legacy seller's route now (a seller with no row is still in the app)."""
    route = connection.execute(
        select(MerchantRouteRow.route).where(MerchantRouteRow.legacy_seller_id == legacy_seller_id)
    ).scalar()
    return domain.Route(route) if route else domain.Route.LEGACY


def pin_creator(connection: Connection | Session, pin_id: int) -> int | None:
    """The creator whose content holds a pin (for a legacy order line's commission)."""
    query = (
        select(ContentRow.creator_id)
        .join(PinRow, PinRow.content_id == ContentRow.id)
        .where(PinRow.id == pin_id)
    )
    return connection.execute(query).scalar()


def pin_count(session: Session, content_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(PinRow).where(PinRow.content_id == content_id)
        )
        or 0
    )


_PIN_TARGET = (
    select(
        PinRow.id,
        PinRow.content_id,
        PinRow.product_id,
        CatalogCacheRow.merchant_id,
        ContentRow.creator_id,
        ContentRow.campaign,
    )
    .join(ContentRow, PinRow.content_id == ContentRow.id)
    .join(CatalogCacheRow, PinRow.product_id == CatalogCacheRow.product_id)
    .where(PinRow.id == bindparam("pin_id"))
)


_LEGACY_PIN_TARGET = (
    select(
        PinRow.id,
        PinRow.content_id,
        PinRow.legacy_product_id,
        ContentRow.creator_id,
        ContentRow.campaign,
        MerchantRouteRow.route,
        MerchantRouteRow.commerce_merchant_id,
        ProductMapRow.commerce_product_id,
    )
    .join(ContentRow, PinRow.content_id == ContentRow.id)
    .join(
        LegacyCatalogCacheRow,
        PinRow.legacy_product_id == LegacyCatalogCacheRow.legacy_product_id,
    )
    .outerjoin(
        MerchantRouteRow, MerchantRouteRow.legacy_seller_id == LegacyCatalogCacheRow.seller_id
    )
    .outerjoin(ProductMapRow, ProductMapRow.legacy_product_id == PinRow.legacy_product_id)
    .where(PinRow.id == bindparam("pin_id"))
)


def pin_target(connection: Connection, pin_id: int) -> HandoffTarget | None:
    """What a pin's yellow cart points at, in one narrow prebuilt query: the hot path builds no
    ORM objects."""
    row = connection.execute(_PIN_TARGET, {"pin_id": pin_id}).first()
    # The inner join on the catalog cache makes `product_id` set on every row found.
    return None if row is None else HandoffTarget(*cast(_TargetRow, row))

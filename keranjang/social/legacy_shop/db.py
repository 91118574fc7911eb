"""The legacy in-app shop's tables, in social's database (all named `legacy_*`), and the order
transition every use case goes through.

Buyer data lives here and only here (with the viewer's own profile): phones, addresses, carts,
checkouts, orders and their payments. The migration reads these tables and, once a seller has
moved, purges that seller's rows."""

import json
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from keranjang.infra.types import Id, UtcDateTime
from keranjang.social.db import Base
from keranjang.social.legacy_shop import domain, listings
from keranjang.social.legacy_shop.domain import OrderStatus


class SellerRow(Base):
    """A shop inside the app, with the registration facts commerce keeps for a merchant."""

    __tablename__ = "legacy_sellers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(80))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    owner_name: Mapped[str | None] = mapped_column(String(120))
    identity_document: Mapped[str | None] = mapped_column(String(60))
    business_legality_document: Mapped[str | None] = mapped_column(String(500))
    legalisation_reference: Mapped[str | None] = mapped_column(String(120))
    sni_certificate: Mapped[str | None] = mapped_column(String(120))
    halal_certificate: Mapped[str | None] = mapped_column(String(120))
    description_id: Mapped[str | None] = mapped_column(Text)
    origin_country: Mapped[str | None] = mapped_column(String(2))
    origin_city: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def registration(self) -> listings.Registration:
        facts = {k: getattr(self, k) for k in listings.FOREIGN_REQUIREMENTS}
        return listings.Registration(
            self.slug, self.name, domain.SellerKind(self.kind), self.city, **facts
        )


class PayoutAccountRow(Base):
    __tablename__ = "legacy_payout_accounts"
    seller_id: Mapped[int] = mapped_column(ForeignKey("legacy_sellers.id"), primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(10))
    account_number: Mapped[str] = mapped_column(String(20))
    holder_name: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProductRow(Base):
    """A listing with every field commerce's listings have (cross-border ones included)."""

    __tablename__ = "legacy_products"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("legacy_sellers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    price_idr: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(60))
    image_url: Mapped[str | None] = mapped_column(String(500))
    hs_code: Mapped[str | None] = mapped_column(String(10))
    origin_country: Mapped[str] = mapped_column(String(2))
    cross_border: Mapped[bool] = mapped_column(Boolean)
    fob_usd_cents: Mapped[int | None] = mapped_column(BigInteger)
    npb_number: Mapped[str | None] = mapped_column(String(64))
    sni_number: Mapped[str | None] = mapped_column(String(64))
    halal_number: Mapped[str | None] = mapped_column(String(64))
    commission_bp: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def listing(self) -> listings.Listing:
        return listings.Listing(**{f: getattr(self, f) for f in LISTING_FIELDS})


LISTING_FIELDS = tuple(listings.Listing.__dataclass_fields__)


class BuyerProfileRow(Base):
    """What the shop adds to a viewer's profile to deliver: the phone."""

    __tablename__ = "legacy_buyer_profiles"
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AddressRow(Base):
    __tablename__ = "legacy_addresses"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(16))
    street: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(80))
    postal_code: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def address(self) -> domain.Address:
        return domain.Address(self.recipient, self.phone, self.street, self.city, self.postal_code)


class CartLineRow(Base):
    __tablename__ = "legacy_cart_lines"
    __table_args__ = (UniqueConstraint("viewer_id", "product_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("legacy_products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    # The creator whose yellow cart brought the product here (for the commission), if any.
    creator_id: Mapped[int | None] = mapped_column(Id)


class CheckoutRow(Base):
    """One checkout per (viewer, Idempotency-Key): the request's fingerprint and the answer."""

    __tablename__ = "legacy_checkouts"
    __table_args__ = (UniqueConstraint("viewer_id", "idempotency_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderRow(Base):
    __tablename__ = "legacy_orders"
    __table_args__ = (Index("ix_legacy_orders_status_hold", "status", "hold_expires_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("legacy_sellers.id"), index=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("legacy_checkouts.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    subtotal_idr: Mapped[int] = mapped_column(BigInteger)
    shipping_idr: Mapped[int] = mapped_column(BigInteger)
    total_idr: Mapped[int] = mapped_column(BigInteger)
    platform_fee_bp: Mapped[int] = mapped_column(Integer)
    shipping_address: Mapped[str] = mapped_column(Text)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    # The payment attempt (its partner order id) that paid the order.
    paid_by: Mapped[str | None] = mapped_column(String(50))
    hold_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderLineRow(Base):
    __tablename__ = "legacy_order_lines"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("legacy_orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("legacy_products.id"))
    title: Mapped[str] = mapped_column(String(200))
    unit_price_idr: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    commission_bp: Mapped[int] = mapped_column(Integer)
    creator_id: Mapped[int | None] = mapped_column(Id)
    # Units refunded (in commerce, before a rollback brought the order back).
    refunded_quantity: Mapped[int] = mapped_column(Integer, server_default="0", default=0)


class StockHoldRow(Base):
    """Units taken off the shelf for an unpaid order; put back once, if payment never comes."""

    __tablename__ = "legacy_stock_holds"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("legacy_orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("legacy_products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OrderEventRow(Base):
    """Every transition: from, to, who, why, when."""

    __tablename__ = "legacy_order_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("legacy_orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentRow(Base):
    """A payment attempt social asked the partner for (the partner knows it by
    `partner_order_id`: the order number, then `<number>-<attempt>`)."""

    __tablename__ = "legacy_payments"
    __table_args__ = (UniqueConstraint("order_id", "attempt"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("legacy_orders.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    partner_order_id: Mapped[str] = mapped_column(String(50), unique=True)
    partner: Mapped[str] = mapped_column(String(30))
    partner_transaction_id: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(30))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(30))
    instructions: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentNewsRow(Base):
    """Every verified partner notification, once: the unique key makes handling idempotent."""

    __tablename__ = "legacy_payment_news"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    partner_order_id: Mapped[str] = mapped_column(String(50), index=True)
    status: Mapped[str] = mapped_column(String(30))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RefundRow(Base):
    """Money to return through the partner: a paid order cancelled or refunded (`order`), or a
    payment of an order that had already ended (`stray`). Asked again until the partner answers."""

    __tablename__ = "legacy_refunds"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("legacy_orders.id"), index=True)
    refund_key: Mapped[str] = mapped_column(String(64), unique=True)
    partner_order_id: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A refund made in commerce before a rollback (`books.PARTLY`): the units it took (legacy
    # product id -> quantity, JSON) and its shipping, so a later move gives commerce the same.
    lines: Mapped[str | None] = mapped_column(Text)
    shipping_idr: Mapped[int | None] = mapped_column(BigInteger)


class LedgerEntryRow(Base):
    """A balanced entry of the escrow journal (`ledger`), posted once under its name."""

    __tablename__ = "legacy_ledger_entries"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("legacy_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerPostingRow(Base):
    __tablename__ = "legacy_ledger_postings"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("legacy_ledger_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(30))
    seller_id: Mapped[int | None] = mapped_column(Id, index=True)
    creator_id: Mapped[int | None] = mapped_column(Id)
    amount_idr: Mapped[int] = mapped_column(BigInteger)


def move_order(s: Session, order: OrderRow, move: domain.Move) -> None:
    """The one way an order changes state: checked against the state machine, applied only if
    nobody moved it meanwhile (else `OrderChanged`, and the caller's transaction rolls back),
    recorded as an event; stock goes back on the shelf if it ends unshipped."""
    current = OrderStatus(order.status)
    domain.check_transition(current, move.target)
    moved = s.execute(
        update(OrderRow)
        .where(OrderRow.id == order.id, OrderRow.status == current.value)
        .values(status=move.target.value, updated_at=move.at)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise domain.OrderChanged(
            f"order {order.number} was changed meanwhile; look again", number=order.number
        )
    set_committed_value(order, "status", move.target.value)
    set_committed_value(order, "updated_at", move.at)
    s.add(
        OrderEventRow(
            order_id=order.id,
            from_status=current.value,
            to_status=move.target.value,
            actor=move.actor[:60],
            reason=move.reason[:500],
            at=move.at,
        )
    )
    if move.target in domain.RESTOCKING:
        restock(s, order.id, move.at)


def restock(s: Session, order_id: int, now: datetime) -> None:
    holds = s.scalars(
        select(StockHoldRow).where(
            StockHoldRow.order_id == order_id, StockHoldRow.released_at.is_(None)
        )
    )
    for hold in holds:
        s.execute(
            update(ProductRow)
            .where(ProductRow.id == hold.product_id)
            .values(stock=ProductRow.stock + hold.quantity)
            .execution_options(synchronize_session=False)
        )
        hold.released_at = now


def order_for_update(s: Session, order_id: int) -> OrderRow | None:
    return s.scalar(select(OrderRow).where(OrderRow.id == order_id).with_for_update())


def address_of(order: OrderRow) -> domain.Address:
    return domain.Address(**json.loads(order.shipping_address))

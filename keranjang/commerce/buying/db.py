"""Buying's tables: buyer accounts (claimed or not), their sessions and one-time claim links,
carts, checkout idempotency keys and saved addresses."""

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from keranjang.commerce.tables import Base
from keranjang.infra.types import Id, UtcDateTime


class BuyerRow(Base):
    """A buyer's account. One made for a buyer who bought before (a merchant moved here from the
    old in-app shop) has no password until its owner claims it: it cannot log in meanwhile."""

    __tablename__ = "buyers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # None: an unclaimed account (no password yet; nobody can log in to it).
    password_hash: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When its owner set the password through a claim link (None: signed up, or unclaimed).
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BuyerClaimRow(Base):
    """A one-time link to claim an unclaimed account; only the token's digest is kept."""

    __tablename__ = "buyer_claims"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BuyerSessionRow(Base):
    __tablename__ = "buyer_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CartLineRow(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("buyer_id", "product_id", name="uq_cart_buyer_product"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    # The hand-off that brought this product into the cart, if any (its attribution row).
    attribution_id: Mapped[int | None] = mapped_column(ForeignKey("attributions.id"))


class IdempotencyKeyRow(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("buyer_id", "key", name="uq_idempotency_buyer_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class AddressRow(Base):
    """A buyer's saved shipping address."""

    __tablename__ = "buyer_addresses"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(16))
    street: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(80))
    postal_code: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

"""What the legacy shop's use cases answer: plain dataclasses, made from rows here (the pages and
the API both render them)."""

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.social.legacy_shop import db, domain, listings


@dataclass(frozen=True)
class SellerView:
    id: int
    slug: str
    name: str
    kind: domain.SellerKind
    city: str
    registration: listings.Registration
    missing: tuple[str, ...]
    payout_account: listings.PayoutAccount | None = None


@dataclass(frozen=True)
class RegisteredSeller:
    seller: SellerView
    token: str


@dataclass(frozen=True)
class ProductView:
    id: int
    seller_id: int
    seller_name: str
    listing: listings.Listing
    cross_border_gaps: tuple[str, ...]

    @property
    def in_stock(self) -> bool:
        return self.listing.stock > 0


@dataclass(frozen=True)
class AddressView:
    id: int
    label: str
    address: domain.Address


@dataclass(frozen=True)
class CartLineView:
    product_id: int
    seller_id: int
    title: str
    unit_price_idr: int
    quantity: int
    in_stock: bool


@dataclass(frozen=True)
class CartView:
    lines: tuple[CartLineView, ...]

    @property
    def subtotal_idr(self) -> int:
        return sum(line.unit_price_idr * line.quantity for line in self.lines)


@dataclass(frozen=True)
class LineView:
    product_id: int
    title: str
    unit_price_idr: int
    quantity: int


@dataclass(frozen=True)
class EventView:
    from_status: domain.OrderStatus | None
    to_status: domain.OrderStatus
    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class PaymentView:
    order_id: int
    partner_order_id: str
    partner: str
    method: str
    amount_idr: int
    status: str
    redirect_url: str | None = None
    virtual_account: dict[str, str] | None = None
    qris: str | None = None
    expires_at: str | None = None


@dataclass(frozen=True)
class OrderView:
    id: int
    number: str
    seller_id: int
    status: domain.OrderStatus
    subtotal_idr: int
    shipping_idr: int
    total_idr: int
    shipping_address: domain.Address
    tracking_number: str | None
    hold_expires_at: datetime
    created_at: datetime
    lines: tuple[LineView, ...]
    events: tuple[EventView, ...] = field(default=())
    payment: PaymentView | None = None


@dataclass(frozen=True)
class Balance:
    """A seller's money in social, from the journal: held in escrow (paid, not completed) and
    payable (completed, not yet paid out)."""

    seller_id: int
    escrow_idr: int
    payable_idr: int


def seller_view(s: Session, row: db.SellerRow) -> SellerView:
    reg = row.registration()
    account = s.get(db.PayoutAccountRow, row.id)
    payout = (
        None
        if account is None
        else listings.PayoutAccount(account.bank_code, account.account_number, account.holder_name)
    )
    missing = tuple(listings.missing_registration(reg))
    kind = domain.SellerKind(row.kind)
    return SellerView(row.id, row.slug, row.name, kind, row.city, reg, missing, payout)


def product_view(row: db.ProductRow, seller_name: str) -> ProductView:
    listing = row.listing()
    gaps = tuple(listings.cross_border_gaps(listing))
    return ProductView(row.id, row.seller_id, seller_name, listing, gaps)


def address_view(row: db.AddressRow) -> AddressView:
    return AddressView(row.id, row.label, row.address())


def payment_view(row: db.PaymentRow, order_id: int) -> PaymentView:
    how = json.loads(row.instructions)
    return PaymentView(
        order_id=order_id,
        partner_order_id=row.partner_order_id,
        partner=row.partner,
        method=row.method,
        amount_idr=row.amount_idr,
        status=row.status,
        redirect_url=how.get("redirect_url"),
        virtual_account=how.get("virtual_account"),
        qris=how.get("qris"),
        expires_at=how.get("expires_at"),
    )


def latest_payment(s: Session, order_id: int) -> db.PaymentRow | None:
    query = (
        select(db.PaymentRow)
        .where(db.PaymentRow.order_id == order_id)
        .order_by(db.PaymentRow.attempt.desc())
        .limit(1)
    )
    return s.scalar(query)


def order_view(s: Session, row: db.OrderRow, *, detail: bool = False) -> OrderView:
    lines = s.scalars(select(db.OrderLineRow).where(db.OrderLineRow.order_id == row.id))
    events: tuple[EventView, ...] = ()
    payment = None
    if detail:
        events = tuple(_events(s, row.id))
        paid_by = latest_payment(s, row.id)
        payment = None if paid_by is None else payment_view(paid_by, row.id)
    return OrderView(
        id=row.id,
        number=row.number,
        seller_id=row.seller_id,
        status=domain.OrderStatus(row.status),
        subtotal_idr=row.subtotal_idr,
        shipping_idr=row.shipping_idr,
        total_idr=row.total_idr,
        shipping_address=db.address_of(row),
        tracking_number=row.tracking_number,
        hold_expires_at=row.hold_expires_at,
        created_at=row.created_at,
        lines=tuple(LineView(x.product_id, x.title, x.unit_price_idr, x.quantity) for x in lines),
        events=events,
        payment=payment,
    )


def _events(s: Session, order_id: int) -> list[EventView]:
    rows = s.scalars(
        select(db.OrderEventRow)
        .where(db.OrderEventRow.order_id == order_id)
        .order_by(db.OrderEventRow.id)
    )
    return [
        EventView(
            domain.OrderStatus(e.from_status) if e.from_status else None,
            domain.OrderStatus(e.to_status),
            e.actor,
            e.reason,
            e.at,
        )
        for e in rows
    ]

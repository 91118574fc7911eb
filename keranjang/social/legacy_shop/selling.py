"""Sellers' use cases: open a shop in the app (operators), the seller token, products and stock,
the payout account, orders (ship, mark delivered, cancel with a reason) and the balance. Each
public method is one transaction; a cancel that returns money asks the partner after it."""

import secrets
from dataclasses import fields, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.credentials import token_digest
from keranjang.infra.database import transaction
from keranjang.social import db as promotion
from keranjang.social.legacy_shop import books, db, domain, listings, moving, views
from keranjang.social.legacy_shop.domain import OrderStatus
from keranjang.social.legacy_shop.paying import PayingService

MAX_TRACKING = 64


class SellingService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, paying: PayingService
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.paying = paying

    # the shop -------------------------------------------------------------------------------
    def register(self, registration: listings.Registration) -> views.RegisteredSeller:
        """A shop in the app, its seller token (shown once), and its route: `legacy`."""
        reg = listings.check_registration(registration)
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        taken = domain.Taken(f"the shop address {reg.slug!r} is taken; choose another")
        try:
            with transaction(self.sessions) as s:
                if s.scalar(select(db.SellerRow.id).where(db.SellerRow.slug == reg.slug)):
                    raise taken
                facts = {k: getattr(reg, k) for k in listings.FOREIGN_REQUIREMENTS}
                row = db.SellerRow(
                    slug=reg.slug,
                    name=reg.name,
                    kind=reg.kind.value,
                    city=reg.city,
                    token_digest=token_digest(token),
                    created_at=now,
                    updated_at=now,
                    **facts,
                )
                s.add(row)
                s.flush()
                promotion.open_route(s, row.id, now)
                return views.RegisteredSeller(views.seller_view(s, row), token)
        except IntegrityError as exc:
            raise taken from exc

    def authenticate(self, token: str | None) -> int:
        if not token:
            raise domain.Unauthenticated(
                "send your seller token as 'Authorization: Bearer …'", "seller_token_missing"
            )
        with self.sessions() as s:
            seller_id = s.scalar(
                select(db.SellerRow.id).where(db.SellerRow.token_digest == token_digest(token))
            )
        if seller_id is None:
            raise domain.Unauthenticated("that seller token is not valid", "seller_token_wrong")
        return seller_id

    def authenticate_digest(self, digest: str) -> int:
        """The seller whose current token has this digest: the seller tools' page session keeps
        the digest, never the token, so a changed token ends every page session."""
        with self.sessions() as s:
            seller_id = s.scalar(select(db.SellerRow.id).where(db.SellerRow.token_digest == digest))
        if seller_id is None:
            raise domain.Unauthenticated(
                "your seller session has ended; sign in again", "session_ended"
            )
        return seller_id

    def seller(self, seller_id: int) -> views.SellerView:
        with self.sessions() as s:
            return views.seller_view(s, _seller(s, seller_id))

    def set_payout_account(
        self, seller_id: int, account: listings.PayoutAccount
    ) -> views.SellerView:
        account = listings.check_payout_account(account)
        with transaction(self.sessions) as s:
            moving.check_open(s, seller_id)
            seller = _seller(s, seller_id)
            row = s.get(db.PayoutAccountRow, seller_id) or db.PayoutAccountRow(seller_id=seller_id)
            row.bank_code, row.account_number = account.bank_code, account.account_number
            row.holder_name, row.updated_at = account.holder_name, self.clock.now()
            s.add(row)
            s.flush()
            return views.seller_view(s, seller)

    def balance(self, seller_id: int) -> views.Balance:
        with self.sessions() as s:
            escrow, payable = books.balance(s, seller_id)
        return views.Balance(seller_id, escrow, payable)

    # products -------------------------------------------------------------------------------
    def add_product(self, seller_id: int, listing: listings.Listing) -> views.ProductView:
        listing = listings.check_listing(listing)
        now = self.clock.now()
        with transaction(self.sessions) as s:
            moving.check_open(s, seller_id)
            seller = _seller(s, seller_id)
            row = db.ProductRow(seller_id=seller_id, created_at=now, updated_at=now)
            _write_listing(row, listing)
            s.add(row)
            s.flush()
            return views.product_view(row, seller.name)

    def edit_product(
        self, seller_id: int, product_id: int, changes: dict[str, Any]
    ) -> views.ProductView:
        """Change any listing fields (price and stock included); the result is checked by the
        rules of a new listing. Orders already placed keep the prices they were placed at."""
        unknown = set(changes) - set(db.LISTING_FIELDS)
        if unknown:
            raise domain.Invalid(
                f"{sorted(unknown)[0]} is not a listing field",
                "unknown_field",
                field=sorted(unknown)[0],
            )
        with transaction(self.sessions) as s:
            moving.check_open(s, seller_id)
            row = self._own_product(s, seller_id, product_id, lock=True)
            listing = listings.check_listing(replace(row.listing(), **changes))
            _write_listing(row, listing)
            row.updated_at = self.clock.now()
            return views.product_view(row, _seller(s, seller_id).name)

    def product(self, product_id: int) -> views.ProductView:
        """Any product's listing (public)."""
        with self.sessions() as s:
            row = s.get(db.ProductRow, product_id)
            if row is None:
                raise domain.NotFound(
                    f"the in-app shop has no product with id {product_id}",
                    "no_product",
                    id=product_id,
                )
            return views.product_view(row, _seller(s, row.seller_id).name)

    def products(self, seller_id: int) -> list[views.ProductView]:
        with self.sessions() as s:
            name = _seller(s, seller_id).name
            rows = s.scalars(
                select(db.ProductRow)
                .where(db.ProductRow.seller_id == seller_id)
                .order_by(db.ProductRow.id)
            )
            return [views.product_view(row, name) for row in rows]

    def _own_product(
        self, s: Session, seller_id: int, product_id: int, *, lock: bool = False
    ) -> db.ProductRow:
        query = select(db.ProductRow).where(db.ProductRow.id == product_id)
        row = s.scalar(query.with_for_update() if lock else query)
        if row is None or row.seller_id != seller_id:
            raise domain.NotFound(
                f"your shop has no product with id {product_id}", "no_product", id=product_id
            )
        return row

    # orders ---------------------------------------------------------------------------------
    def orders(self, seller_id: int, status: OrderStatus | None = None) -> list[views.OrderView]:
        with self.sessions() as s:
            query = select(db.OrderRow).where(db.OrderRow.seller_id == seller_id)
            if status is not None:
                query = query.where(db.OrderRow.status == status.value)
            rows = s.scalars(query.order_by(db.OrderRow.id.desc()).limit(200))
            return [views.order_view(s, row) for row in rows]

    def order(self, seller_id: int, order_id: int) -> views.OrderView:
        with self.sessions() as s:
            return views.order_view(s, self._own_order(s, seller_id, order_id), detail=True)

    def ship(self, seller_id: int, order_id: int, tracking_number: str) -> views.OrderView:
        tracking = tracking_number.strip()
        if not 3 <= len(tracking) <= MAX_TRACKING:
            raise domain.Invalid(
                f"tracking_number must be 3 to {MAX_TRACKING} characters",
                "field_length",
                field="tracking_number",
                low=3,
                high=MAX_TRACKING,
            )
        with transaction(self.sessions) as s:
            moving.check_open(s, seller_id)
            order = self._own_order(s, seller_id, order_id, lock=True)
            move = domain.Move(OrderStatus.SHIPPED, f"seller:{seller_id}", "", self.clock.now())
            db.move_order(s, order, move)
            order.tracking_number = tracking
            return views.order_view(s, order, detail=True)

    def mark_delivered(self, seller_id: int, order_id: int) -> views.OrderView:
        with transaction(self.sessions) as s:
            moving.check_open(s, seller_id)
            order = self._own_order(s, seller_id, order_id, lock=True)
            now = self.clock.now()
            db.move_order(
                s, order, domain.Move(OrderStatus.DELIVERED, f"seller:{seller_id}", "", now)
            )
            order.delivered_at = now
            return views.order_view(s, order, detail=True)

    def cancel(self, seller_id: int, order_id: int, reason: str) -> views.OrderView:
        """An unpaid order is cancelled and its stock put back; a paid, unshipped one too, and
        its money is returned through the partner (asked right after, and again until it
        answers)."""
        reason = reason.strip()
        if not 3 <= len(reason) <= 500:
            raise domain.Invalid(
                "reason must be 3 to 500 characters: the buyer reads it",
                "field_length",
                field="reason",
                low=3,
                high=500,
            )
        with transaction(self.sessions) as s:
            moving.check_open(s, seller_id)
            order = self._own_order(s, seller_id, order_id, lock=True)
            was_paid = order.status == OrderStatus.PAID.value
            move = domain.Move(
                OrderStatus.CANCELLED, f"seller:{seller_id}", reason, self.clock.now()
            )
            db.move_order(s, order, move)
            refund_id = self.paying.queue_refund(s, order, reason) if was_paid else None
            view = views.order_view(s, order, detail=True)
        if refund_id is not None:
            self.paying.ask_refunds([refund_id])
        return view

    def _own_order(
        self, s: Session, seller_id: int, order_id: int, *, lock: bool = False
    ) -> db.OrderRow:
        order = db.order_for_update(s, order_id) if lock else s.get(db.OrderRow, order_id)
        if order is None or order.seller_id != seller_id:
            raise domain.NotFound(
                f"your shop has no order with id {order_id}", "no_order", id=order_id
            )
        return order


def _seller(s: Session, seller_id: int) -> db.SellerRow:
    row = s.get(db.SellerRow, seller_id)
    if row is None:
        raise domain.NotFound(f"no seller with id {seller_id}", "no_seller", id=seller_id)
    return row


def _write_listing(row: db.ProductRow, listing: listings.Listing) -> None:
    for f in fields(listings.Listing):
        setattr(row, f.name, getattr(listing, f.name))

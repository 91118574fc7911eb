"""Buyers' use cases (a buyer is a signed-in viewer): the phone and addresses the shop needs to
deliver, the cart, order history, confirming receipt; and the job that completes orders
delivered long enough ago. Each public method is one transaction."""

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.social import db as promotion
from keranjang.social.legacy_shop import books, db, domain, moving, views
from keranjang.social.legacy_shop.domain import OrderStatus

MAX_ADDRESSES = 20


class BuyingService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, complete_after_days: int = 3
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.complete_after = timedelta(days=complete_after_days)

    # profile and addresses ------------------------------------------------------------------
    def phone(self, viewer_id: int) -> str | None:
        with self.sessions() as s:
            row = s.get(db.BuyerProfileRow, viewer_id)
            return None if row is None else row.phone

    def set_phone(self, viewer_id: int, phone: str) -> str:
        phone = domain.check_phone(phone.strip())
        with transaction(self.sessions) as s:
            row = s.get(db.BuyerProfileRow, viewer_id) or db.BuyerProfileRow(viewer_id=viewer_id)
            row.phone, row.updated_at = phone, self.clock.now()
            s.add(row)
        return phone

    def addresses(self, viewer_id: int) -> list[views.AddressView]:
        with self.sessions() as s:
            rows = s.scalars(
                select(db.AddressRow)
                .where(db.AddressRow.viewer_id == viewer_id)
                .order_by(db.AddressRow.id)
            )
            return [views.address_view(row) for row in rows]

    def add_address(self, viewer_id: int, label: str, address: domain.Address) -> views.AddressView:
        address = domain.check_address(address)
        label = label.strip() or "Rumah"
        if len(label) > 40:
            raise domain.Invalid(
                "label must be at most 40 characters", "field_length", field="label", low=0, high=40
            )
        with transaction(self.sessions) as s:
            kept = s.scalar(
                select(func.count())
                .select_from(db.AddressRow)
                .where(db.AddressRow.viewer_id == viewer_id)
            )
            if (kept or 0) >= MAX_ADDRESSES:
                raise domain.Conflict(
                    f"you keep at most {MAX_ADDRESSES} addresses; delete one",
                    "too_many_addresses",
                    limit=MAX_ADDRESSES,
                )
            row = db.AddressRow(
                viewer_id=viewer_id, label=label, created_at=self.clock.now(), **vars(address)
            )
            s.add(row)
            s.flush()
            return views.address_view(row)

    def delete_address(self, viewer_id: int, address_id: int) -> None:
        with transaction(self.sessions) as s:
            row = s.get(db.AddressRow, address_id)
            if row is None or row.viewer_id != viewer_id:
                raise domain.NotFound(
                    f"no saved address with id {address_id} in your account",
                    "no_address",
                    id=address_id,
                )
            s.delete(row)

    # the cart -------------------------------------------------------------------------------
    def set_quantity(
        self, viewer_id: int, product_id: int, quantity: int, pin_id: int | None = None
    ) -> views.CartView:
        """Put a quantity in the cart (0 removes). A product that came through a creator's
        yellow cart (`pin_id`) keeps that creator with the line, for the commission; a change
        without a pin keeps the creator the line had."""
        domain.check_quantity(quantity)
        with transaction(self.sessions) as s:
            product = s.get(db.ProductRow, product_id)
            if product is None:
                raise domain.NotFound(
                    f"the shop has no product with id {product_id}", "no_product", id=product_id
                )
            if quantity:  # taking a moved seller's product out of the cart stays possible
                moving.check_open(s, product.seller_id)
            mine = (db.CartLineRow.viewer_id == viewer_id, db.CartLineRow.product_id == product_id)
            creator_id = (
                s.scalar(select(db.CartLineRow.creator_id).where(*mine))
                if pin_id is None
                else promotion.pin_creator(s, pin_id)
            )
            s.execute(delete(db.CartLineRow).where(*mine))
            if quantity:
                s.add(
                    db.CartLineRow(
                        viewer_id=viewer_id,
                        product_id=product_id,
                        quantity=quantity,
                        creator_id=creator_id,
                    )
                )
            s.flush()
            return _cart(s, viewer_id)

    def cart(self, viewer_id: int) -> views.CartView:
        with self.sessions() as s:
            return _cart(s, viewer_id)

    # orders ---------------------------------------------------------------------------------
    def orders(self, viewer_id: int) -> list[views.OrderView]:
        with self.sessions() as s:
            rows = s.scalars(
                select(db.OrderRow)
                .where(db.OrderRow.viewer_id == viewer_id)
                .order_by(db.OrderRow.id.desc())
                .limit(200)
            )
            return [views.order_view(s, row) for row in rows]

    def order(self, viewer_id: int, order_id: int) -> views.OrderView:
        with self.sessions() as s:
            row = s.get(db.OrderRow, order_id)
            if row is None or row.viewer_id != viewer_id:
                raise domain.NotFound(
                    f"no order with id {order_id} in your account", "no_order", id=order_id
                )
            return views.order_view(s, row, detail=True)

    def confirm_received(self, viewer_id: int, order_id: int) -> views.OrderView:
        """The buyer has the goods: the order completes and the seller's share is payable."""
        with transaction(self.sessions) as s:
            mine = (db.OrderRow.id == order_id, db.OrderRow.viewer_id == viewer_id)
            seller_id = s.scalar(select(db.OrderRow.seller_id).where(*mine))
            if seller_id is not None:
                moving.check_open(s, seller_id)
            row = db.order_for_update(s, order_id)
            if row is None or row.viewer_id != viewer_id:
                raise domain.NotFound(
                    f"no order with id {order_id} in your account", "no_order", id=order_id
                )
            books.complete(s, row, f"buyer:{viewer_id}", self.clock.now())
            return views.order_view(s, row, detail=True)

    def complete_due(self) -> int:
        """Orders delivered `complete_after_days` ago complete by themselves."""
        now = self.clock.now()
        with self.sessions() as s:
            due = s.scalars(
                select(db.OrderRow.id).where(
                    db.OrderRow.status == OrderStatus.DELIVERED.value,
                    db.OrderRow.delivered_at <= now - self.complete_after,
                )
            ).all()
        done = 0
        for order_id in due:
            try:
                with transaction(self.sessions) as s:
                    moving.check_open(s, moving.seller_of_order(s, order_id) or 0)
                    row = db.order_for_update(s, order_id)
                    if row is not None and row.status == OrderStatus.DELIVERED.value:
                        books.complete(s, row, "system:auto-complete", now)
                        done += 1
            except (domain.Conflict, domain.Unavailable):
                continue  # changed meanwhile, or its seller is moving or moved
        return done


def _cart(s: Session, viewer_id: int) -> views.CartView:
    query = (
        select(db.CartLineRow, db.ProductRow)
        .join(db.ProductRow, db.ProductRow.id == db.CartLineRow.product_id)
        .where(db.CartLineRow.viewer_id == viewer_id)
        .order_by(db.CartLineRow.id)
    )
    return views.CartView(
        tuple(
            views.CartLineView(
                p.id, p.seller_id, p.title, p.price_idr, c.quantity, p.stock >= c.quantity
            )
            for c, p in s.execute(query)
        )
    )

"""In-app checkout, as the old combined app did it: one order per seller, prices fixed now,
stock taken by a conditional UPDATE (never below zero, whatever runs at once, on SQLite and
PostgreSQL) and held until the order is paid or its hold expires; exactly once per (viewer,
Idempotency-Key). And the job that releases holds nobody paid for."""

import json
import secrets
from dataclasses import asdict, dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.social.legacy_shop import db, domain, moving, views
from keranjang.social.legacy_shop.domain import OrderStatus


@dataclass(frozen=True)
class Rules:
    shipping_idr: int = 15_000
    hold_minutes: int = 30
    platform_fee_bp: int = 500


@dataclass(frozen=True)
class CheckoutRequest:
    """Where to ship: a saved address, or one given now."""

    address_id: int | None = None
    shipping_address: domain.Address | None = None
    payment_method: str | None = None

    def fingerprint(self) -> str:
        return domain.request_fingerprint(asdict(self))


@dataclass(frozen=True)
class Placed:
    checkout_id: int
    orders: tuple[views.OrderView, ...]
    replayed: bool = False


class CheckoutService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, rules: Rules) -> None:
        self.sessions = sessions
        self.clock = clock
        self.rules = rules

    def checkout(self, viewer_id: int, key: str | None, request: CheckoutRequest) -> Placed:
        """The same key and body again answers the same checkout (`replayed`), a refusal
        included; the same key with another body is refused (`KeyReused`)."""
        key = domain.check_idempotency_key(key)
        fingerprint = request.fingerprint()
        stored = self._replay(viewer_id, key, fingerprint)
        if stored is not None:
            return stored
        try:
            with transaction(self.sessions) as s:
                return self._place(s, viewer_id, (key, fingerprint), request)
        except IntegrityError:  # the same key, placed meanwhile by a concurrent retry
            stored = self._replay(viewer_id, key, fingerprint)
            if stored is None:
                raise
            return stored
        except domain.Unavailable:
            raise  # a moment's refusal (a seller's move pausing it): the same key may retry
        except domain.LegacyShopError as refusal:
            self._remember_refusal(viewer_id, (key, fingerprint), refusal)
            raise

    def _replay(self, viewer_id: int, key: str, fingerprint: str) -> Placed | None:
        with self.sessions() as s:
            row = s.scalar(
                select(db.CheckoutRow).where(
                    db.CheckoutRow.viewer_id == viewer_id, db.CheckoutRow.idempotency_key == key
                )
            )
            if row is None:
                return None
            domain.check_same_request(row.fingerprint, fingerprint)
            answer = json.loads(row.answer)
            if "error" in answer:
                error = getattr(domain, answer["error"], domain.Conflict)
                params = answer.get("params", {})
                raise error(answer["detail"], answer.get("code"), **params)
            orders = s.scalars(
                select(db.OrderRow)
                .where(db.OrderRow.checkout_id == row.id)
                .order_by(db.OrderRow.id)
            )
            return Placed(row.id, tuple(views.order_view(s, o) for o in orders), replayed=True)

    def _remember_refusal(
        self, viewer_id: int, key: tuple[str, str], refusal: domain.LegacyShopError
    ) -> None:
        answer = {
            "error": type(refusal).__name__,
            "detail": str(refusal),
            "code": refusal.code,
            "params": refusal.params,
        }
        try:
            with transaction(self.sessions) as s:
                s.add(self._key_row(viewer_id, key, json.dumps(answer)))
        except IntegrityError:
            pass  # a concurrent retry remembered its own answer

    def _key_row(self, viewer_id: int, key: tuple[str, str], answer: str) -> db.CheckoutRow:
        return db.CheckoutRow(
            viewer_id=viewer_id,
            idempotency_key=key[0],
            fingerprint=key[1],
            answer=answer,
            created_at=self.clock.now(),
        )

    def _place(
        self, s: Session, viewer_id: int, key: tuple[str, str], request: CheckoutRequest
    ) -> Placed:
        checkout = self._key_row(viewer_id, key, json.dumps({"placed": True}))
        s.add(checkout)
        s.flush()  # a key taken concurrently fails here (PostgreSQL waits for the other first)
        address = _address(s, viewer_id, request)
        lines = _cart(s, viewer_id)
        drafts = domain.split_by_seller(lines, self.rules.shipping_idr)
        for draft in drafts:  # in seller order, so two checkouts take route locks alike
            moving.check_open(s, draft.seller_id)
        _take_stock(s, lines)
        orders = [self._order(s, checkout, draft, address) for draft in drafts]
        s.execute(delete(db.CartLineRow).where(db.CartLineRow.viewer_id == viewer_id))
        return Placed(checkout.id, tuple(views.order_view(s, o) for o in orders))

    def _order(
        self,
        s: Session,
        checkout: db.CheckoutRow,
        draft: domain.OrderDraft,
        address: domain.Address,
    ) -> db.OrderRow:
        now, viewer_id = self.clock.now(), checkout.viewer_id
        hold = domain.hold_expiry(now, self.rules.hold_minutes)
        order = db.OrderRow(
            number="LGC-" + secrets.token_hex(8).upper(),
            viewer_id=viewer_id,
            seller_id=draft.seller_id,
            checkout_id=checkout.id,
            status=OrderStatus.AWAITING_PAYMENT.value,
            subtotal_idr=draft.subtotal_idr,
            shipping_idr=draft.shipping_idr,
            total_idr=draft.total_idr,
            platform_fee_bp=self.rules.platform_fee_bp,
            shipping_address=json.dumps(asdict(address)),
            hold_expires_at=hold,
            created_at=now,
            updated_at=now,
        )
        s.add(order)
        s.flush()
        for line in draft.lines:
            s.add(_line_row(order.id, line))
            s.add(
                db.StockHoldRow(
                    order_id=order.id,
                    product_id=line.product_id,
                    quantity=line.quantity,
                    expires_at=hold,
                )
            )
        s.add(
            db.OrderEventRow(
                order_id=order.id,
                from_status=None,
                to_status=OrderStatus.AWAITING_PAYMENT.value,
                actor=f"buyer:{viewer_id}",
                reason="checkout",
                at=now,
            )
        )
        s.flush()
        return order

    def release_expired_holds(self) -> int:
        """Orders still unpaid past their hold expire, and their stock goes back on sale."""
        now = self.clock.now()
        with self.sessions() as s:
            due = s.scalars(
                select(db.OrderRow.id).where(
                    db.OrderRow.status == OrderStatus.AWAITING_PAYMENT.value,
                    db.OrderRow.hold_expires_at <= now,
                )
            ).all()
        expired = 0
        for order_id in due:  # one transaction each: an order paid meanwhile is left alone
            try:
                with transaction(self.sessions) as s:
                    seller_id = moving.seller_of_order(s, order_id)
                    if seller_id is None:
                        continue
                    moving.check_open(s, seller_id)  # a moving or moved seller's: not here
                    order = db.order_for_update(s, order_id)
                    if order is None or order.status != OrderStatus.AWAITING_PAYMENT.value:
                        continue
                    move = domain.Move(
                        OrderStatus.EXPIRED, "system:hold-expiry", "no payment in time", now
                    )
                    db.move_order(s, order, move)
                    expired += 1
            except (domain.Conflict, domain.Unavailable):
                continue
        return expired


def _address(s: Session, viewer_id: int, request: CheckoutRequest) -> domain.Address:
    if request.address_id is not None:
        row = s.get(db.AddressRow, request.address_id)
        if row is None or row.viewer_id != viewer_id:
            raise domain.NotFound(
                f"no saved address with id {request.address_id} in your account",
                "no_address",
                id=request.address_id,
            )
        return row.address()
    if request.shipping_address is None:
        raise domain.Invalid(
            "send address_id (a saved address) or shipping_address", "address_missing"
        )
    return domain.check_address(request.shipping_address)


def _cart(s: Session, viewer_id: int) -> list[domain.CartLine]:
    """The cart at today's prices, in product order (the order stock is taken in, so two
    checkouts never wait for each other's rows crosswise)."""
    query = (
        select(db.CartLineRow, db.ProductRow)
        .join(db.ProductRow, db.ProductRow.id == db.CartLineRow.product_id)
        .where(db.CartLineRow.viewer_id == viewer_id)
        .order_by(db.ProductRow.id)
    )
    return [
        domain.CartLine(
            p.id, p.seller_id, p.title, p.price_idr, c.quantity, p.commission_bp, c.creator_id
        )
        for c, p in s.execute(query)
    ]


def _take_stock(s: Session, lines: list[domain.CartLine]) -> None:
    for line in lines:
        taken = s.execute(
            update(db.ProductRow)
            .where(db.ProductRow.id == line.product_id, db.ProductRow.stock >= line.quantity)
            .values(stock=db.ProductRow.stock - line.quantity)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            left = s.scalar(select(db.ProductRow.stock).where(db.ProductRow.id == line.product_id))
            raise domain.OutOfStock(
                f"only {left} left of {line.title!r}; lower the quantity in your cart",
                left=left,
                title=line.title,
                asked=line.quantity,
            )


def _line_row(order_id: int, line: domain.CartLine) -> db.OrderLineRow:
    return db.OrderLineRow(
        order_id=order_id,
        product_id=line.product_id,
        title=line.title,
        unit_price_idr=line.unit_price_idr,
        quantity=line.quantity,
        commission_bp=line.commission_bp if line.creator_id is not None else 0,
        creator_id=line.creator_id,
    )

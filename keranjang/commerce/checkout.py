"""Commerce's buying use cases: buyer accounts, the cart, checkout with stock holds and an
idempotency key, order transitions, and releasing holds when payment never comes.
Each public method is one transaction."""

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce import db, domain, orders
from keranjang.commerce import order_tables as t
from keranjang.commerce.orders import OrderStatus
from keranjang.infra.auth import token_digest
from keranjang.infra.clock import Clock
from keranjang.infra.database import read_connection, transaction

SESSION_DAYS = 30
_hasher = PasswordHasher()


@dataclass(frozen=True)
class CheckoutSettings:
    shipping_idr: int = 15_000
    hold_minutes: int = 30
    attribution_window_days: int = 7
    platform_fee_bp: int = 500


@dataclass(frozen=True)
class Answer:
    """A stored HTTP answer: what an idempotent retry gets back, byte for byte."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class BuyingService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, settings: CheckoutSettings
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings

    # buyers ---------------------------------------------------------------------------------
    def sign_up(self, email: str, name: str, password: str) -> str:
        email = email.strip().lower()
        if "@" not in email or len(email) > 254:
            raise domain.Invalid("email must be an address like name@example.com")
        if len(password) < 10:
            raise domain.Invalid("password must be at least 10 characters")
        with transaction(self.sessions) as s:
            if s.scalar(select(t.BuyerRow.id).where(t.BuyerRow.email == email)) is not None:
                raise domain.Conflict("an account with this email exists; log in instead")
            buyer = t.BuyerRow(
                email=email,
                name=name.strip() or email,
                password_hash=_hasher.hash(password),
                created_at=self.clock.now(),
            )
            s.add(buyer)
            s.flush()
            return self._new_session(s, buyer.id)

    def log_in(self, email: str, password: str) -> str:
        with transaction(self.sessions) as s:
            buyer = s.scalar(select(t.BuyerRow).where(t.BuyerRow.email == email.strip().lower()))
            try:
                if buyer is None:
                    raise VerifyMismatchError
                _hasher.verify(buyer.password_hash, password)
            except VerifyMismatchError:
                raise domain.Unauthenticated("email or password is wrong") from None
            return self._new_session(s, buyer.id)

    def _new_session(self, s: Session, buyer_id: int) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        s.add(
            t.BuyerSessionRow(
                token_hash=token_digest(token),
                buyer_id=buyer_id,
                created_at=now,
                expires_at=now + timedelta(days=SESSION_DAYS),
            )
        )
        return token

    def log_out(self, token: str) -> None:
        """End this session everywhere: the token is no longer accepted."""
        with transaction(self.sessions) as s:
            s.execute(
                delete(t.BuyerSessionRow).where(t.BuyerSessionRow.token_hash == token_digest(token))
            )

    def buyer_id(self, token: str | None) -> int:
        if not token:
            raise domain.Unauthenticated("log in first: send 'Authorization: Bearer <session>'")
        with read_connection(self.sessions) as connection:
            row = connection.execute(_SESSION_BUYER, {"token_hash": token_digest(token)}).first()
        if row is None or row.expires_at <= self.clock.now():
            raise domain.Unauthenticated("your session has ended; log in again")
        return int(row.buyer_id)

    # cart -----------------------------------------------------------------------------------
    def set_quantity(
        self, buyer_id: int, product_id: int, quantity: int, attribution_id: int | None = None
    ) -> None:
        """Put a quantity in the cart (0 removes). A hand-off that led to this very product
        stays with the line, through login and checkout, for the creator's commission."""
        orders.check_quantity(quantity)
        with transaction(self.sessions) as s:
            db.get_or_404(s, db.ProductRow, product_id, "product")
            attribution_id = self._still_counts(s, attribution_id, product_id)
            s.execute(
                delete(t.CartLineRow).where(
                    t.CartLineRow.buyer_id == buyer_id, t.CartLineRow.product_id == product_id
                )
            )
            if quantity:
                s.add(
                    t.CartLineRow(
                        buyer_id=buyer_id,
                        product_id=product_id,
                        quantity=quantity,
                        attribution_id=attribution_id,
                    )
                )

    def _still_counts(self, s: Session, attribution_id: int | None, product_id: int) -> int | None:
        """The attribution, if it led to this product and is inside the attribution window."""
        came_from = s.get(db.AttributionRow, attribution_id) if attribution_id else None
        window = timedelta(days=self.settings.attribution_window_days)
        if came_from is None or came_from.product_id != product_id:
            return None
        return came_from.id if came_from.at >= self.clock.now() - window else None

    def cart(self, buyer_id: int) -> list[orders.CartLine]:
        with self.sessions() as s:
            window = timedelta(days=self.settings.attribution_window_days)
            return _cart_lines(s, buyer_id, self.clock.now() - window)

    # addresses ------------------------------------------------------------------------------
    def addresses(self, buyer_id: int) -> list[dict[str, Any]]:
        with self.sessions() as s:
            rows = s.scalars(
                select(t.AddressRow)
                .where(t.AddressRow.buyer_id == buyer_id)
                .order_by(t.AddressRow.id)
            )
            return [_address_view(row) for row in rows]

    def add_address(self, buyer_id: int, label: str, address: dict[str, str]) -> dict[str, Any]:
        with transaction(self.sessions) as s:
            kept = s.scalar(
                select(func.count())
                .select_from(t.AddressRow)
                .where(t.AddressRow.buyer_id == buyer_id)
            )
            if (kept or 0) >= MAX_ADDRESSES:
                raise domain.Conflict(
                    f"an account keeps at most {MAX_ADDRESSES} addresses; delete one first"
                )
            row = t.AddressRow(
                buyer_id=buyer_id,
                label=label.strip() or "Rumah",
                created_at=self.clock.now(),
                **address,
            )
            s.add(row)
            s.flush()
            return _address_view(row)

    def delete_address(self, buyer_id: int, address_id: int) -> None:
        with transaction(self.sessions) as s:
            row = s.get(t.AddressRow, address_id)
            if row is None or row.buyer_id != buyer_id:
                raise domain.NotFound(f"no saved address with id {address_id} in your account")
            s.delete(row)

    # checkout -------------------------------------------------------------------------------
    def checkout(self, buyer_id: int, key: str, body: dict[str, Any]) -> Answer:
        """Orders per merchant with stock held, exactly once per (buyer, Idempotency-Key).

        The key, the orders and the answer commit together in one transaction, so a crash
        leaves either nothing or all of it, and a retry gets the stored answer (`replayed`). A
        refused checkout (out of stock, empty cart) is answered the same way on every retry with
        that key. Two requests racing with one key both run; the key's unique index lets one
        commit and the other rolls back and answers what the first stored."""
        fingerprint = orders.request_fingerprint(body)
        now = self.clock.now()
        try:
            with transaction(self.sessions) as s:
                stored = _stored_answer(s, buyer_id, key, fingerprint)
                if stored is not None:
                    return stored
                answer = self._place_orders(s, buyer_id, body, now)
                _keep_answer(s, buyer_id, key, fingerprint, answer, now)
                return answer
        except (orders.OutOfStock, orders.EmptyCart, domain.Invalid) as exc:
            refused = Answer(exc.status, {"error": type(exc).__name__, "detail": str(exc)})
            return self._keep_refusal(buyer_id, key, fingerprint, refused, now)
        except IntegrityError:  # the same key committed by a concurrent request
            return self._answer_stored_meanwhile(buyer_id, key, fingerprint)

    def _keep_refusal(
        self, buyer_id: int, key: str, fingerprint: str, refused: Answer, now: datetime
    ) -> Answer:
        try:
            with transaction(self.sessions) as s:
                stored = _stored_answer(s, buyer_id, key, fingerprint)
                if stored is not None:
                    return stored
                _keep_answer(s, buyer_id, key, fingerprint, refused, now)
                return refused
        except IntegrityError:
            return self._answer_stored_meanwhile(buyer_id, key, fingerprint)

    def _answer_stored_meanwhile(self, buyer_id: int, key: str, fingerprint: str) -> Answer:
        with self.sessions() as s:
            stored = _stored_answer(s, buyer_id, key, fingerprint)
        if stored is None:  # cannot happen unless the key was deleted in between
            raise orders.in_progress()
        return stored

    def _place_orders(
        self, s: Session, buyer_id: int, body: dict[str, Any], now: datetime
    ) -> Answer:
        expires = orders.hold_expiry(now, self.settings.hold_minutes)
        if "address_id" in body:
            saved = _address_view(_own_address(s, buyer_id, body["address_id"]))
            body = {"shipping_address": {k: saved[k] for k in ADDRESS_FIELDS}}
        window = timedelta(days=self.settings.attribution_window_days)
        lines = _cart_lines(s, buyer_id, now - window)
        drafts = orders.split_by_merchant(lines, self.settings.shipping_idr)
        _take_stock(s, lines)
        placed = _insert_orders(
            s, buyer_id, drafts, body, now, expires, self.settings.platform_fee_bp
        )
        s.execute(delete(t.CartLineRow).where(t.CartLineRow.buyer_id == buyer_id))
        return Answer(201, {"orders": placed, "hold_expires_at": expires.isoformat()})

    # transitions ----------------------------------------------------------------------------
    def transition(self, order_id: int, target: OrderStatus, actor: str, reason: str = "") -> str:
        with transaction(self.sessions) as s:
            order = db.get_or_404(s, t.OrderRow, order_id, "order")
            t.move_order(s, order, target, actor, reason, self.clock.now())
            return order.status

    def release_expired_holds(self) -> int:
        """Orders still unpaid past their hold expire, and their stock goes back on sale."""
        now = self.clock.now()
        with self.sessions() as s:
            due = s.scalars(
                select(t.OrderRow.id).where(
                    t.OrderRow.status == OrderStatus.AWAITING_PAYMENT.value,
                    t.OrderRow.hold_expires_at <= now,
                )
            ).all()
        expired = 0
        for order_id in due:  # one transaction each: an order paid meanwhile is left alone
            try:
                with transaction(self.sessions) as s:
                    order = s.get_one(t.OrderRow, order_id)
                    reason = "no payment in time"
                    t.move_order(s, order, OrderStatus.EXPIRED, "system:hold-expiry", reason, now)
                    expired += 1
            except (orders.OrderChanged, orders.IllegalTransition):
                continue
        return expired


# ----------------------------------------------------------------------------------------------
# The statements behind the use cases.


def _cart_lines(s: Session, buyer_id: int, attributed_since: datetime) -> list[orders.CartLine]:
    """The cart with today's prices and commission rates; a line's creator is kept only if the
    hand-off that brought it is still inside the attribution window."""
    a = db.AttributionRow
    rows = s.execute(
        select(
            db.ProductRow.id,
            db.ProductRow.merchant_id,
            db.ProductRow.title,
            db.ProductRow.price_idr,
            t.CartLineRow.quantity,
            t.CartLineRow.attribution_id,
            db.ProductRow.commission_bp,
            a.creator_id,
            a.at,
        )
        .join(db.ProductRow, t.CartLineRow.product_id == db.ProductRow.id)
        .outerjoin(a, t.CartLineRow.attribution_id == a.id)
        .where(t.CartLineRow.buyer_id == buyer_id)
        .order_by(db.ProductRow.id)
    )
    return [
        orders.CartLine(
            *row[:7], creator_id=row[7] if row[8] and row[8] >= attributed_since else None
        )
        for row in rows
    ]


ADDRESS_FIELDS = ("recipient", "phone", "street", "city", "postal_code")
MAX_ADDRESSES = 20


def _address_view(row: t.AddressRow) -> dict[str, Any]:
    return {"id": row.id, "label": row.label} | {k: getattr(row, k) for k in ADDRESS_FIELDS}


def _own_address(s: Session, buyer_id: int, address_id: int) -> t.AddressRow:
    row = s.get(t.AddressRow, address_id)
    if row is None or row.buyer_id != buyer_id:
        raise domain.Invalid(f"address_id {address_id} is not one of your saved addresses")
    return row


def _stored_answer(s: Session, buyer_id: int, key: str, fingerprint: str) -> Answer | None:
    """The answer already given for this key (same body only), or None for a new key."""
    row = s.scalar(
        select(t.IdempotencyKeyRow).where(
            t.IdempotencyKeyRow.buyer_id == buyer_id, t.IdempotencyKeyRow.key == key
        )
    )
    if row is None:
        return None
    orders.check_same_request(row.fingerprint, fingerprint)
    if row.status_code is None or row.response is None:  # claimed by an older release, unfinished
        raise orders.in_progress()
    return Answer(row.status_code, json.loads(row.response), replayed=True)


def _keep_answer(
    s: Session, buyer_id: int, key: str, fingerprint: str, answer: Answer, now: datetime
) -> None:
    """One INSERT of key and answer; a key taken meanwhile raises IntegrityError here."""
    s.add(
        t.IdempotencyKeyRow(
            buyer_id=buyer_id,
            key=key,
            fingerprint=fingerprint,
            status_code=answer.status_code,
            response=json.dumps(answer.body),
            created_at=now,
        )
    )
    s.flush()


def _take_stock(s: Session, lines: list[orders.CartLine]) -> None:
    """Conditional decrements: a row changes only if enough is left, so no buyer ever takes the
    last unit twice, whatever the concurrency (row locks on PostgreSQL, one writer on SQLite)."""
    for line in lines:
        taken = s.execute(
            update(db.ProductRow)
            .where(db.ProductRow.id == line.product_id, db.ProductRow.stock >= line.quantity)
            .values(stock=db.ProductRow.stock - line.quantity)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise orders.OutOfStock(
                f"only fewer than {line.quantity} of {line.title!r} are left; "
                "lower the quantity or remove it from the cart"
            )


# Built once: the hot paths reuse the compiled statements (Core, no ORM unit of work).
_s = t.BuyerSessionRow
_SESSION_BUYER = select(_s.buyer_id, _s.expires_at).where(_s.token_hash == bindparam("token_hash"))
_orders = t.OrderRow.__table__
_INSERT_ORDERS = insert(_orders).returning(_orders.c.id, sort_by_parameter_order=True)  # type: ignore[arg-type]
_INSERT_ORDER_LINES = insert(t.OrderLineRow.__table__)  # type: ignore[arg-type]
_INSERT_STOCK_HOLDS = insert(t.StockHoldRow.__table__)  # type: ignore[arg-type]


def _insert_orders(
    s: Session,
    buyer_id: int,
    drafts: list[orders.OrderDraft],
    body: dict[str, Any],
    now: datetime,
    expires: datetime,
    platform_fee_bp: int,
) -> list[dict[str, Any]]:
    """The drafts' orders in one INSERT (ids returned in the drafts' order), then their lines,
    stock holds, events and outbox messages in one multi-row INSERT each; answers their views."""
    address = json.dumps(body.get("shipping_address", {}))
    rows = [
        {
            "number": "KRJ-" + secrets.token_hex(6).upper(),
            "buyer_id": buyer_id,
            "merchant_id": draft.merchant_id,
            "status": OrderStatus.AWAITING_PAYMENT.value,
            "subtotal_idr": draft.subtotal_idr,
            "shipping_idr": draft.shipping_idr,
            "total_idr": draft.total_idr,
            "shipping_address": address,
            "tracking_number": None,
            "hold_expires_at": expires,
            "created_at": now,
            "updated_at": now,
            "platform_fee_bp": platform_fee_bp,
            "refunded_idr": 0,
            "refunded_shipping_idr": 0,
            "completed_at": None,
            "released_at": None,
        }
        for draft in drafts
    ]
    ids = s.execute(_INSERT_ORDERS, rows).scalars().all()
    # Transient rows, never added to the session: what `order_view` and `record_events` read.
    placed = [t.OrderRow(id=order_id, **row) for order_id, row in zip(ids, rows, strict=True)]
    lines = [
        [
            t.OrderLineRow(
                order_id=order.id,
                product_id=line.product_id,
                title=line.title,
                unit_price_idr=line.unit_price_idr,
                quantity=line.quantity,
                attribution_id=line.attribution_id if line.creator_id is not None else None,
                commission_bp=line.commission_bp if line.creator_id is not None else 0,
                refunded_quantity=0,
            )
            for line in draft.lines
        ]
        for order, draft in zip(placed, drafts, strict=True)
    ]
    line_columns = [c.key for c in t.OrderLineRow.__table__.columns if c.key != "id"]
    s.execute(
        _INSERT_ORDER_LINES,
        [{c: getattr(x, c) for c in line_columns} for order_lines in lines for x in order_lines],
    )
    s.execute(
        _INSERT_STOCK_HOLDS,
        [
            {
                "order_id": x.order_id,
                "product_id": x.product_id,
                "quantity": x.quantity,
                "expires_at": expires,
                "released_at": None,
            }
            for order_lines in lines
            for x in order_lines
        ],
    )
    t.record_events(s, placed, None, f"buyer:{buyer_id}", "checkout", now)
    return [t.order_view(s, order, x) for order, x in zip(placed, lines, strict=True)]

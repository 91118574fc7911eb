"""Commerce's buying use cases: buyer accounts, the cart, checkout with stock holds and an
idempotency key, order transitions, and releasing holds when payment never comes.
Each public method is one transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.attribution import db as attribution_db
from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.buying import group, group_reads, group_writes, placing
from keranjang.commerce.buying.accounts import SESSION_DAYS, open_session
from keranjang.commerce.buying.domain import (
    CartLine,
    SavedAddress,
    check_password,
    check_quantity,
    checked_email,
    request_fingerprint,
    unclaimed_account,
)
from keranjang.commerce.buying.group import ADDRESS_FIELDS, Answer
from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.errors import (
    Conflict,
    IllegalTransition,
    NotFound,
    NotSelling,
    OrderChanged,
    Unauthenticated,
)
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import Move, OrderStatus
from keranjang.commerce.orders.service import PaymentEnds
from keranjang.commerce.tables import get_or_404
from keranjang.infra.batching import Batcher
from keranjang.infra.clock import Clock
from keranjang.infra.credentials import hash_password, password_matches, token_digest
from keranjang.infra.database import read_connection, transaction, write_connection

__all__ = ["SESSION_DAYS", "BuyingService", "CheckoutSettings"]
GROUP_MAX = 64  # checkouts placed in one transaction at most
ALONE_TRIES = 3  # a checkout placed on its own after its group failed to commit


@dataclass(frozen=True)
class CheckoutSettings:
    shipping_idr: int = 15_000
    hold_minutes: int = 30
    attribution_window_days: int = 7
    platform_fee_bp: int = 500


class BuyingService:
    # Filled in by bootstrap: ends the payments of orders that expired or were cancelled.
    payment_ends: PaymentEnds | None = None

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, settings: CheckoutSettings
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.rules = group.Rules(
            shipping_idr=settings.shipping_idr,
            hold_minutes=settings.hold_minutes,
            attribution_window=timedelta(days=settings.attribution_window_days),
            platform_fee_bp=settings.platform_fee_bp,
        )
        # An outcome that is an error (not logged in, key reused) is raised to its caller.
        self._placing: Batcher[group.Ask, Answer] = Batcher(
            "checkout", self._place_group, max_batch=GROUP_MAX
        )

    # buyers ---------------------------------------------------------------------------------
    def sign_up(self, email: str, name: str, password: str) -> str:
        email = checked_email(email)
        check_password(password)
        with transaction(self.sessions) as s:
            found = s.execute(
                select(buying_db.BuyerRow.password_hash).where(buying_db.BuyerRow.email == email)
            ).first()
            if found is not None and found.password_hash is None:
                raise unclaimed_account()  # made for its past purchases: claimed through a link
            if found is not None:
                raise Conflict(
                    "an account with this email exists; log in instead", code="email_taken"
                )
            buyer = buying_db.BuyerRow(
                email=email,
                name=name.strip() or email,
                password_hash=hash_password(password),
                created_at=self.clock.now(),
            )
            s.add(buyer)
            s.flush()
            return open_session(s, buyer.id, self.clock.now())

    def log_in(self, email: str, password: str) -> str:
        """An unclaimed account (no password) is refused like a wrong password."""
        with transaction(self.sessions) as s:
            buyer = s.scalar(
                select(buying_db.BuyerRow).where(buying_db.BuyerRow.email == email.strip().lower())
            )
            if not password_matches(None if buyer is None else buyer.password_hash, password):
                raise Unauthenticated("email or password is wrong", code="wrong_login")
            assert buyer is not None
            return open_session(s, buyer.id, self.clock.now())

    def log_out(self, token: str) -> None:
        """End this session everywhere: the token is no longer accepted."""
        with transaction(self.sessions) as s:
            s.execute(
                delete(buying_db.BuyerSessionRow).where(
                    buying_db.BuyerSessionRow.token_hash == token_digest(token)
                )
            )

    def buyer_id(self, token: str | None) -> int:
        if not token:
            raise Unauthenticated(
                "log in first: send 'Authorization: Bearer <session>'", code="log_in_first"
            )
        with read_connection(self.sessions) as connection:
            row = connection.execute(_SESSION_BUYER, {"token_hash": token_digest(token)}).first()
        if row is None or row.expires_at <= self.clock.now():
            raise Unauthenticated("your session has ended; log in again", code="session_ended")
        return int(row.buyer_id)

    # cart -----------------------------------------------------------------------------------
    def set_quantity(
        self, buyer_id: int, product_id: int, quantity: int, attribution_id: int | None = None
    ) -> None:
        """Put a quantity in the cart (0 removes). A hand-off that led to this very product
        stays with the line, through login and checkout, for the creator's commission."""
        check_quantity(quantity)
        with transaction(self.sessions) as s:
            product = get_or_404(s, catalog_db.ProductRow, product_id, "product")
            if quantity and not product.merchant.selling:  # taking a line out stays possible
                raise NotSelling.shop(product.merchant.name)
            attribution_id = self._still_counts(s, attribution_id, product_id)
            s.execute(
                delete(buying_db.CartLineRow).where(
                    buying_db.CartLineRow.buyer_id == buyer_id,
                    buying_db.CartLineRow.product_id == product_id,
                )
            )
            if quantity:
                s.add(
                    buying_db.CartLineRow(
                        buyer_id=buyer_id,
                        product_id=product_id,
                        quantity=quantity,
                        attribution_id=attribution_id,
                    )
                )

    def _still_counts(self, s: Session, attribution_id: int | None, product_id: int) -> int | None:
        """The attribution, if it led to this product and is inside the attribution window."""
        came_from = s.get(attribution_db.AttributionRow, attribution_id) if attribution_id else None
        window = timedelta(days=self.settings.attribution_window_days)
        if came_from is None or came_from.product_id != product_id:
            return None
        return came_from.id if came_from.at >= self.clock.now() - window else None

    def cart(self, buyer_id: int) -> list[CartLine]:
        since = self.clock.now() - self.rules.attribution_window
        with read_connection(self.sessions) as c:
            carts, _, _ = group_reads.read_carts(c, [buyer_id], since, lock=False)
        return carts.get(buyer_id, [])

    # addresses ------------------------------------------------------------------------------
    def addresses(self, buyer_id: int) -> list[SavedAddress]:
        with self.sessions() as s:
            rows = s.scalars(
                select(buying_db.AddressRow)
                .where(buying_db.AddressRow.buyer_id == buyer_id)
                .order_by(buying_db.AddressRow.id)
            )
            return [_address_view(row) for row in rows]

    def add_address(self, buyer_id: int, label: str, address: dict[str, str]) -> SavedAddress:
        with transaction(self.sessions) as s:
            kept = s.scalar(
                select(func.count())
                .select_from(buying_db.AddressRow)
                .where(buying_db.AddressRow.buyer_id == buyer_id)
            )
            if (kept or 0) >= MAX_ADDRESSES:
                raise Conflict(
                    f"an account keeps at most {MAX_ADDRESSES} addresses; delete one first",
                    code="too_many_addresses",
                    params={"max": MAX_ADDRESSES},
                )
            row = buying_db.AddressRow(
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
            row = s.get(buying_db.AddressRow, address_id)
            if row is None or row.buyer_id != buyer_id:
                raise NotFound(
                    f"no saved address with id {address_id} in your account",
                    code="no_address",
                    params={"id": address_id},
                )
            s.delete(row)

    # checkout -------------------------------------------------------------------------------
    def checkout(self, buyer_id: int, key: str, body: dict[str, Any]) -> Answer:
        """Orders per merchant with stock held, exactly once per (buyer, Idempotency-Key).

        The key, the orders and the answer commit together in one transaction, so a crash
        leaves either nothing or all of it, and a retry gets the stored answer (`replayed`). A
        refused checkout (out of stock, empty cart) is answered the same way on every retry with
        that key. Checkouts arriving together share that transaction (`placing`)."""
        ask = group.Ask(key, body, request_fingerprint(body), buyer_id=buyer_id)
        return self._placing(ask)

    async def checkout_with_token(
        self, token: str | None, key: str, body: dict[str, Any]
    ) -> Answer:
        """The same, for the API: the bearer token is checked in the checkout's own
        transaction, and the caller's event loop is never blocked."""
        if not token:
            raise Unauthenticated(
                "log in first: send 'Authorization: Bearer <session>'", code="log_in_first"
            )
        ask = group.Ask(key, body, request_fingerprint(body), token_hash=token_digest(token))
        return await self._placing.call(ask)

    def _place_group(self, asks: Sequence[group.Ask]) -> list[group.Outcome | Exception]:
        """One transaction for the group. If it cannot commit (a key or stock taken by another
        process meanwhile, a deadlock), each checkout is placed again on its own: a retry whose
        key was taken meanwhile replays the answer stored with it."""
        try:
            return list(self._place_together(list(asks)))
        except (DBAPIError, group_writes.StockMoved):
            return [self._place_alone(ask) for ask in asks]

    def _place_together(self, asks: list[group.Ask]) -> list[group.Outcome]:
        now = self.clock.now()
        with write_connection(self.sessions) as c:
            return placing.place_group(c, asks, now, self.rules)

    def _place_alone(self, ask: group.Ask) -> group.Outcome | Exception:
        """A checkout placed on its own, tried again if the database refuses the transaction;
        whatever still fails is this checkout's answer alone, never its group-mates'."""
        failure: Exception = RuntimeError("not tried")
        for _ in range(ALONE_TRIES):
            try:
                return self._place_together([ask])[0]
            except (DBAPIError, group_writes.StockMoved) as exc:
                failure = exc
            except Exception as exc:  # e.g. no pooled connection in time: not worth a retry
                return exc
        return failure

    # transitions ----------------------------------------------------------------------------
    def transition(self, order_id: int, target: OrderStatus, actor: str, reason: str = "") -> str:
        with transaction(self.sessions) as s:
            order = get_or_404(s, order_db.OrderRow, order_id, "order")
            order_db.move_order(s, order, Move(target, actor, reason), self.clock.now())
            status = order.status
        self._payments_ended([order_id] if target in order_db.ENDINGS else [])
        return status

    def _payments_ended(self, order_ids: list[int]) -> None:
        if self.payment_ends is not None and order_ids:
            self.payment_ends.after_commit(order_ids)

    def release_expired_holds(self) -> int:
        """Orders still unpaid past their hold expire, and their stock goes back on sale; the
        partner is asked to end their payments first (money's `expire_holds`), so one paid in
        time whose news is late is paid, not expired."""
        now = self.clock.now()
        with self.sessions() as s:
            due = s.scalars(
                select(order_db.OrderRow.id)
                .where(
                    order_db.OrderRow.status == OrderStatus.AWAITING_PAYMENT.value,
                    order_db.OrderRow.hold_expires_at <= now,
                )
                .order_by(order_db.OrderRow.hold_expires_at, order_db.OrderRow.id)
            ).all()
        if self.payment_ends is not None:
            return self.payment_ends.expire_holds(due, self.expire_hold)
        return sum(self.expire_hold(order_id) for order_id in due)

    def expire_hold(self, order_id: int) -> bool:
        """Expire one unpaid order whose hold ran out, in its own transaction: False if it was
        paid (or moved) meanwhile."""
        now = self.clock.now()
        try:
            with transaction(self.sessions) as s:
                order = s.get_one(order_db.OrderRow, order_id)
                if order.hold_expires_at > now:
                    return False
                move = Move(OrderStatus.EXPIRED, "system:hold-expiry", "no payment in time")
                order_db.move_order(s, order, move, now)
        except (OrderChanged, IllegalTransition):
            return False
        return True


# ----------------------------------------------------------------------------------------------
# The statements behind the use cases.


MAX_ADDRESSES = 20


def _address_view(row: buying_db.AddressRow) -> SavedAddress:
    return SavedAddress(row.id, row.label, *(getattr(row, k) for k in ADDRESS_FIELDS))


# Built once: the hot paths reuse the compiled statements (Core, no ORM unit of work).
_s = buying_db.BuyerSessionRow
_SESSION_BUYER = select(_s.buyer_id, _s.expires_at).where(_s.token_hash == bindparam("token_hash"))

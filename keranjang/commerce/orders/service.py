"""Orders after checkout: merchants fulfil their own (ship, deliver, cancel with a reason) and
buyers see and cancel their own. Each public method is one transaction."""

import re
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import Conflict, Invalid, NotFound, OrderChanged
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import Move, OrderStatus, OrderView
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction

TRACKING = re.compile(r"^[A-Za-z0-9-]{6,64}$")


class PaidOrderRefunds(Protocol):
    """Money's part in cancelling a paid order (money sits above orders; bootstrap hands its
    refund service in)."""

    def refund_and_cancel(self, order_id: int, merchant_id: int, reason: str) -> None:
        """Refund the order in full through the partner; it is cancelled once the money is
        back with the buyer."""

    def in_flight(self, s: Session, order_id: int) -> bool:
        """Whether a refund of the order is still at the partner (in the caller's transaction)."""


class PaymentEnds(Protocol):
    """Money's part in an order that ended unpaid: its open payment is ended at the partner,
    asked once the order's transaction has committed (bootstrap hands it in)."""

    def after_commit(self, order_ids: Sequence[int]) -> None:
        """End the payments of these orders, just ended; never raises (what fails is retried)."""

    def expire_holds(self, order_ids: Sequence[int], expire: Callable[[int], bool]) -> int:
        """Expire these orders, whose hold ran out, once the partner has ended their payments
        (`expire` expires one, in its own transaction); an order the partner says was paid in
        time is paid instead. How many expired."""


class FulfilmentService:
    # Filled in by bootstrap: without it, payments are ended by money's periodic job alone.
    payment_ends: PaymentEnds | None = None

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        refunds: PaidOrderRefunds | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.refunds = refunds

    # merchants ------------------------------------------------------------------------------
    def merchant_orders(
        self, merchant_id: int, status: OrderStatus | None = None
    ) -> list[OrderView]:
        with self.sessions() as s:
            query = select(order_db.OrderRow).where(order_db.OrderRow.merchant_id == merchant_id)
            if status is not None:
                query = query.where(order_db.OrderRow.status == status.value)
            rows = s.scalars(query.order_by(order_db.OrderRow.id.desc()).limit(200))
            return [order_db.order_view(s, row) for row in rows]

    def merchant_order(self, merchant_id: int, order_id: int) -> OrderView:
        """One of the shop's orders, with its history."""
        with self.sessions() as s:
            order = _owned(s, order_id, merchant_id=merchant_id)
            return order_db.with_history(s, order_db.order_view(s, order))

    def merchant_figures(self, merchant_id: int) -> dict[OrderStatus, tuple[int, int]]:
        """Per status: how many of the shop's orders, and their total in rupiah (all of them)."""
        query = (
            select(
                order_db.OrderRow.status,
                func.count(),
                func.coalesce(func.sum(order_db.OrderRow.total_idr), 0),
            )
            .where(order_db.OrderRow.merchant_id == merchant_id)
            .group_by(order_db.OrderRow.status)
        )
        with self.sessions() as s:
            return {
                OrderStatus(status): (int(n), int(total)) for status, n, total in s.execute(query)
            }

    def ship(self, merchant_id: int, order_id: int, tracking_number: str) -> OrderView:
        if not TRACKING.match(tracking_number):
            raise Invalid(
                "tracking_number must be 6 to 64 letters, digits or '-'",
                code="tracking_number",
                params={"field": "tracking_number"},
            )
        move = Move(OrderStatus.SHIPPED, f"merchant:{merchant_id}")
        return self._merchant_move(order_id, merchant_id, move, tracking=tracking_number)

    def deliver(self, merchant_id: int, order_id: int) -> OrderView:
        move = Move(OrderStatus.DELIVERED, f"merchant:{merchant_id}")
        return self._merchant_move(order_id, merchant_id, move)

    def merchant_cancel(self, merchant_id: int, order_id: int, reason: str) -> OrderView:
        """Cancel an order; a paid one is refunded in full through the partner first, and is
        cancelled once the money is back with the buyer. An unpaid order is cancelled only if it
        is still unpaid when the cancel commits: paid meanwhile, it takes the refund's way."""
        if not reason.strip():
            raise Invalid(
                "say why the order is cancelled: the buyer reads the reason",
                code="cancel_reason",
                params={"field": "reason"},
            )
        for _ in range(2):
            with self.sessions() as s:
                status = OrderStatus(_owned(s, order_id, merchant_id=merchant_id).status)
            if status == OrderStatus.PAID and self.refunds is not None:
                self.refunds.refund_and_cancel(order_id, merchant_id, reason.strip())
                return self.merchant_order(merchant_id, order_id)
            try:
                move = Move(OrderStatus.CANCELLED, f"merchant:{merchant_id}", reason.strip())
                cancelled = self._merchant_move(order_id, merchant_id, move, expected=status)
            except OrderChanged:
                continue  # paid (or moved) while deciding: decide again on what it is now
            self._payment_ended(order_id)
            return cancelled
        raise OrderChanged("the order changed while it was being cancelled; reload it and retry")

    def _merchant_move(
        self,
        order_id: int,
        merchant_id: int,
        move: Move,
        *,
        tracking: str | None = None,
        expected: OrderStatus | None = None,
    ) -> OrderView:
        """Move the merchant's order, locked for the transaction: a refund reserved meanwhile
        waits for it, and one still at the partner keeps the goods from shipping."""
        with transaction(self.sessions) as s:
            order = _owned(s, order_id, merchant_id=merchant_id, lock=True)
            if expected is not None and order.status != expected.value:
                raise OrderChanged(
                    f"order {order.number} is {order.status} now, not {expected.value}"
                )
            if move.target == OrderStatus.SHIPPED and self._refund_in_flight(s, order.id):
                raise Conflict(
                    "a refund of this order is still at the payment partner",
                    code="refund_in_flight",
                )
            order_db.move_order(s, order, move, self.clock.now())
            if tracking is not None:
                order.tracking_number = tracking
            return order_db.order_view(s, order)

    def _payment_ended(self, order_id: int) -> None:
        if self.payment_ends is not None:
            self.payment_ends.after_commit([order_id])

    def _refund_in_flight(self, s: Session, order_id: int) -> bool:
        return self.refunds is not None and self.refunds.in_flight(s, order_id)

    # buyers ---------------------------------------------------------------------------------
    def buyer_orders(self, buyer_id: int) -> list[OrderView]:
        with self.sessions() as s:
            rows = s.scalars(
                select(order_db.OrderRow)
                .where(order_db.OrderRow.buyer_id == buyer_id)
                .order_by(order_db.OrderRow.id.desc())
                .limit(200)
            )
            return [order_db.order_view(s, row) for row in rows]

    def buyer_order(self, buyer_id: int, order_id: int) -> OrderView:
        """One of the buyer's orders, with its history."""
        with self.sessions() as s:
            order = _owned(s, order_id, buyer_id=buyer_id)
            return order_db.with_history(s, order_db.order_view(s, order))

    def buyer_cancel(self, buyer_id: int, order_id: int, reason: str) -> OrderView:
        with transaction(self.sessions) as s:
            order = _owned(s, order_id, buyer_id=buyer_id)
            if order.status != OrderStatus.AWAITING_PAYMENT.value:
                raise Conflict(
                    "only an unpaid order can be cancelled here; ask the shop to cancel a paid one",
                    code="buyer_cancel_unpaid_only",
                )
            actor = f"buyer:{buyer_id}"
            move = Move(OrderStatus.CANCELLED, actor, reason.strip())
            order_db.move_order(s, order, move, self.clock.now())
            cancelled = order_db.order_view(s, order)
        self._payment_ended(order_id)
        return cancelled


def _owned(
    s: Session,
    order_id: int,
    *,
    merchant_id: int | None = None,
    buyer_id: int | None = None,
    lock: bool = False,
) -> order_db.OrderRow:
    """The order, if it belongs to this merchant or buyer; someone else's order is not found.
    With `lock`, the row is locked until the transaction ends (PostgreSQL; SQLite has one
    writer at a time)."""
    order = s.get(order_db.OrderRow, order_id, with_for_update=lock or None)
    mine = order is not None and (
        order.merchant_id == merchant_id if merchant_id is not None else order.buyer_id == buyer_id
    )
    if order is None or not mine:
        raise NotFound(
            f"no order with id {order_id} in your account",
            code="not_your_order",
            params={"id": order_id},
        )
    return order

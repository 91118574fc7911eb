"""TODO docstring."""

import enum
from dataclasses import dataclass
from datetime import datetime

from keranjang.commerce.errors import IllegalTransition


class OrderStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    # Taken back by the old in-app shop with its merchant (a migration's rollback): the app owns
    # the order and its payment now, so nothing here ends, cancels or refunds it.
    RETURNED = "returned"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.AWAITING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.EXPIRED}),
    S.PAID: frozenset({S.SHIPPED, S.CANCELLED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REFUNDED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.REFUNDED}),
    # Refundable until its refund window closes (the refund use case checks the window).
    S.COMPLETED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REFUNDED: frozenset(),
    S.RETURNED: frozenset(),
}
# Stock goes back on the shelf when an order ends before it ships.
RESTOCKING = frozenset({S.CANCELLED, S.EXPIRED})
# Orders not (or never) paid; orders paid and not ended; orders that ended unpaid.
UNPAID = frozenset({S.AWAITING_PAYMENT.value, S.EXPIRED.value})
PAID_ORDERS = frozenset({S.PAID.value, S.SHIPPED.value, S.DELIVERED.value, S.COMPLETED.value})
ENDED_UNPAID = frozenset({S.CANCELLED.value, S.EXPIRED.value})


def check_transition(current: OrderStatus, target: OrderStatus) -> OrderStatus:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: the order is final"
        raise IllegalTransition(
            f"an order that is {current.value} cannot become {target.value} (allowed: {allowed})",
            params={"status": current.value, "target": target.value},
        )
    return target


@dataclass(frozen=True)
class Move:
    """An order asked to become `target` by `actor` (its kind and id: `merchant:7`) for
    `reason`, which its buyer reads."""

    target: OrderStatus
    actor: str
    reason: str = ""


@dataclass(frozen=True)
class LineView:
    product_id: int
    title: str
    unit_price_idr: int
    quantity: int


@dataclass(frozen=True)
class HistoryEntry:
    """One transition: to what, when, by which kind of actor (buyer, merchant, partner, system)
    and why."""

    status: str
    at: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class OrderView:
    """An order as its buyer and its merchant see it. `invoice_number` once it is invoiced;
    `history` only where one order is shown."""

    id: int
    number: str
    merchant_id: int
    status: str
    subtotal_idr: int
    shipping_idr: int
    total_idr: int
    refunded_idr: int
    tracking_number: str | None
    shipping_address: dict[str, str]
    hold_expires_at: datetime
    created_at: datetime
    lines: tuple[LineView, ...]
    invoice_number: str | None = None
    history: tuple[HistoryEntry, ...] | None = None

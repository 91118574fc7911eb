"""What to end at the partner when an order ends unpaid: every id the partner may know one of
its payments by. Commerce names a payment's tries `<number>`, `<number>-2`, … (`partner_order_id`)
and takes them in turn, never skipping one (`PayingService.create_at_partner`), so:

- the order's own payment: every try up to the one stored, then the next ones while the partner
  knows them (a create whose answer never reached commerce: it timed out, or commerce stopped),
  up to `MAX_ATTEMPTS` more;
- a checkout's one payment (`KRG-…`) for several orders: the same, for its tries, once no other
  of its orders still awaits payment (whichever of them ends last ends it); until then it is
  kept, with why.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.paying import MAX_ATTEMPTS
from keranjang.commerce.money.payment_news import (
    PARTNER_ORDER_ID,
    order_number_and_attempt,
    paid_through,
    partner_order_id,
)
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.payments import Ending


@dataclass(frozen=True)
class Tries:
    """One payment's ids at the partner: tries 1 to `known` are each asked to end; from
    `probe_from` on, one more at a time, until the partner knows none (at most MAX_ATTEMPTS)."""

    number: str
    known: int
    probe_from: int

    def asked(self) -> list[tuple[str, bool]]:
        """Each id to ask, and whether it is a probe (its being unknown ends the asking)."""
        ids = [(partner_order_id(self.number, a), False) for a in range(1, self.known + 1)]
        probes = range(self.probe_from, self.probe_from + MAX_ATTEMPTS)
        return ids + [(partner_order_id(self.number, a), True) for a in probes]


@dataclass(frozen=True)
class Target:
    """What ending one order's payments asks of the partner. `attempt` is the order's stored
    payment attempt when it was read (None: it had none), so an answer is only taken as final
    for what was read; `kept` says why a checkout's payment is not ended (yet)."""

    payments: tuple[Tries, ...]
    ending: Ending
    attempt: int | None
    kept: str = ""


def target_of(
    s: Session, order: order_db.OrderRow, ending: Ending, expiring_at: datetime | None = None
) -> Target:
    """The payments to end for `order`. `expiring_at`: the order is being expired with every
    other order whose hold ran out by then, so those do not keep a checkout's payment open."""
    payment = s.scalar(select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order.id))
    tries, kept = [_own(order.number, payment)], ""
    checkout = _checkout_number(s, order.id)
    if checkout is not None:
        still_open = _open_together(s, order.id, expiring_at)
        if still_open:
            kept = f"kept: {checkout} still pays {', '.join(still_open)}"
        else:
            known = _known_checkout_try(s, checkout)
            tries.insert(0, Tries(checkout, known, known + 1))
    return Target(tuple(tries), ending, None if payment is None else payment.attempt, kept)


def _own(number: str, payment: money_db.PaymentRow | None) -> Tries:
    """The order's own tries. A payment through a checkout's one payment at try n means the
    order's own tries, if any were made since, start at n + 1 (`PayingService.start`)."""
    if payment is None:
        return Tries(number, 0, 1)
    if paid_through(payment, number) == partner_order_id(number, payment.attempt):
        return Tries(number, payment.attempt, payment.attempt + 1)
    return Tries(number, 0, payment.attempt + 1)


def _checkout_number(s: Session, order_id: int) -> str | None:
    link, c = money_db.CheckoutPaymentOrderRow, money_db.CheckoutPaymentRow
    return s.scalar(
        select(c.number)
        .join(link, link.checkout_payment_id == c.id)
        .where(link.order_id == order_id)
        .limit(1)
    )


def _known_checkout_try(s: Session, checkout: str) -> int:
    """The latest try of the checkout's payment that any of its orders stored (0: none did)."""
    link, c, p = money_db.CheckoutPaymentOrderRow, money_db.CheckoutPaymentRow, money_db.PaymentRow
    orders = (
        select(link.order_id).join(c, c.id == link.checkout_payment_id).where(c.number == checkout)
    )
    known = 0
    for row in s.scalars(select(p.instructions).where(p.order_id.in_(orders))):
        named = json.loads(row).get(PARTNER_ORDER_ID)
        number, attempt = order_number_and_attempt(str(named or ""))
        if number == checkout:
            known = max(known, attempt)
    return known


def _open_together(s: Session, order_id: int, expiring_at: datetime | None) -> list[str]:
    """The other orders of this order's checkout payment still awaiting payment (and, while
    expiring, whose hold has not run out)."""
    link, o = money_db.CheckoutPaymentOrderRow, order_db.OrderRow
    checkout = select(link.checkout_payment_id).where(link.order_id == order_id)
    together = select(link.order_id).where(link.checkout_payment_id.in_(checkout))
    query = select(o.number).where(
        o.id.in_(together), o.id != order_id, o.status == OrderStatus.AWAITING_PAYMENT.value
    )
    if expiring_at is not None:
        query = query.where(o.hold_expires_at > expiring_at)
    return list(s.scalars(query.order_by(o.id)))

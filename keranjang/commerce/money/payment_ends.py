"""An order that ended unpaid has its open payment ended at the partner, so the buyer cannot pay
into an order that no longer exists.

The order's cancel (by its buyer, its shop or an operator) or expiry (the hold's sweeper) writes
a request (`orders.db.PaymentEndRow`) in the transaction that ends it. Once that has committed,
`after_commit` asks the partner (and `drain`, periodically, asks for whatever is still due): a
network call never runs inside a transaction. The partner's answer, for each attempt the order
was given at the partner (a replaced attempt can still be open there):

- ended (cancelled or expired): recorded as the partner's news of it would be;
- paid meanwhile (`AlreadyPaid`): applied as its notification would be: the order has ended, so
  the money is booked as owed back and returned to the buyer (`payment_news`, under a fixed key:
  the notification arriving too changes nothing more);
- not known at the partner: nothing to end;
- the partner out of reach: asked again later, each delay longer (`RETRY_DELAYS`), until it
  answers; any other refusal is kept, with the partner's words, for an operator.

A checkout's one payment (`KRG-…`) for several orders is ended only once every order it pays has
ended, never while it still pays an open order: whichever of them ends last ends it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.news_together import is_checkout_payment
from keranjang.commerce.money.paying import PayingService
from keranjang.commerce.money.payment_news import paid_through, partner_order_id
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.payments import (
    AlreadyPaid,
    Ending,
    PartnerUnavailable,
    PaymentError,
    PaymentPartner,
    UnknownPayment,
)

log = structlog.get_logger(__name__)
PENDING, DONE, REFUSED = "pending", "done", "refused"
# Seconds to wait after each failed try while the partner is out of reach; the last repeats.
RETRY_DELAYS = (30, 60, 120, 300, 900, 1800, 3600)
BATCH = 100


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])


@dataclass(frozen=True)
class Target:
    """What to end at the partner for one request: the ids it knows the order's payment by."""

    partner_ids: tuple[str, ...]
    ending: Ending


class PaymentEndingService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        partner: PaymentPartner,
        paying: PayingService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner = partner
        self.paying = paying

    def after_commit(self, order_ids: Iterable[int]) -> None:
        """End the payments of orders whose end has just committed. Never raises: what could
        not be done now stays due, and `drain` does it later."""
        e = order_db.PaymentEndRow
        for order_id in order_ids:
            try:
                with self.sessions() as s:
                    found = s.scalar(
                        select(e.id).where(e.order_id == order_id, e.status == PENDING)
                    )
                if found is not None:
                    self.end(found)
            except (DBAPIError, PaymentError) as exc:
                log.warning("payment_end_deferred", order_id=order_id, error=str(exc))

    def drain(self) -> int:
        """End every payment whose request is due; how many were ended (or found ended)."""
        e = order_db.PaymentEndRow
        with self.sessions() as s:
            due = list(
                s.scalars(
                    select(e.id)
                    .where(e.status == PENDING, e.next_at <= self.clock.now())
                    .order_by(e.id)
                    .limit(BATCH)
                )
            )
        return sum(self.end(row_id) for row_id in due)

    def end(self, row_id: int) -> bool:
        """Ask the partner to end one request's payment; whether it is done."""
        target = self._target(row_id)
        if not isinstance(target, Target):
            if target is not None:
                self._finish(row_id, DONE, target)
            return target is not None
        done = []
        for partner_id in target.partner_ids:
            try:
                ended = self.partner.cancel(partner_id, target.ending)
                done.append(f"{partner_id} {self.paying.apply_status(ended)}")
            except AlreadyPaid as paid:
                done.append(f"{partner_id} paid: {self.paying.apply_status(paid.event)}")
            except UnknownPayment:
                done.append(f"{partner_id} unknown at the partner")
            except PartnerUnavailable as exc:
                self._later(row_id, str(exc))
                return False
            except PaymentError as exc:
                self._finish(row_id, REFUSED, f"{partner_id}: {exc}")
                return False
        self._finish(row_id, DONE, "; ".join(done))
        return True

    def _target(self, row_id: int) -> Target | str | None:
        """What to end (None: nothing is due; words: nothing to end, and why)."""
        with self.sessions() as s:
            row = s.get(order_db.PaymentEndRow, row_id)
            if row is None or row.status != PENDING:
                return None
            order = s.get_one(order_db.OrderRow, row.order_id)
            payment = s.scalar(
                select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order.id)
            )
            if payment is None:
                return "no payment was made for it"
            through = paid_through(payment, order.number)
            if not is_checkout_payment(through):
                attempts = range(1, payment.attempt + 1)
                ids = tuple(partner_order_id(order.number, a) for a in attempts)
                return Target(ids, Ending(row.ending))
            still_open = _open_together(s, order.id)
            if still_open:
                return f"kept: {through} still pays {', '.join(still_open)}"[:300]
            return Target((through,), Ending(row.ending))

    def _later(self, row_id: int, error: str) -> None:
        now = self.clock.now()
        with transaction(self.sessions) as s:
            row = s.get_one(order_db.PaymentEndRow, row_id, with_for_update=True)
            row.attempts += 1
            row.next_at = now + retry_delay(row.attempts)
            row.outcome, row.updated_at = error[:300], now
        log.warning("payment_end_retried", request=row_id, attempts=row.attempts, error=error)

    def _finish(self, row_id: int, status: str, outcome: str) -> None:
        with transaction(self.sessions) as s:
            row = s.get_one(order_db.PaymentEndRow, row_id, with_for_update=True)
            row.status, row.outcome, row.updated_at = status, outcome[:300], self.clock.now()
        log.info("payment_end", request=row_id, status=status, outcome=outcome)


def _open_together(s: Session, order_id: int) -> list[str]:
    """The other orders of this order's checkout payment still awaiting payment."""
    link, o = money_db.CheckoutPaymentOrderRow, order_db.OrderRow
    checkout = select(link.checkout_payment_id).where(link.order_id == order_id)
    together = select(link.order_id).where(link.checkout_payment_id.in_(checkout))
    return list(
        s.scalars(
            select(o.number).where(
                o.id.in_(together),
                o.id != order_id,
                o.status == OrderStatus.AWAITING_PAYMENT.value,
            )
        )
    )

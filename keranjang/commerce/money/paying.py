"""Paying for orders through a payment partner: start a payment for an unpaid order, and turn the
partner's verified notifications into order transitions, each exactly once."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import structlog
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import (
    Conflict,
    NotFound,
    PaymentTooLate,
    PaymentUnavailable,
)
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.domain import (
    ENDED_PAYMENTS,
    MONEY_IN,
    Choice,
    PaymentOutcome,
    PaymentView,
    payment_lifetime,
)
from keranjang.commerce.money.news_together import apply_together, is_checkout_payment
from keranjang.commerce.money.payment_news import NO_SUCH_ORDER, apply, partner_order_id
from keranjang.commerce.money.payment_rows import payment_ends, payment_row, view
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import PAID_ORDERS, OrderStatus
from keranjang.infra.batching import Batcher
from keranjang.infra.clock import Clock
from keranjang.infra.counters import counter
from keranjang.infra.database import transaction, write_connection
from keranjang.payments import (
    CreatedPayment,
    DuplicateOrder,
    NewPayment,
    PaymentError,
    PaymentEvent,
    PaymentMethod,
    PaymentPartner,
    UnknownPayment,
)

log = structlog.get_logger(__name__)
MAX_ATTEMPTS = 5
UNKNOWN_AT_PARTNER = "ignored: the partner has no payment with this order id"
# Verified notifications that match nothing: `kind` is unknown_order (commerce has no such
# order), unknown_at_partner (the partner's status says it has no such payment) or unconfirmed
# (the partner's status disagrees with the notification).
ANOMALIES = counter(
    "keranjang_payment_anomalies",
    "Verified payment notifications that match no order or payment, by kind",
    ["kind"],
)


def anomaly(kind: str, event: PaymentEvent, **facts: str) -> None:
    ANOMALIES.labels(kind=kind).inc()
    log.warning(
        "payment_anomaly", kind=kind, order=event.order_id, notified=event.status.value, **facts
    )


REPLACED_COLUMNS: tuple[str, ...] = (
    "attempt",
    "partner",
    "partner_transaction_id",
    "method",
    "amount_idr",
)
REPLACED_COLUMNS += ("status", "instructions", "updated_at")


@dataclass(frozen=True)
class PlacedOrder:
    """What paying needs of an order checkout has just placed (read from its answer)."""

    id: int
    number: str
    total_idr: int
    hold_expires_at: datetime


class PayingService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        partner: PaymentPartner,
        finish_url: str,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner = partner
        self.finish_url = finish_url.rstrip("/")
        self._first_payments: Batcher[money_db.PaymentRow, bool] = Batcher(
            "first-payments", self._insert_firsts
        )

    def start(self, buyer_id: int, order_id: int, method: PaymentMethod | Choice) -> PaymentView:
        """The payment of the buyer's unpaid order; asking again returns the same payment. A
        payment the partner ended, or one of another method or bank than asked (the buyer's
        choice is honoured), is replaced by a new attempt, which expires when the order's hold
        does. An order that ended unpaid, or whose hold has (nearly) run out, gets no payment
        (409); a paid order answers the payment that paid it."""
        choice = method if isinstance(method, Choice) else Choice(method)
        with self.sessions() as s:
            order = s.get(order_db.OrderRow, order_id)
            if order is None or order.buyer_id != buyer_id:
                raise NotFound(
                    f"no order with id {order_id} in your account",
                    code="not_your_order",
                    params={"id": order_id},
                )
            existing = s.scalar(
                select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order_id)
            )
            if order.status != OrderStatus.AWAITING_PAYMENT.value:
                if (
                    existing is not None
                    and existing.status in MONEY_IN
                    and order.status in PAID_ORDERS
                ):
                    return view(existing)  # what paid it: no new payment for a paid order
                left = (
                    "nothing is left to pay"
                    if order.status in PAID_ORDERS
                    else "it can no longer be paid"
                )
                raise Conflict(
                    f"order {order.number} is {order.status}: {left}",
                    code="already_paid" if order.status in PAID_ORDERS else "not_payable",
                    params={"number": order.number},
                )
            if existing is not None and existing.status not in ENDED_PAYMENTS:
                # Payable until the hold ends, or the payment itself does (a little before).
                ends = min(order.hold_expires_at, payment_ends(existing) or order.hold_expires_at)
                if self.clock.now() >= ends:
                    raise PaymentTooLate.for_order(order.number, order.hold_expires_at)
                if choice.honoured_by(existing.method, json.loads(existing.instructions)):
                    return view(existing)
            new = self._new_payment(
                order_id, order.number, order.total_idr, choice, order.hold_expires_at
            )
            replaced = None if existing is None else existing.attempt
            unpaid = None if existing is None else existing.status
        created, attempt = self.create_at_partner(new, 1 if replaced is None else replaced + 1)
        return self._keep(order_id, created, attempt, replaced, unpaid=unpaid)

    def payment_of(self, buyer_id: int, order_id: int) -> PaymentView | None:
        """The buyer's order's payment as stored, if it has one."""
        p, o = money_db.PaymentRow, order_db.OrderRow
        with self.sessions() as s:
            mine = select(p).join(o, o.id == p.order_id)
            row = s.scalar(mine.where(p.order_id == order_id, o.buyer_id == buyer_id))
            return None if row is None else view(row)

    def pay_placed_orders(
        self, buyer_id: int, placed: Sequence[PlacedOrder], method: Choice, replayed: bool
    ) -> list[PaymentOutcome]:
        """Payments for orders checkout has just placed, one per order, created at the partner
        right after the orders commit (a network call never runs inside a transaction). A new
        checkout's orders have no payment yet, so each costs the partner call and one INSERT; a
        replayed checkout finds the payments it made before. When the partner cannot take one,
        the order says so and stays payable later through `start`; an order of a replayed
        checkout that has ended since says why it has no payment."""
        outcomes = []
        for order in placed:
            try:
                if replayed:
                    payment = self.start(buyer_id, order.id, method)
                else:
                    payment = self._first_payment(order, method)
                outcomes.append(PaymentOutcome(order.id, payment))
            except (PaymentUnavailable, Conflict) as exc:
                outcomes.append(PaymentOutcome(order.id, None, str(exc)))
        return outcomes

    def _first_payment(self, order: PlacedOrder, method: Choice) -> PaymentView:
        new = self._new_payment(
            order.id, order.number, order.total_idr, method, order.hold_expires_at
        )
        created, attempt = self.create_at_partner(new, 1)
        return self._keep(order.id, created, attempt, None)

    def _new_payment(
        self,
        order_id: int,
        number: str,
        total_idr: int,
        method: Choice | PaymentMethod,
        hold_expires_at: datetime,
    ) -> NewPayment:
        """The payment to ask the partner for, payable no longer than the order's stock is held
        (raises `PaymentTooLate` when that is too soon)."""
        choice = method if isinstance(method, Choice) else Choice(PaymentMethod(method))
        return NewPayment(
            order_id=number,
            gross_amount=total_idr,
            method=choice.method,
            va_bank=choice.va_bank,
            description=f"Keranjang order {number}",
            finish_redirect_url=f"{self.finish_url}/orders/{order_id}",
            expires_in=payment_lifetime(number, hold_expires_at, self.clock.now()),
        )

    def create_at_partner(self, new: NewPayment, attempt: int) -> tuple[CreatedPayment, int]:
        """Create the payment at the partner under the first unused attempt id from `attempt`.

        The partner refuses an order id it has seen. If commerce stopped between the partner's
        answer and storing it, or a concurrent request took the id, the order id is taken but
        commerce has no payment for it: the next attempt id is free, so the order stays payable.
        """
        number = new.order_id
        for tried in range(attempt, attempt + MAX_ATTEMPTS):
            try:
                return self.partner.create_payment(
                    replace(new, order_id=partner_order_id(number, tried))
                ), tried
            except DuplicateOrder:
                continue
            except PaymentError as exc:
                raise PaymentUnavailable(
                    f"the payment partner could not take the payment: {exc}",
                    code="partner_down",
                ) from exc
        raise PaymentUnavailable(
            f"the payment partner already holds {MAX_ATTEMPTS} payments for order {number}",
            code="too_many_payments",
            params={"number": number},
        )

    def _keep(
        self,
        order_id: int,
        created: CreatedPayment,
        attempt: int,
        replaced: int | None,
        *,
        unpaid: str | None = None,
    ) -> PaymentView:
        """Store the partner's payment: one INSERT for an order's first, or a replacement of the
        attempt (ended, or of another method) if it is as it was read (not paid meanwhile). If
        another request stored one meanwhile, that one is the order's."""
        row = payment_row(order_id, self.partner.name, created, attempt, self.clock.now())
        if replaced is None:
            if self._first_payments(row):
                return view(row)
            return self._current(order_id)
        try:
            with transaction(self.sessions) as s:
                values = {c: getattr(row, c) for c in REPLACED_COLUMNS}
                done = s.execute(  # only if that attempt is still ended (not paid meanwhile)
                    update(money_db.PaymentRow)
                    .where(
                        money_db.PaymentRow.order_id == order_id,
                        money_db.PaymentRow.attempt == replaced,
                        money_db.PaymentRow.status.in_(ENDED_PAYMENTS | {unpaid or ""}),
                    )
                    .values(**values)
                )
                if done.rowcount == 1:  # type: ignore[attr-defined]
                    return view(row)
        except IntegrityError:
            pass
        return self._current(order_id)

    def _current(self, order_id: int) -> PaymentView:
        with self.sessions() as s:
            current = s.scalars(
                select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order_id)
            )
            return view(current.one())

    def _insert_firsts(self, rows: Sequence[money_db.PaymentRow]) -> list[bool | Exception]:
        """Orders' first payments, all in one INSERT (payments created at the same moment share
        a transaction); whether each was stored, or the order had one stored meanwhile."""
        try:
            self._insert(rows)
            return [True] * len(rows)
        except DBAPIError:  # one bad row must not fail its batch-mates: each on its own
            return [self._insert_alone(row) for row in rows]

    def _insert_alone(self, row: money_db.PaymentRow) -> bool | Exception:
        try:
            self._insert([row])
            return True
        except IntegrityError:  # another request stored this order's payment meanwhile
            return False
        except DBAPIError as exc:
            return exc

    def _insert(self, rows: Sequence[money_db.PaymentRow]) -> None:
        with write_connection(self.sessions) as c:
            c.execute(_INSERT_PAYMENTS, [{k: getattr(r, k) for k in _COLUMNS} for r in rows])

    def _unconfirmed(self, event: PaymentEvent) -> str | None:
        """A settlement moves money, so it is checked with the partner's status API before the
        order is paid (the notification's signature does not cover every field): None when the
        partner confirms it, else what is done instead. A partner that says for certain it has
        no such payment gets a final answer (it would otherwise retry for a day); one that
        cannot answer raises `PaymentUnavailable`, and the partner retries later."""
        try:
            current = self.partner.status(event.order_id)
        except UnknownPayment:
            anomaly("unknown_at_partner", event)
            return UNKNOWN_AT_PARTNER
        except PaymentError as exc:
            raise PaymentUnavailable(
                f"could not confirm the payment with the partner: {exc}",
                code="partner_down",
            ) from exc
        same = (current.partner_transaction_id, current.gross_amount) == (
            event.partner_transaction_id,
            event.gross_amount,
        )
        if current.is_paid and same:
            return None
        anomaly("unconfirmed", event, partner_says=current.status.value)
        return "held: the partner's status does not confirm this payment"

    def _seen(self, event: PaymentEvent) -> bool:
        key = money_db.PaymentEventRow.dedupe_key
        with self.sessions() as s:
            return s.scalar(select(key).where(key == event.dedupe_key)) is not None

    def notified(self, headers: Mapping[str, str], body: bytes) -> str:
        """Handle one notification exactly once; raises `NotificationRejected` for anything not
        genuine. Returns what was done, for the log and the partner's record."""
        event = self.partner.parse_notification(headers, body)
        if event.is_paid:  # a settlement is confirmed with the partner first, copies are not
            if self._seen(event):
                return "duplicate: already handled"
            refused = self._unconfirmed(event)
            if refused is not None:
                return refused
        outcome = self._once(event)  # other news: a copy stops at the event's unique key
        if outcome == NO_SUCH_ORDER:  # answered 200 all the same: the partner stops sending it
            anomaly("unknown_order", event)
        log.info("payment_notification", order=event.order_id, status=event.status, outcome=outcome)
        return outcome

    def apply_status(self, event: PaymentEvent) -> str:
        """Apply what a status lookup answered as its notification would have been applied
        (reconciliation's way to close a lost notification). It shares the notification's
        dedupe key, so the notification arriving later is a duplicate."""
        outcome = self._once(event)
        log.info(
            "payment_status_applied", order=event.order_id, status=event.status, outcome=outcome
        )
        return outcome

    def _once(self, event: PaymentEvent) -> str:
        """Apply the event in one transaction, unless an event with its dedupe key was: the
        event is recorded last, with what was done, and a copy recorded before stops there
        (its unique key) and rolls back what it did."""
        now = self.clock.now()
        try:
            with transaction(self.sessions) as s:
                applying = apply_together if is_checkout_payment(event.order_id) else apply
                outcome = applying(s, event, self.partner.name, now)
                s.execute(
                    _INSERT_EVENT,
                    {
                        "dedupe_key": event.dedupe_key,
                        "order_number": event.order_id,
                        "status": event.status.value,
                        "amount_idr": event.gross_amount,
                        "outcome": outcome,
                        "received_at": now,
                    },
                )
        except IntegrityError:
            if not self._seen(event):  # not a copy: a real conflict, the partner must retry
                raise
            outcome = "duplicate: already handled"
        return outcome


_INSERT_PAYMENTS = insert(money_db.PaymentRow.__table__)  # type: ignore[arg-type]
_INSERT_EVENT = insert(money_db.PaymentEventRow.__table__)  # type: ignore[arg-type]
_COLUMNS = [c.key for c in money_db.PaymentRow.__table__.columns if c.key != "id"]

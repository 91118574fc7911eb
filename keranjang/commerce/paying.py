"""Paying for orders through a payment partner: start a payment for an unpaid order, and turn the
partner's verified notifications into order transitions, each exactly once."""

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce import domain
from keranjang.commerce import order_tables as t
from keranjang.commerce.orders import OrderStatus
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.payments import (
    CreatedPayment,
    NewPayment,
    PaymentError,
    PaymentEvent,
    PaymentMethod,
    PaymentPartner,
    PaymentStatus,
)

log = structlog.get_logger(__name__)
View = dict[str, object]


class PaymentUnavailable(domain.CommerceError):
    status = 503


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

    def start(self, buyer_id: int, order_id: int, method: PaymentMethod) -> View:
        """The payment of the buyer's unpaid order; asking again returns the same payment."""
        with self.sessions() as s:
            order = s.get(t.OrderRow, order_id)
            if order is None or order.buyer_id != buyer_id:
                raise domain.NotFound(f"no order with id {order_id} in your account")
            existing = s.scalar(select(t.PaymentRow).where(t.PaymentRow.order_id == order_id))
            if existing is not None:
                return _view(existing)
            if order.status != OrderStatus.AWAITING_PAYMENT.value:
                raise domain.Conflict(f"order {order.number} is {order.status}: nothing to pay")
            new = NewPayment(
                order_id=order.number,
                gross_amount=order.total_idr,
                method=method,
                description=f"Keranjang order {order.number}",
                finish_redirect_url=f"{self.finish_url}/orders/{order.id}",
            )
        created = self._create(new)  # a network call: never inside a database transaction
        with transaction(self.sessions) as s:
            row = _payment_row(order_id, self.partner.name, created, self.clock.now())
            s.add(row)
            s.flush()
            return _view(row)

    def pay_placed_orders(
        self, buyer_id: int, placed: list[View], method: PaymentMethod, replayed: bool
    ) -> list[View]:
        """Payments for orders checkout has just placed, one per order, created at the partner
        right after the orders commit (a network call never runs inside a transaction). A new
        checkout's orders have no payment yet, so each costs the partner call and one INSERT; a
        replayed checkout finds the payments it made before. When the partner cannot take one,
        the order says so and stays payable later through `start`."""
        paid_for = []
        for order in placed:
            try:
                if replayed:
                    payment = self.start(buyer_id, int(str(order["id"])), method)
                else:
                    payment = self._first_payment(order, method)
                paid_for.append(order | {"payment": payment})
            except PaymentUnavailable as exc:
                paid_for.append(order | {"payment": None, "payment_error": str(exc)})
        return paid_for

    def _first_payment(self, order: View, method: PaymentMethod) -> View:
        order_id, number = int(str(order["id"])), str(order["number"])
        new = NewPayment(
            order_id=number,
            gross_amount=int(str(order["total_idr"])),
            method=method,
            description=f"Keranjang order {number}",
            finish_redirect_url=f"{self.finish_url}/orders/{order_id}",
        )
        created = self._create(new)
        try:
            with transaction(self.sessions) as s:
                row = _payment_row(order_id, self.partner.name, created, self.clock.now())
                s.add(row)
                s.flush()
                return _view(row)
        except IntegrityError:  # the buyer started this order's payment meanwhile
            with self.sessions() as s:
                existing = s.scalars(select(t.PaymentRow).where(t.PaymentRow.order_id == order_id))
                return _view(existing.one())

    def _create(self, new: NewPayment) -> CreatedPayment:
        try:
            return self.partner.create_payment(new)
        except PaymentError as exc:
            raise PaymentUnavailable(
                f"the payment partner could not take the payment: {exc}"
            ) from exc

    def _confirmed(self, event: PaymentEvent) -> bool:
        """A settlement moves money, so it is checked with the partner's status API before the
        order is paid (the notification's signature does not cover every field). Raises
        `PaymentUnavailable` when the partner cannot answer: the partner then retries later."""
        try:
            current = self.partner.status(event.order_id)
        except PaymentError as exc:
            raise PaymentUnavailable(
                f"could not confirm the payment with the partner: {exc}"
            ) from exc
        same = (current.partner_transaction_id, current.gross_amount) == (
            event.partner_transaction_id,
            event.gross_amount,
        )
        if not (current.is_paid and same):
            log.warning(
                "payment_not_confirmed",
                order=event.order_id,
                notified=event.status,
                partner_says=current.status,
            )
        return current.is_paid and same

    def notified(self, headers: Mapping[str, str], body: bytes) -> str:
        """Handle one notification exactly once; raises `NotificationRejected` for anything not
        genuine. Returns what was done, for the log and the partner's record."""
        event = self.partner.parse_notification(headers, body)
        if event.is_paid and not self._confirmed(event):
            return "held: the partner's status does not confirm this payment"
        now = self.clock.now()
        try:
            with transaction(self.sessions) as s:
                seen = t.PaymentEventRow(
                    dedupe_key=event.dedupe_key,
                    order_number=event.order_id,
                    status=event.status.value,
                    amount_idr=event.gross_amount,
                    outcome="",
                    received_at=now,
                )
                s.add(seen)
                s.flush()  # the unique key: a notification seen before stops here
                seen.outcome = outcome = _apply(s, event, now)
        except IntegrityError:
            outcome = "duplicate: already handled"
        log.info("payment_notification", order=event.order_id, status=event.status, outcome=outcome)
        return outcome


def _apply(s: Session, event: PaymentEvent, now: datetime) -> str:
    order = s.scalar(select(t.OrderRow).where(t.OrderRow.number == event.order_id))
    if order is None:
        return "ignored: no such order"
    payment = s.scalar(select(t.PaymentRow).where(t.PaymentRow.order_id == order.id))
    if payment is not None:
        payment.status = event.status.value
        payment.updated_at = now
    if not event.is_paid:
        return f"recorded: {event.status.value}"
    if event.gross_amount != order.total_idr:
        log.warning("payment_amount_mismatch", order=order.number, paid=event.gross_amount)
        return f"held: paid {event.gross_amount} but the order totals {order.total_idr}"
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        return f"noted: order is already {order.status}"
    actor = "partner:" + event.partner_transaction_id[:30]
    t.move_order(s, order, OrderStatus.PAID, actor, "", now)
    s.flush()
    t.issue_invoice(s, order, now)
    return "order paid"


def _payment_row(
    order_id: int, partner: str, created: CreatedPayment, now: datetime
) -> t.PaymentRow:
    instructions = {
        "redirect_url": created.redirect_url,
        "virtual_account": asdict(created.virtual_account) if created.virtual_account else None,
        "qris": created.qris,
        "expires_at": created.expires_at.isoformat(),
    }
    return t.PaymentRow(
        order_id=order_id,
        partner=partner,
        partner_transaction_id=created.partner_transaction_id,
        method=created.method.value,
        amount_idr=created.gross_amount,
        status=created.status.value if created.status else PaymentStatus.PENDING.value,
        instructions=json.dumps(instructions),
        created_at=now,
        updated_at=now,
    )


def _view(row: t.PaymentRow) -> View:
    return {
        "order_id": row.order_id,
        "partner": row.partner,
        "partner_transaction_id": row.partner_transaction_id,
        "method": row.method,
        "amount_idr": row.amount_idr,
        "status": row.status,
        **json.loads(row.instructions),
    }

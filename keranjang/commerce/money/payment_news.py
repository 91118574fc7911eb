"""What a partner's news does to an order, inside the transaction that records the news once:
a payment marks the order paid (ledger entry, invoice); a second payment of an order already
paid or ended is booked as owed back and its refund queued; a payment's status only moves
forward. And how the partner names a payment attempt (`<number>` or `<number>-<attempt>`)."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.money.domain import RefundStage, RefundStatus
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import ENDED_UNPAID, Move, OrderStatus
from keranjang.payments import PaymentEvent, PaymentStatus

log = structlog.get_logger(__name__)
NO_SUCH_ORDER = "ignored: no such order"


@dataclass(frozen=True)
class News:
    """A verified paid event as this transaction applies it: from which partner, for which
    attempt, the partner's fee on it, and when."""

    event: PaymentEvent
    partner: str
    attempt: int
    fee_idr: int
    now: datetime


def apply(s: Session, event: PaymentEvent, partner: str, now: datetime) -> str:
    """Apply one verified event; returns what was done, in words."""
    number, attempt = order_number_and_attempt(event.order_id)
    # Locked: two payments of one order (two attempts) are applied one after the other.
    order = s.scalar(
        select(order_db.OrderRow).where(order_db.OrderRow.number == number).with_for_update()
    )
    if order is None:
        return NO_SUCH_ORDER
    if not event.is_paid:
        record(s, order, event, now)
        return f"recorded: {event.status.value}"
    if event.gross_amount != order.total_idr:
        record(s, order, event, now)
        log.warning("payment_amount_mismatch", order=order.number, paid=event.gross_amount)
        return f"held: paid {event.gross_amount} but the order totals {order.total_idr}"
    payment = _payment(s, order)
    method = event.method.value if event.method else (payment.method if payment else "")
    fee = ledger.partner_fee(method, event.gross_amount)
    return apply_paid(s, order, News(event, partner, attempt, fee, now))


def record(s: Session, order: order_db.OrderRow, event: PaymentEvent, now: datetime) -> None:
    """The order's payment takes the event's status, if the event is news of that payment."""
    payment = _payment(s, order)
    if payment is None or paid_through(payment, order.number) != event.order_id:
        return  # news of another attempt
    if _advances(payment.status, event):  # stale news is not
        payment.status = event.status.value
        payment.updated_at = now


def apply_paid(s: Session, order: order_db.OrderRow, news: News) -> str:
    """A verified payment of `news.event.gross_amount` for this order (all of a payment, or the
    order's share of a checkout's one payment): the order is paid, or the money owed back."""
    event, now = news.event, news.now
    record(s, order, event, now)
    payment = _payment(s, order)
    if order.status == OrderStatus.RETURNED.value:
        return "noted: the order went back to the old shop, which owns its payment"
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        if _paid_before(s, order, payment, event):
            return f"noted: order is already {order.status}"
        return _stray(s, order, news)
    actor = "partner:" + event.partner_transaction_id[:30]
    order_db.move_order(s, order, Move(OrderStatus.PAID, actor), now)
    ledger_entry = ledger.payment(
        order.id, order.number, news.partner, event.gross_amount, news.fee_idr
    )
    money_db.post(s, ledger_entry, now)
    _paid_by(s, order, payment, news)
    s.flush()
    money_db.issue_invoice(s, order, now)
    return "order paid"


def _payment(s: Session, order: order_db.OrderRow) -> money_db.PaymentRow | None:
    return s.scalar(select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order.id))


def paid_through(payment: money_db.PaymentRow, number: str) -> str:
    """The id the partner knows this payment by: the order's number and attempt, or the
    checkout's one payment that pays several orders (named in its instructions)."""
    named = json.loads(payment.instructions).get(PARTNER_ORDER_ID)
    return str(named) if named else partner_order_id(number, payment.attempt)


PARTNER_ORDER_ID = "partner_order_id"


def _paid_by(
    s: Session, order: order_db.OrderRow, payment: money_db.PaymentRow | None, news: News
) -> None:
    """The order's payment row names the attempt and transaction that paid it (an older attempt,
    or a hosted page's transaction id known only now), so refunds reach the money.

    An order paid while it has no payment row (commerce stopped after the partner created the
    payment and before storing it, or `start` has not stored its own yet) gets one now, made
    from the event. So every order paid from here on has a row naming the transaction that
    paid it, and `_paid_before` tells later news of that transaction under another dedupe key
    (a card's capture then settlement, Xendit's PAID then SETTLED) from a second payment,
    instead of returning the buyer's only payment. A row `PayingService` stores afterwards
    loses to this one on the order's unique key (it then answers this one)."""
    event, now = news.event, news.now
    if payment is None:
        payment = money_db.PaymentRow(
            order_id=order.id,
            partner=news.partner,
            method="",
            instructions=json.dumps(NO_INSTRUCTIONS),
            created_at=now,
        )
        s.add(payment)
    payment.attempt, payment.partner_transaction_id = news.attempt, event.partner_transaction_id
    payment.status, payment.amount_idr, payment.updated_at = (
        event.status.value,
        event.gross_amount,
        now,
    )
    if event.method is not None:
        payment.method = event.method.value
    instructions = json.loads(payment.instructions)
    instructions.pop(PARTNER_ORDER_ID, None)
    if event.order_id != partner_order_id(order.number, news.attempt):
        # Paid through a checkout's one payment: refunds and reconciliation go there.
        instructions[PARTNER_ORDER_ID] = event.order_id
    payment.instructions = json.dumps(instructions)


# What a payment row made from a paid event says of how to pay: nothing, it is paid.
NO_INSTRUCTIONS = {"redirect_url": None, "virtual_account": None, "qris": None, "expires_at": None}


def _paid_before(
    s: Session, order: order_db.OrderRow, payment: money_db.PaymentRow | None, event: PaymentEvent
) -> bool:
    """Whether this is news of the payment that paid the order (not a second payment): the
    order's payment is booked and its row names this transaction (`_paid_by` makes sure a paid
    order has that row)."""
    paid = money_db.posted(s, f"payment:{order.id}")
    return (
        paid
        and payment is not None
        and (payment.partner_transaction_id == event.partner_transaction_id)
    )


def _stray(s: Session, order: order_db.OrderRow, news: News) -> str:
    """A second payment (another attempt paid too), or a payment of an order that had ended:
    the money is recorded as owed back and a refund of it is queued (reconciliation asks the
    partner for it, with its key, until it succeeds). A late one (the order ended unpaid) is
    refunded under a fixed key. Each remembers how it was paid: a virtual account's goes back
    by bank transfer, since the partners' refund APIs take none."""
    event, now = news.event, news.now
    stray = ledger.StrayPayment(
        order.id,
        event.order_id,
        event.partner_transaction_id,
        news.partner,
        event.gross_amount,
        news.fee_idr,
    )
    entry = ledger.stray_payment(stray)
    if not money_db.post(s, entry, now):
        return f"noted: order is already {order.status}"
    late = order.status in ENDED_UNPAID
    s.add(
        money_db.RefundRow(
            order_id=order.id,
            refund_key=(
                late_refund_key(order.number, event.order_id, event.partner_transaction_id)
                if late
                else _new_key()
            ),
            paid_with=_method(s, order, event),
            amount_idr=event.gross_amount,
            shipping_idr=0,
            lines="{}",
            reason=f"paid again after the order was {order.status}: returned to the buyer",
            actor="system:stray-payment",
            stage=RefundStage.STRAY,
            partner_order_id=event.order_id,
            then_status=None,
            status=RefundStatus.REQUESTED,
            created_at=now,
            updated_at=now,
        )
    )
    log.warning("stray_payment", order=order.number, partner_order=event.order_id)
    return f"stray: order is already {order.status}; this payment is being returned"


def late_refund_key(number: str, partner_id: str, transaction: str) -> str:
    """The fixed key of the refund of a payment that landed after its order ended: one per
    order, partner payment and transaction (a partner may take two payments under one id: Xendit
    does not hold reference ids unique), so however often its news comes, each is refunded once.
    Stable, and at most 64 characters (the column, and what partners take as a refund key): the
    partner's id for reading, then a digest of all three."""
    digest = hashlib.sha256(f"{number}\n{partner_id}\n{transaction}".encode()).hexdigest()
    return f"late-{partner_id[:34]}-{digest[:24]}"


def _new_key() -> str:
    return "rf-" + secrets.token_hex(12)


def _method(s: Session, order: order_db.OrderRow, event: PaymentEvent) -> str:
    if event.method is not None:
        return event.method.value
    payment = _payment(s, order)
    return payment.method if payment is not None else ""


# How far along a payment is: news of an earlier stage arriving late never moves it back.
STAGE = {
    PaymentStatus.PENDING.value: 0,
    PaymentStatus.EXPIRED.value: 1,
    PaymentStatus.FAILED.value: 1,
    PaymentStatus.CANCELLED.value: 1,
    PaymentStatus.PAID.value: 2,
    PaymentStatus.PARTIALLY_REFUNDED.value: 3,
    PaymentStatus.REFUNDED.value: 4,
}


def _advances(current: str, event: PaymentEvent) -> bool:
    """Whether the event is news for the payment: a later stage (a partial refund again is news:
    more has been refunded). A late "pending" after "paid" changes nothing."""
    new, now = STAGE[event.status.value], STAGE.get(current, 0)
    return new > now or (new == now and event.status is PaymentStatus.PARTIALLY_REFUNDED)


def partner_order_id(number: str, attempt: int) -> str:
    """The order id the partner knows a payment attempt by: the order number for the first,
    `<number>-<attempt>` after."""
    return number if attempt == 1 else f"{number}-{attempt}"


def order_number_and_attempt(partner_id: str) -> tuple[str, int]:
    """The inverse of `partner_order_id` (order numbers are `KRJ-<hex>`, one '-')."""
    head, dash, tail = partner_id.rpartition("-")
    if dash and head.count("-") == 1 and tail.isdigit():
        return head, int(tail)
    return partner_id, 1

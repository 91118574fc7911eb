"""Reconciling checkout payments: one partner payment (`KRG-…`) for several orders, compared
with what the partner says of it, as a whole. A payment the partner says is paid while an order
of it still awaits payment is applied through the notification's own code path (each order takes
its share); an ended payment is recorded; amounts or refunded sums that differ are reported."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.domain import ENDED_PAYMENTS, RefundStage, RefundStatus
from keranjang.commerce.money.paying import PayingService
from keranjang.commerce.money.payment_news import PARTNER_ORDER_ID
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import PAID_ORDERS, OrderStatus
from keranjang.payments import PaymentError, PaymentEvent, PaymentStatus, UnknownPayment

TAKEN = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})
AWAITING = OrderStatus.AWAITING_PAYMENT.value
COLLECTED = PAID_ORDERS | {OrderStatus.REFUNDED.value}
NAMES_A_CHECKOUT = f'%"{PARTNER_ORDER_ID}": "%'  # a payment row paid through a checkout payment


def paid_together() -> ColumnElement[bool]:
    """Whether a payment row is a share of a checkout payment (checked here, not per order)."""
    return money_db.PaymentRow.instructions.like(NAMES_A_CHECKOUT)


@dataclass
class Together:
    """A checkout payment as commerce knows it, from its orders' rows."""

    partner_id: str
    total_idr: int
    awaiting: bool = False  # an order of it still awaits payment
    collected: bool = False  # an order of it was paid through it
    refunded_idr: int = 0  # what commerce returned through it (settled refunds)
    in_flight: bool = False  # a refund of it is still at the partner


def check_checkout_payments(
    paying: PayingService, cutoff: datetime | None
) -> tuple[int, int, int, list[tuple[str, str, str]]]:
    """(checked, settled, unreachable, disagreements as (number, commerce, partner))."""
    checked = settled = unreachable = 0
    found: list[tuple[str, str, str]] = []
    for ours in _checkout_payments(paying, cutoff):
        try:
            theirs = paying.partner.status(ours.partner_id)
        except UnknownPayment:
            found.append((ours.partner_id, _words(ours), "no such payment"))
            continue
        except PaymentError:
            unreachable += 1
            continue
        checked += 1
        verdict = _judge(theirs, ours)
        if verdict is not None:
            found.append((ours.partner_id, _words(ours), verdict))
        elif (theirs.is_paid and ours.awaiting) or theirs.status.value in ENDED_PAYMENTS:
            outcome = paying.apply_status(theirs)
            settled += "order paid" in outcome or "stray" in outcome
    return checked, settled, unreachable, found


def _words(ours: "Together") -> str:
    refunded = f", Rp{ours.refunded_idr} refunded" if ours.refunded_idr else ""
    return f"checkout payment of Rp{ours.total_idr}{refunded}"


def _judge(theirs: PaymentEvent, ours: "Together") -> str | None:
    """What the partner says that commerce does not, in words; None when they agree."""
    said = f"{theirs.status.value}, Rp{theirs.gross_amount}"
    if theirs.status in TAKEN and theirs.gross_amount != ours.total_idr:
        return f"{said}: the amounts differ"
    if (
        theirs.status in TAKEN
        and not ours.in_flight
        and theirs.refunded_amount != ours.refunded_idr
    ):
        return f"{said}, Rp{theirs.refunded_amount} refunded: the refunded sums differ"
    if theirs.status not in TAKEN and ours.collected:
        return f"{said}: the buyer's money is not in, yet commerce has an order paid by it"
    return None


def _checkout_payments(paying: PayingService, cutoff: datetime | None) -> list[Together]:
    """Each checkout payment as its orders' rows name it (all its orders, if any of them or
    their payments changed since `cutoff` or still awaits payment)."""
    p, o, c = money_db.PaymentRow, order_db.OrderRow, money_db.CheckoutPaymentRow
    link, r = money_db.CheckoutPaymentOrderRow, money_db.RefundRow
    in_flight = exists().where(r.order_id == o.id, r.status == RefundStatus.REQUESTED)
    query = (
        select(c.id, c.total_idr, p.instructions, o.status, o.refunded_idr, in_flight)
        .join(link, link.checkout_payment_id == c.id)
        .join(o, o.id == link.order_id)
        .join(p, p.order_id == o.id)
        .where(paid_together())
        .order_by(c.id, o.id)
    )
    if cutoff is not None:
        recent = or_(o.status == AWAITING, o.updated_at >= cutoff, p.updated_at >= cutoff)
        changed = select(link.checkout_payment_id).join(o, o.id == link.order_id)
        changed = changed.join(p, p.order_id == o.id).where(recent)
        query = query.where(c.id.in_(changed))
    with paying.sessions() as s:
        found: dict[str, Together] = {}
        for row in s.execute(query):
            partner_id = str(json.loads(row.instructions)[PARTNER_ORDER_ID])
            ours = found.setdefault(partner_id, Together(partner_id, row.total_idr))
            ours.awaiting |= row.status == AWAITING
            ours.collected |= row.status in COLLECTED
            ours.refunded_idr += row.refunded_idr
            ours.in_flight |= bool(row[5])
        for ours in found.values():
            ours.refunded_idr += _strays_returned(s, ours.partner_id)
        return list(found.values())


def _strays_returned(s: Session, partner_id: str) -> int:
    r = money_db.RefundRow
    returned = s.scalar(
        select(func.coalesce(func.sum(r.amount_idr), 0)).where(
            r.partner_order_id == partner_id,
            r.stage == RefundStage.STRAY,
            r.status == RefundStatus.SUCCEEDED,
        )
    )
    return int(returned or 0)

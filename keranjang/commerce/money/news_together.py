"""A checkout's one payment for several orders (a cart across shops), as the partner's news
arrives for it: each order takes its share, applied as that order's own payment would be
(paid, its ledger entry and invoice; or owed back if the order was paid or ended already). The
partner's fee on the whole payment is split between the orders in proportion to their totals,
so the ledger's entries add up to what the partner took, to the rupiah."""

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.money.payment_news import (
    NO_SUCH_ORDER,
    News,
    apply_paid,
    order_number_and_attempt,
    record,
)
from keranjang.commerce.orders import db as order_db
from keranjang.payments import PaymentEvent

CHECKOUT_PREFIX = "KRG-"  # a checkout payment's number; orders' are `KRJ-…`
MAX_OUTCOME = 200  # what the event's record keeps of what was done


def is_checkout_payment(partner_order_id: str) -> bool:
    return partner_order_id.startswith(CHECKOUT_PREFIX)


def split_fee(fee_idr: int, totals: list[int]) -> list[int]:
    """Each order's part of the partner's fee, in proportion to its total, rounded down; the
    rupiah left by rounding go to the last order, so the parts add up to the fee."""
    whole = sum(totals)
    parts = [fee_idr * t // whole if whole else 0 for t in totals]
    parts[-1] += fee_idr - sum(parts)
    return parts


def checkout_orders(s: Session, checkout_payment_id: int) -> list[order_db.OrderRow]:
    """The checkout's orders, locked, in id order (the order every payer locks them in)."""
    link = money_db.CheckoutPaymentOrderRow
    mine = select(link.order_id).where(link.checkout_payment_id == checkout_payment_id)
    o = order_db.OrderRow
    return list(s.scalars(select(o).where(o.id.in_(mine)).order_by(o.id).with_for_update()))


def apply_together(s: Session, event: PaymentEvent, partner: str, now: datetime) -> str:
    """Apply one verified event of a checkout's payment; returns what was done, in words."""
    number, attempt = order_number_and_attempt(event.order_id)
    paid = s.scalar(
        select(money_db.CheckoutPaymentRow).where(money_db.CheckoutPaymentRow.number == number)
    )
    if paid is None:
        return NO_SUCH_ORDER
    orders = checkout_orders(s, paid.id)
    if not event.is_paid or event.gross_amount != paid.total_idr:
        for order in orders:
            record(s, order, event, now)
        if event.is_paid:
            return f"held: paid {event.gross_amount} but the checkout totals {paid.total_idr}"
        return f"recorded: {event.status.value}"
    method = event.method.value if event.method else _method(s, orders)
    fees = split_fee(ledger.partner_fee(method, event.gross_amount), [o.total_idr for o in orders])
    done = []
    for order, fee in zip(orders, fees, strict=True):
        share = replace(event, gross_amount=order.total_idr)
        done.append(
            f"{order.number} {apply_paid(s, order, News(share, partner, attempt, fee, now))}"
        )
    return ("checkout: " + "; ".join(done))[:MAX_OUTCOME]


def _method(s: Session, orders: list[order_db.OrderRow]) -> str:
    p = money_db.PaymentRow
    found = s.scalar(select(p.method).where(p.order_id.in_([o.id for o in orders])).limit(1))
    return found or ""

"""Payments still to be ended at the partner that need an operator's eyes, as reconciliation
reports them: those the partner refused to end (asked again all the same, on the same delays),
and those it has failed to end `STUCK_AFTER` times or more (`payment_ends`)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.money.payment_ends import OPEN, REFUSED
from keranjang.commerce.orders import db as order_db

STUCK_AFTER = 3


@dataclass(frozen=True)
class StuckPaymentEnd:
    """`outcome`: the partner's last words (or the failure's); `next_at`: when it is asked again."""

    order_number: str
    ending: str
    status: str
    attempts: int
    outcome: str
    since: datetime
    next_at: datetime


def stuck_payment_ends(sessions: sessionmaker[Session]) -> list[StuckPaymentEnd]:
    e, o = order_db.PaymentEndRow, order_db.OrderRow
    query = (
        select(o.number, e.ending, e.status, e.attempts, e.outcome, e.created_at, e.next_at)
        .join(o, o.id == e.order_id)
        .where(e.status.in_(OPEN), or_(e.status == REFUSED, e.attempts >= STUCK_AFTER))
        .order_by(e.id)
    )
    with sessions() as s:
        rows = s.execute(query).all()
    return [
        StuckPaymentEnd(number, ending, status, attempts, outcome or "", since, next_at)
        for number, ending, status, attempts, outcome, since, next_at in rows
    ]

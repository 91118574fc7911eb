"""Money's figures for the regulator's evidence: invoices issued (in a window, and all), and
every order and payment attempt by status with their sums. Counts and sums only."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from keranjang.commerce.money.db import PaymentRow
from keranjang.commerce.orders.db import InvoiceRow, OrderRow


@dataclass(frozen=True)
class ByStatus:
    status: str
    count: int
    sum_idr: int


@dataclass(frozen=True)
class Invoices:
    issued_in_window: int
    issued_total: int


def invoices(s: Session, start: datetime) -> Invoices:
    i = InvoiceRow
    recent = s.scalar(select(func.count(i.id)).where(i.issued_at >= start)) or 0
    total = s.scalar(select(func.count(i.id))) or 0
    return Invoices(int(recent), int(total))


def orders_by_status(s: Session) -> tuple[ByStatus, ...]:
    return _by_status(s, OrderRow.status, OrderRow.total_idr)


def payments_by_status(s: Session) -> tuple[ByStatus, ...]:
    return _by_status(s, PaymentRow.status, PaymentRow.amount_idr)


def _by_status(
    s: Session, status: InstrumentedAttribute[str], amount: InstrumentedAttribute[int]
) -> tuple[ByStatus, ...]:
    query = (
        select(status, func.count(), func.coalesce(func.sum(amount), 0))
        .group_by(status)
        .order_by(status)
    )
    return tuple(ByStatus(str(st), int(n), int(total)) for st, n, total in s.execute(query))

"""Payments that landed after their order ended (cancelled or expired unpaid), as reconciliation
reports them: each returned to the buyer once, under its fixed key (`late-…`), by the partner's
refund API or, for a virtual account, by bank transfer to the account the buyer gives."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import disbursements_db as d
from keranjang.commerce.money.domain import RefundStage, RefundStatus
from keranjang.commerce.orders import db as order_db

LATE_KEY = "late-"
STATES = {
    RefundStatus.SUCCEEDED.value: "refunded",
    RefundStatus.FAILED.value: "refund refused: owed to the buyer",
}
TRANSFER_STATES = {
    d.AWAITING_ACCOUNT: "waiting for the buyer's bank account",
    d.NEW: "bank transfer being sent",
    d.SENT: "bank transfer sent",
}


@dataclass(frozen=True)
class LatePayment:
    """`state` in words: refunded, or where its refund is."""

    order_number: str
    order_status: str
    partner_order_id: str
    amount_idr: int
    paid_with: str
    state: str


def late_payments(sessions: sessionmaker[Session], since: datetime | None) -> list[LatePayment]:
    """Late payments whose refund changed since `since` (all of them: None)."""
    r, o, t = money_db.RefundRow, order_db.OrderRow, d.RefundTransferRow
    query = (
        select(
            o.number, o.status, r.partner_order_id, r.amount_idr, r.paid_with, r.status, t.status
        )
        .join(o, o.id == r.order_id)
        .outerjoin(t, t.refund_id == r.id)
        .where(r.stage == RefundStage.STRAY, r.refund_key.startswith(LATE_KEY))
        .order_by(r.id)
    )
    if since is not None:
        query = query.where(r.updated_at >= since)
    with sessions() as s:
        rows = s.execute(query).all()
    return [
        LatePayment(number, status, partner_id or "", amount, paid_with or "", _state(rs, ts))
        for number, status, partner_id, amount, paid_with, rs, ts in rows
    ]


def _state(refund_status: str, transfer_status: str | None) -> str:
    if refund_status in STATES:
        return STATES[refund_status]
    return TRANSFER_STATES.get(transfer_status or "", "refund asked of the partner")

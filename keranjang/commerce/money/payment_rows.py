"""An order's payment row as the partner's answer makes it, and as the buyer sees it."""

import json
from dataclasses import asdict
from datetime import UTC, datetime

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.domain import PaymentView
from keranjang.payments import CreatedPayment, PaymentStatus


def payment_row(
    order_id: int, partner: str, created: CreatedPayment, attempt: int, now: datetime
) -> money_db.PaymentRow:
    instructions = {
        "redirect_url": created.redirect_url,
        "virtual_account": asdict(created.virtual_account) if created.virtual_account else None,
        "qris": created.qris,
        "expires_at": created.expires_at.isoformat(),
    }
    return money_db.PaymentRow(
        order_id=order_id,
        attempt=attempt,
        partner=partner,
        partner_transaction_id=created.partner_transaction_id,
        method=created.method.value,
        amount_idr=created.gross_amount,
        status=created.status.value if created.status else PaymentStatus.PENDING.value,
        instructions=json.dumps(instructions),
        created_at=now,
        updated_at=now,
    )


def payment_ends(row: money_db.PaymentRow) -> datetime | None:
    """When the partner said the payment stops being payable, if it said."""
    ends = json.loads(row.instructions).get("expires_at")
    if not ends:
        return None
    at = datetime.fromisoformat(ends)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def view(row: money_db.PaymentRow) -> PaymentView:
    return PaymentView(
        order_id=row.order_id,
        partner=row.partner,
        partner_transaction_id=row.partner_transaction_id,
        method=row.method,
        amount_idr=row.amount_idr,
        status=row.status,
        instructions=json.loads(row.instructions),
    )

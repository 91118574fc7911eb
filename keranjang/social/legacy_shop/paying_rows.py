"""The rows the legacy shop's payments write, made from what the partner said: a notification
recorded once, a refund asked, a payment known only from its news."""

import json
import secrets
from datetime import datetime

from keranjang.payments import PaymentEvent
from keranjang.social.legacy_shop import db


def news_row(event: PaymentEvent, outcome: str, now: datetime) -> db.PaymentNewsRow:
    return db.PaymentNewsRow(
        dedupe_key=event.dedupe_key[:200],
        partner_order_id=event.order_id[:50],
        status=event.status.value,
        amount_idr=event.gross_amount,
        outcome=outcome[:200],
        received_at=now,
    )


def refund_row(
    order_id: int, partner_order_id: str, amount: int, reason: str, now: datetime
) -> db.RefundRow:
    return db.RefundRow(
        order_id=order_id,
        refund_key="lrf-" + secrets.token_hex(12),
        partner_order_id=partner_order_id,
        kind="order",
        amount_idr=amount,
        reason=reason[:500],
        status="requested",
        created_at=now,
        updated_at=now,
    )


def payment_from(
    event: PaymentEvent, order_id: int, attempt: int, partner: str, now: datetime
) -> db.PaymentRow:
    """A payment row made from its news (social stopped before storing the one it asked for)."""
    return db.PaymentRow(
        order_id=order_id,
        attempt=attempt,
        partner_order_id=event.order_id,
        partner=partner,
        partner_transaction_id=event.partner_transaction_id,
        method=event.method.value if event.method else "",
        amount_idr=event.gross_amount,
        status=event.status.value,
        instructions=json.dumps({}),
        created_at=now,
        updated_at=now,
    )

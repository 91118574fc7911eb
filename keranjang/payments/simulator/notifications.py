"""Notifications as Midtrans sends them: one JSON body per change of status, signed with the
server key, queued in an outbox and sent (and retried) by a dispatcher. Plain Python."""

import enum
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from keranjang.payments import midtrans_wire as wire
from keranjang.payments.simulator.domain import Transaction, TxStatus

MERCHANT_ID = "G000KERANJANG"
MESSAGES = {
    TxStatus.PENDING: "Success, transaction is created",
    TxStatus.SETTLEMENT: "Success, transaction is found",
    TxStatus.CANCEL: "Success, transaction is canceled",
    TxStatus.EXPIRE: "Success, transaction is expired",
    TxStatus.PARTIAL_REFUND: "Success, refund request is approved",
    TxStatus.REFUND: "Success, refund request is approved",
}
# A failed delivery is tried again after these many seconds, then given up.
RETRY_DELAYS_SECONDS = (1, 5, 30, 120, 600)


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    HELD = "held"
    SENT = "sent"
    DROPPED = "dropped"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    """How one notification is to be delivered (decided by the fault switches)."""

    copies: int = 1
    delay: timedelta = timedelta(0)
    held: bool = False
    dropped: bool = False
    forge: bool = False


@dataclass(frozen=True)
class Outgoing:
    """A notification to queue: its exact body and how to deliver it."""

    transaction_status: str
    body: str
    delivery: Delivery
    at: datetime
    forged: bool = False


@dataclass(frozen=True)
class Notification:
    """One queued notification: its exact body, and how its delivery went."""

    id: int
    order_id: str
    transaction_status: str
    state: DeliveryState
    body: str
    copies: int
    forged: bool
    due_at: datetime
    attempts: int
    created_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None
    # Where it goes when its payment named URLs (X-Override-Notification); else the configured one.
    urls: tuple[str, ...] = ()


def body(tx: Transaction, server_key: str) -> dict[str, object]:
    """The body Midtrans sends (and answers a status lookup with) for a transaction as it is."""
    code = wire.STATUS_CODES[tx.status]
    amount = wire.format_amount(tx.gross_amount)
    out: dict[str, object] = {
        "transaction_time": wire.format_time(tx.created_at),
        "transaction_status": tx.status.value,
        "transaction_id": tx.transaction_id,
        "status_message": MESSAGES[tx.status],
        "status_code": code,
        "signature_key": wire.signature(tx.order_id, code, amount, server_key),
        "payment_type": tx.payment_type.value,
        "order_id": tx.order_id,
        "merchant_id": MERCHANT_ID,
        "gross_amount": amount,
        "fraud_status": "accept",
        "currency": "IDR",
        "expiry_time": wire.format_time(tx.expires_at),
    }
    if tx.payment_type.value == "bank_transfer":
        out["va_numbers"] = [{"bank": tx.bank, "va_number": tx.va_number}]
    if tx.settled_at is not None:
        out["settlement_time"] = wire.format_time(tx.settled_at)
    if tx.refunds:
        out["refund_amount"] = wire.format_amount(tx.refunded_amount)
        out["refunds"] = [
            {
                "refund_chargeback_id": r.refund_id,
                "refund_amount": wire.format_amount(r.amount),
                "created_at": wire.format_time(r.at),
                "reason": r.reason,
                "refund_key": r.refund_key,
            }
            for r in tx.refunds
        ]
    return out


def forged(real: dict[str, object]) -> dict[str, object]:
    """A forger's copy: claims settlement, signed with a key that is not the server key."""
    code = wire.STATUS_CODES[TxStatus.SETTLEMENT]
    fake = wire.signature(
        str(real["order_id"]), code, str(real["gross_amount"]), secrets.token_hex()
    )
    return real | {"transaction_status": "settlement", "status_code": code, "signature_key": fake}


def encode(payload: dict[str, object]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed deliveries; None means give up."""
    if attempts > len(RETRY_DELAYS_SECONDS):
        return None
    return timedelta(seconds=RETRY_DELAYS_SECONDS[attempts - 1])

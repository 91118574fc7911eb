"""Midtrans' wire format, the rules both sides of a notification need: amounts as decimal
strings, times in Western Indonesian Time, status codes, and the signature.

A notification's `signature_key` is the SHA-512 hex digest of
`order_id + status_code + gross_amount + server_key`, with `gross_amount` exactly as sent
("350000.00"). The simulator signs with it and every Midtrans-format adapter verifies with it.
"""

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta, timezone

from keranjang.payments.contract import PaymentMethod, PaymentStatus

WIB = timezone(timedelta(hours=7), "WIB")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
AMOUNT = re.compile(r"^(\d{1,15})(?:\.(\d{1,2}))?$")

# transaction_status -> status_code, as Midtrans sends them.
STATUS_CODES = {
    "settlement": "200",
    "pending": "201",
    "deny": "202",
    "cancel": "200",
    "expire": "407",
    "refund": "200",
    "partial_refund": "200",
}
# A card capture is 200 when accepted and 201 while fraud detection challenges it.
SIGNED_CODES = {status: {code} for status, code in STATUS_CODES.items()} | {
    "capture": {"200", "201"}
}
NORMALIZED = {
    "authorize": PaymentStatus.PENDING,
    "pending": PaymentStatus.PENDING,
    "settlement": PaymentStatus.PAID,
    "deny": PaymentStatus.FAILED,
    "failure": PaymentStatus.FAILED,
    "expire": PaymentStatus.EXPIRED,
    "cancel": PaymentStatus.CANCELLED,
    "refund": PaymentStatus.REFUNDED,
    "chargeback": PaymentStatus.REFUNDED,
    "partial_refund": PaymentStatus.PARTIALLY_REFUNDED,
    "partial_chargeback": PaymentStatus.PARTIALLY_REFUNDED,
}
PAYMENT_TYPES = {
    "bank_transfer": PaymentMethod.VIRTUAL_ACCOUNT,
    "echannel": PaymentMethod.VIRTUAL_ACCOUNT,
    "permata": PaymentMethod.VIRTUAL_ACCOUNT,
    "qris": PaymentMethod.QRIS,
    "gopay": PaymentMethod.EWALLET,
    "shopeepay": PaymentMethod.EWALLET,
}


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    payload = order_id + status_code + gross_amount + server_key
    return hashlib.sha512(payload.encode()).hexdigest()


def signature_matches(
    order_id: str, status_code: str, gross_amount: str, server_key: str, claimed: str
) -> bool:
    """Constant-time comparison, so a forger learns nothing from how fast a guess is refused."""
    expected = signature(order_id, status_code, gross_amount, server_key)
    return hmac.compare_digest(expected.encode(), claimed.strip().lower().encode())


def format_amount(rupiah: int) -> str:
    return f"{rupiah}.00"


def parse_amount(text: str) -> int:
    """Whole rupiah from "350000.00" or "350000"; rupiah have no minor unit, so cents are refused."""
    match = AMOUNT.match(text)
    if match is None or int(match.group(2) or "0") != 0:
        raise ValueError(f"not an amount in whole rupiah: {text!r}")
    return int(match.group(1))


def format_time(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Midtrans' "YYYY-MM-DD HH:MM:SS" in Western Indonesian Time, as an aware UTC datetime."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=WIB).astimezone(UTC)


def normalized_status(transaction_status: str, fraud_status: str | None) -> PaymentStatus:
    """Paid only on `settlement`, or on `capture` that fraud detection accepted."""
    if transaction_status == "capture":
        return PaymentStatus.PAID if fraud_status == "accept" else PaymentStatus.PENDING
    try:
        return NORMALIZED[transaction_status]
    except KeyError:
        raise ValueError(f"unknown transaction_status {transaction_status!r}") from None


def code_matches_status(transaction_status: str, status_code: str) -> bool:
    """The signature covers the status code, not the status: a body whose status does not match
    its signed code (a signed "pending" relabelled "settlement") is not believed."""
    expected = SIGNED_CODES.get(transaction_status)
    return expected is None or status_code in expected

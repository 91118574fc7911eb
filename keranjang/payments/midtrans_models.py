"""Midtrans' JSON bodies as pydantic models, and how a transaction view becomes a `PaymentEvent`.

Core API answers (charge, status, refund) and HTTP notifications share most fields; every answer
carries `status_code` as a string, and amounts and times are strings ("350000.00",
"2024-03-27 16:00:00" in Western Indonesian Time), read with `midtrans_wire`.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keranjang.payments import midtrans_wire as wire
from keranjang.payments.contract import (
    Ending,
    PaymentEvent,
    PaymentStatus,
    RefundRequest,
    RefundResult,
)
from keranjang.payments.ending import explained
from keranjang.payments.errors import NotificationRejected, PartnerRefused, UnknownPayment
from keranjang.payments.http_client import Call, PartnerHttp, first_error

MAX_NOTIFICATION_BYTES = 64 * 1024


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class VaNumber(Wire):
    bank: str
    va_number: str


class RefundEntry(Wire):
    refund_amount: str | None = None
    created_at: str
    refund_key: str | None = None


class TransactionView(Wire):
    """A transaction as a status lookup or an HTTP notification shows it."""

    status_code: str
    order_id: str = Field(min_length=1, max_length=50)
    transaction_id: str = Field(min_length=1, max_length=64)
    transaction_status: str
    gross_amount: str
    transaction_time: str
    fraud_status: str | None = None
    payment_type: str | None = None
    settlement_time: str | None = None
    refund_amount: str | None = None
    refunds: list[RefundEntry] | None = None


class SignedNotification(TransactionView):
    signature_key: str = Field(min_length=1, max_length=256)


class ChargeAnswer(Wire):
    """`POST /v2/charge`: a VA charge lists `va_numbers` (Permata has `permata_va_number`); a QRIS
    charge carries `qr_string` and `actions` (the QR image); `expiry_time` is sent by both."""

    status_code: str
    order_id: str
    transaction_id: str
    transaction_status: str
    fraud_status: str | None = None
    gross_amount: str
    transaction_time: str
    expiry_time: str | None = None
    va_numbers: list[VaNumber] | None = None
    permata_va_number: str | None = None
    qr_string: str | None = None


class SnapAnswer(Wire):
    """`POST /snap/v1/transactions` (201): a token and the payment page it opens."""

    token: str = Field(min_length=1)
    redirect_url: str = Field(pattern=r"^https?://")


class RefundAnswer(Wire):
    """`POST /v2/{order_id}/refund`: `refund_amount` is this refund's amount."""

    status_code: str | None = None
    order_id: str
    transaction_status: str
    refund_chargeback_id: int | str
    refund_amount: str
    refund_key: str


def event(view: TransactionView) -> PaymentEvent:
    """Raises ValueError for amounts, times or statuses that cannot be read."""
    status = wire.normalized_status(view.transaction_status, view.fraud_status)
    return PaymentEvent(
        order_id=view.order_id,
        status=status,
        gross_amount=wire.parse_amount(view.gross_amount),
        partner_transaction_id=view.transaction_id,
        partner_status=view.transaction_status,
        status_code=view.status_code,
        occurred_at=wire.parse_time(occurred(view, status)),
        method=wire.PAYMENT_TYPES.get(view.payment_type or ""),
        refunded_amount=wire.parse_amount(view.refund_amount) if view.refund_amount else 0,
    )


def occurred(view: TransactionView, status: PaymentStatus) -> str:
    """When the reported change happened: the last refund, the settlement, else the creation."""
    refunded = (PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED)
    if status in refunded and view.refunds:
        return view.refunds[-1].created_at
    if status is PaymentStatus.PAID and view.settlement_time:
        return view.settlement_time
    return view.transaction_time


def refund_body(request: RefundRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"refund_key": request.refund_key, "reason": request.reason}
    if request.amount is not None:
        body["amount"] = request.amount
    return body


def refund_result(answer: RefundAnswer) -> RefundResult:
    """Raises ValueError for an amount or a status that cannot be read."""
    return RefundResult(
        order_id=answer.order_id,
        refund_key=answer.refund_key,
        amount=wire.parse_amount(answer.refund_amount),
        status=wire.normalized_status(answer.transaction_status, None),
        partner_refund_id=str(answer.refund_chargeback_id),
    )


def notified_event(body: bytes, server_key: str, sender: str) -> PaymentEvent:
    """A Midtrans-format HTTP notification, verified, as an event (the simulator and Midtrans
    both send them). The body is signed, not the headers, so only the body is read; anything
    not genuine raises `NotificationRejected`."""
    if len(body) > MAX_NOTIFICATION_BYTES:
        raise NotificationRejected(NotificationRejected.MALFORMED, "notification too large")
    try:
        n = SignedNotification.model_validate_json(body)
    except ValidationError as exc:
        raise NotificationRejected(
            NotificationRejected.MALFORMED, f"not a {sender} notification: {first_error(exc)}"
        ) from exc
    if not wire.signature_matches(
        n.order_id, n.status_code, n.gross_amount, server_key, n.signature_key
    ):
        raise NotificationRejected(
            NotificationRejected.BAD_SIGNATURE,
            f"signature_key does not match: not sent by {sender}, or altered on the way",
        )
    if not wire.code_matches_status(n.transaction_status, n.status_code):
        raise NotificationRejected(
            NotificationRejected.BAD_SIGNATURE,
            f"transaction_status {n.transaction_status!r} does not match the signed "
            f"status_code {n.status_code!r}",
        )
    try:
        return event(n)
    except ValueError as exc:
        raise NotificationRejected(NotificationRejected.MALFORMED, str(exc)) from exc


def end_transaction(
    http: PartnerHttp,
    url: str,
    order_id: str,
    ending: Ending,
    status: Callable[[str], PaymentEvent],
) -> PaymentEvent:
    """`POST {url}/v2/{order_id}/cancel` or `/expire` (Midtrans' API, and the simulator's copy
    of it): the payment as it ended. A refusal is explained by the payment's status (paid, or
    ended already); an unknown payment is raised as it is."""
    target = f"{url}/v2/{quote(order_id, safe='')}/{ending.value}"
    call = Call("POST", target, f"the {ending.value} of order {order_id}", safe=True)
    try:
        return http.readable(event, http.answer(call, TransactionView))
    except UnknownPayment:
        raise
    except PartnerRefused as refused:
        return explained(status, order_id, refused, http.partner)

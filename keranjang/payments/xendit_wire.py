"""How Xendit's wire values read as the contract's values: amounts, times, metadata, which
payment request or invoice answers for an order, and the events its answers and callbacks
mean (raising ValueError for values that cannot be read). The formats are in `xendit_models`."""

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from keranjang.payments.contract import (
    CreatedPayment,
    NewPayment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    VirtualAccount,
)
from keranjang.payments.xendit_models import (
    INVOICE_STATUSES,
    METHOD_TYPES,
    PAYMENT_EVENTS,
    PAYMENT_METHOD_EVENTS,
    PAYMENT_REQUEST_STATUSES,
    REFUND_FAILED,
    InvoiceView,
    PaymentCallback,
    PaymentMethodCallback,
    PaymentRequestView,
    RefundCallback,
    RefundView,
)

# Times may carry nanoseconds; Python reads up to microseconds.
_FRACTION = re.compile(r"(\.\d{6})\d+")


def rupiah(amount: float) -> int:
    """A Xendit amount as whole rupiah; raises ValueError for fractions, negatives, infinity."""
    if not math.isfinite(amount) or amount != int(amount) or amount < 0:
        raise ValueError(f"amount {amount!r} is not a whole number of rupiah")
    return int(amount)


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as Xendit writes it ('Z', up to nanoseconds); raises ValueError."""
    moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return moment


def format_time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def metadata_int(metadata: dict[str, Any] | None, key: str) -> int:
    """An integer the adapter put into `metadata`; raises ValueError when missing or not one."""
    value = (metadata or {}).get(key)
    if value is None:
        raise ValueError(f"metadata.{key} is missing")
    return int(str(value))


# reading: answers and callbacks as the contract's values -------------------------------------
@dataclass(frozen=True)
class Found:
    """The payment Xendit holds for an order: its event before refunds, and how to refund it."""

    event: PaymentEvent
    id: str
    refund_field: str  # "payment_request_id" or "invoice_id": how /refunds names the payment
    method_id: str | None = None  # a payment request's one-time payment method (the VA, the QR)

    @property
    def gross(self) -> int:
        return self.event.gross_amount

    def with_refunds(self, refunded: int) -> PaymentEvent:
        if refunded <= 0 or not self.event.is_paid:
            return self.event
        whole = refunded >= self.gross
        status = PaymentStatus.REFUNDED if whole else PaymentStatus.PARTIALLY_REFUNDED
        return replace(self.event, status=status, refunded_amount=refunded)


def refunded_total(refunds: list[RefundView]) -> int:
    """What the refunds give back: every refund not FAILED (a PENDING one is on its way)."""
    return sum(rupiah(r.amount) for r in refunds if r.status != REFUND_FAILED)


def found_request(requests: list[PaymentRequestView]) -> Found:
    """Of an order's payment requests, the paid one, else the newest."""
    paid = [r for r in requests if r.status == "SUCCEEDED"]
    chosen = paid[0] if paid else max(requests, key=lambda r: parse_time(r.created))
    return Found(request_event(chosen), chosen.id, "payment_request_id", chosen.payment_method.id)


def found_invoice(invoices: list[InvoiceView]) -> Found:
    paid = [i for i in invoices if INVOICE_STATUSES.get(i.status) is PaymentStatus.PAID]
    chosen = paid[0] if paid else max(invoices, key=lambda i: parse_time(i.created or i.updated))
    return Found(invoice_event(chosen), chosen.id, "invoice_id")


def request_event(request: PaymentRequestView) -> PaymentEvent:
    status = _known(PAYMENT_REQUEST_STATUSES, request.status)
    if status is PaymentStatus.FAILED and "EXPIRED" in (request.failure_code or ""):
        status = PaymentStatus.EXPIRED
    if status is PaymentStatus.PENDING and request.payment_method.status == "EXPIRED":
        status = PaymentStatus.EXPIRED  # its one-time VA or QR was expired: nothing to pay into
    return PaymentEvent(
        order_id=request.reference_id,
        status=status,
        gross_amount=rupiah(request.amount),
        partner_transaction_id=request.id,
        partner_status=request.status,
        status_code=request.status,
        occurred_at=parse_time(request.updated),
        method=METHOD_TYPES.get(request.payment_method.type),
    )


def invoice_event(invoice: InvoiceView) -> PaymentEvent:
    status = _known(INVOICE_STATUSES, invoice.status)
    paid = status is PaymentStatus.PAID and invoice.paid_at
    return PaymentEvent(
        order_id=invoice.external_id,
        status=status,
        gross_amount=rupiah(invoice.amount),
        partner_transaction_id=invoice.id,
        partner_status=invoice.status,
        status_code=invoice.status,
        occurred_at=parse_time(invoice.paid_at if paid and invoice.paid_at else invoice.updated),
        method=METHOD_TYPES.get(invoice.payment_method or "", PaymentMethod.EWALLET),
    )


def created_from_request(answer: PaymentRequestView, new: NewPayment) -> CreatedPayment:
    """Raises ValueError when the answer lacks what the buyer needs."""
    method = answer.payment_method
    va, qr = method.virtual_account, method.qr_code
    expiry = (va.channel_properties.expires_at if va else None) or (
        qr.channel_properties.expires_at if qr else None
    )
    if expiry is None:
        raise ValueError("payment_method has no expires_at")
    number = va.channel_properties.virtual_account_number if va else None
    if va and not number:
        raise ValueError("virtual_account has no virtual_account_number")
    if qr and not qr.channel_properties.qr_string:
        raise ValueError("qr_code has no qr_string")
    return CreatedPayment(
        order_id=answer.reference_id,
        partner_transaction_id=answer.id,
        status=_known(PAYMENT_REQUEST_STATUSES, answer.status),
        gross_amount=rupiah(answer.amount),
        method=new.method,
        expires_at=parse_time(expiry),
        virtual_account=VirtualAccount(va.channel_code.lower(), number) if va and number else None,
        qris=qr.channel_properties.qr_string if qr else None,
    )


def created_from_invoice(answer: InvoiceView, new: NewPayment) -> CreatedPayment:
    if not answer.invoice_url or not answer.expiry_date:
        raise ValueError("the invoice has no invoice_url or expiry_date")
    return CreatedPayment(
        order_id=answer.external_id,
        partner_transaction_id=answer.id,
        status=_known(INVOICE_STATUSES, answer.status),
        gross_amount=rupiah(answer.amount),
        method=new.method,
        expires_at=parse_time(answer.expiry_date),
        redirect_url=answer.invoice_url,
    )


def callback_event(callback: BaseModel) -> PaymentEvent:
    """A verified callback as an event; raises ValueError for values that cannot be read."""
    if isinstance(callback, InvoiceView):
        return invoice_event(callback)
    if isinstance(callback, PaymentCallback):
        return _payment_event(callback)
    if isinstance(callback, PaymentMethodCallback):
        return _payment_method_event(callback)
    if isinstance(callback, RefundCallback):
        return _refund_event(callback)
    raise ValueError(f"no event for {type(callback).__name__}")


def _payment_event(callback: PaymentCallback) -> PaymentEvent:
    data = callback.data
    status = PAYMENT_EVENTS[callback.event]
    if _known(PAYMENT_REQUEST_STATUSES, data.status) is not status:
        raise ValueError(f"event {callback.event} does not match data.status {data.status}")
    return PaymentEvent(
        order_id=data.reference_id,
        status=status,
        gross_amount=rupiah(data.amount),
        partner_transaction_id=data.payment_request_id,
        partner_status=callback.event,
        status_code=data.status,
        occurred_at=parse_time(data.updated),
        method=METHOD_TYPES.get(data.payment_method.type if data.payment_method else ""),
    )


def _payment_method_event(callback: PaymentMethodCallback) -> PaymentEvent:
    """A one-time VA or QR string made ready (activated), expired or failed: not money."""
    data = callback.data
    if not data.reference_id:
        raise ValueError("payment method has no reference_id (not one of our orders)")
    va_amount = data.virtual_account.amount if data.virtual_account else None
    gross = (
        rupiah(va_amount) if va_amount is not None else metadata_int(data.metadata, "gross_amount")
    )
    return PaymentEvent(
        order_id=data.reference_id,
        status=PAYMENT_METHOD_EVENTS[callback.event],
        gross_amount=gross,
        partner_transaction_id=data.id,
        partner_status=callback.event,
        status_code=data.status,
        occurred_at=parse_time(data.updated or callback.created),
        method=METHOD_TYPES.get(data.type),
    )


def _refund_event(callback: RefundCallback) -> PaymentEvent:
    """The payment after this refund, from the metadata the adapter gave the refund."""
    data = callback.data
    payment_id = data.payment_request_id or data.invoice_id
    order_id = (data.metadata or {}).get("order_id")
    if not payment_id or not isinstance(order_id, str) or not order_id:
        raise ValueError("refund callback names no payment or order (not made by this adapter)")
    gross = metadata_int(data.metadata, "gross_amount")
    before = metadata_int(data.metadata, "refunded_before")
    refunded = before + rupiah(data.amount) if data.status != REFUND_FAILED else before
    status = PaymentStatus.PAID
    if refunded > 0:
        whole = refunded >= gross
        status = PaymentStatus.REFUNDED if whole else PaymentStatus.PARTIALLY_REFUNDED
    return PaymentEvent(
        order_id=order_id,
        status=status,
        gross_amount=gross,
        partner_transaction_id=payment_id,
        partner_status=f"{callback.event} {data.id}",  # one refund, one dedupe key
        status_code=data.status,
        occurred_at=parse_time(data.updated),
        refunded_amount=refunded,
    )


def _known(statuses: dict[str, PaymentStatus], status: str) -> PaymentStatus:
    if status not in statuses:
        raise ValueError(f"unknown Xendit status {status!r}")
    return statuses[status]


DEFAULT_VA_BANK = "BNI"
VA_NAME = "Keranjang"  # the VA holder's name the bank shows: the shop, never the buyer


def payment_request_body(new: NewPayment, expires_at: Any) -> dict[str, Any]:
    expiry = format_time(expires_at)
    method: dict[str, Any] = {
        "reusability": "ONE_TIME_USE",
        "reference_id": new.order_id,
        "metadata": {"order_id": new.order_id, "gross_amount": str(new.gross_amount)},
    }
    if new.method is PaymentMethod.VIRTUAL_ACCOUNT:
        bank = (new.va_bank or DEFAULT_VA_BANK).upper()
        method["type"] = "VIRTUAL_ACCOUNT"
        method["virtual_account"] = {
            "channel_code": bank,
            "amount": new.gross_amount,
            "channel_properties": {"customer_name": VA_NAME, "expires_at": expiry},
        }
    else:
        method["type"] = "QR_CODE"
        method["qr_code"] = {"channel_code": "QRIS", "channel_properties": {"expires_at": expiry}}
    return {
        "reference_id": new.order_id,
        "amount": new.gross_amount,
        "currency": "IDR",
        "country": "ID",
        "description": new.description.strip()[:255] or f"Order {new.order_id}",
        "payment_method": method,
    }

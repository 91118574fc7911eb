"""Xendit's wire formats, as its API reference documents them: payment requests (`/payment_requests`),
invoices (`/v2/invoices`), refunds (`/refunds`), the callbacks for each, and the error body. How each
reads as the contract's values is in `xendit_wire`.

Only the fields the adapter reads are declared; everything else Xendit sends is ignored. Amounts
are JSON numbers (whole rupiah for IDR); times are ISO 8601 in UTC, sometimes with nanoseconds.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from keranjang.payments.contract import (
    PaymentMethod,
    PaymentStatus,
)

# Xendit's `payment_method.type` (payment requests) and invoice `payment_method`, as ours.
METHOD_TYPES = {
    "VIRTUAL_ACCOUNT": PaymentMethod.VIRTUAL_ACCOUNT,
    "BANK_TRANSFER": PaymentMethod.VIRTUAL_ACCOUNT,
    "QR_CODE": PaymentMethod.QRIS,
    "QRIS": PaymentMethod.QRIS,
    "EWALLET": PaymentMethod.EWALLET,
}
# A payment request's status. PAID means the money is in: only SUCCEEDED is.
PAYMENT_REQUEST_STATUSES = {
    "PENDING": PaymentStatus.PENDING,
    "REQUIRES_ACTION": PaymentStatus.PENDING,
    "AWAITING_CAPTURE": PaymentStatus.PENDING,
    "UNKNOWN": PaymentStatus.PENDING,
    "SUCCEEDED": PaymentStatus.PAID,
    "FAILED": PaymentStatus.FAILED,
    "CANCELED": PaymentStatus.CANCELLED,
    "VOIDED": PaymentStatus.CANCELLED,
}
# An invoice's status: SETTLED is PAID money that has reached the balance, still paid.
INVOICE_STATUSES = {
    "PENDING": PaymentStatus.PENDING,
    "PAID": PaymentStatus.PAID,
    "SETTLED": PaymentStatus.PAID,
    "EXPIRED": PaymentStatus.EXPIRED,
}
# The events of a payment method (a one-time VA or QR string) and of a payment, as statuses.
PAYMENT_METHOD_EVENTS = {
    "payment_method.activated": PaymentStatus.PENDING,
    "payment_method.expired": PaymentStatus.EXPIRED,
    "payment_method.failed": PaymentStatus.FAILED,
}
PAYMENT_EVENTS = {
    "payment.succeeded": PaymentStatus.PAID,
    "payment.failed": PaymentStatus.FAILED,
    "payment.pending": PaymentStatus.PENDING,
}
REFUND_EVENTS = ("refund.succeeded", "refund.failed")
REFUND_FAILED = "FAILED"


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorBody(Wire):
    error_code: str = Field(max_length=100)
    message: str = ""


class VaProperties(Wire):
    virtual_account_number: str | None = None
    expires_at: str | None = None


class VirtualAccountInfo(Wire):
    channel_code: str
    amount: float | None = None
    channel_properties: VaProperties = VaProperties()


class QrProperties(Wire):
    qr_string: str | None = None
    expires_at: str | None = None


class QrCodeInfo(Wire):
    channel_code: str | None = None
    channel_properties: QrProperties = QrProperties()


class PaymentMethodView(Wire):
    id: str = Field(min_length=1, max_length=100)
    type: str
    status: str
    reference_id: str | None = Field(default=None, max_length=255)
    virtual_account: VirtualAccountInfo | None = None
    qr_code: QrCodeInfo | None = None
    metadata: dict[str, Any] | None = None
    created: str | None = None
    updated: str | None = None


class PaymentRequestView(Wire):
    id: str = Field(min_length=1, max_length=100)
    reference_id: str = Field(min_length=1, max_length=255)
    amount: float
    status: str
    payment_method: PaymentMethodView
    created: str
    updated: str
    failure_code: str | None = None


class PaymentRequestList(Wire):
    data: list[PaymentRequestView]


class InvoiceView(Wire):
    """An invoice as created, looked up, or called back (the callback is the invoice itself)."""

    id: str = Field(min_length=1, max_length=100)
    external_id: str = Field(min_length=1, max_length=255)
    status: str
    amount: float
    invoice_url: str | None = None
    expiry_date: str | None = None
    payment_method: str | None = None
    paid_at: str | None = None
    created: str | None = None
    updated: str


class InvoiceList(RootModel[list[InvoiceView]]):
    """`GET /v2/invoices?external_id=...`: a bare JSON list."""


class RefundView(Wire):
    id: str = Field(min_length=1, max_length=100)
    payment_request_id: str | None = None
    invoice_id: str | None = None
    amount: float
    status: str
    reference_id: str | None = None
    metadata: dict[str, Any] | None = None
    created: str
    updated: str


class RefundList(Wire):
    data: list[RefundView]


class PaymentData(Wire):
    id: str = Field(min_length=1, max_length=100)
    payment_request_id: str = Field(min_length=1, max_length=100)
    reference_id: str = Field(min_length=1, max_length=255)
    amount: float
    status: str
    payment_method: PaymentMethodView | None = None
    updated: str


class PaymentCallback(Wire):
    event: str
    created: str
    data: PaymentData


class PaymentMethodCallback(Wire):
    event: str
    created: str
    data: PaymentMethodView


class RefundCallback(Wire):
    event: str
    created: str
    data: RefundView

"""The one contract every payment partner adapter keeps: create a payment, verify and parse a
notification, look up a status, refund, and end an open payment (cancel or expire it). Plain
Python: no web, no database.

Amounts are whole rupiah (int); times are UTC-aware.
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class PaymentMethod(enum.StrEnum):
    VIRTUAL_ACCOUNT = "virtual_account"
    QRIS = "qris"
    EWALLET = "ewallet"


class PaymentStatus(enum.StrEnum):
    """A partner's status, normalized. PAID means the money is in: nothing else does."""

    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Ending(enum.StrEnum):
    """Why an open payment is ended at the partner: its order was cancelled, or ran out of time
    (Midtrans has an API for each; Xendit expires either way)."""

    CANCEL = "cancel"
    EXPIRE = "expire"


@dataclass(frozen=True)
class NewPayment:
    """What a shop asks a partner for. Where notifications go is the partner's configuration."""

    order_id: str
    gross_amount: int
    method: PaymentMethod
    description: str
    va_bank: str | None = None
    finish_redirect_url: str | None = None
    expires_in: timedelta | None = None


@dataclass(frozen=True)
class VirtualAccount:
    bank: str
    number: str


@dataclass(frozen=True)
class CreatedPayment:
    """What the buyer needs to pay: a page to go to, a virtual account, or a QRIS string."""

    order_id: str
    partner_transaction_id: str
    status: PaymentStatus
    gross_amount: int
    method: PaymentMethod
    expires_at: datetime
    redirect_url: str | None = None
    virtual_account: VirtualAccount | None = None
    qris: str | None = None


@dataclass(frozen=True)
class PaymentEvent:
    """A verified notification, or the answer to a status lookup: the partner's view of a payment.

    Partners send notifications more than once and out of order; `dedupe_key` is the same for
    every copy of one event and differs between events, so a consumer can apply each once.
    """

    order_id: str
    status: PaymentStatus
    gross_amount: int
    partner_transaction_id: str
    partner_status: str
    status_code: str
    occurred_at: datetime
    method: PaymentMethod | None = None
    refunded_amount: int = 0

    @property
    def dedupe_key(self) -> str:
        return f"{self.partner_transaction_id}:{self.partner_status}:{self.refunded_amount}"

    @property
    def is_paid(self) -> bool:
        return self.status is PaymentStatus.PAID


@dataclass(frozen=True)
class RefundRequest:
    """`amount` None refunds everything not yet refunded. The same `refund_key` sent again is the
    same refund, never a second one: use it to retry safely."""

    order_id: str
    refund_key: str
    amount: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    """`status` is REFUNDED once nothing is left to refund, else PARTIALLY_REFUNDED."""

    order_id: str
    refund_key: str
    amount: int
    status: PaymentStatus
    partner_refund_id: str


class PaymentPartner(Protocol):
    """Every adapter (simulator, Midtrans, Xendit) passes the same contract test suite."""

    name: str

    def create_payment(self, new: NewPayment) -> CreatedPayment:
        """Raises DuplicateOrder, PartnerRefused or PartnerUnavailable."""
        ...

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        """Verify a notification as received (headers, raw body); raises NotificationRejected."""
        ...

    def status(self, order_id: str) -> PaymentEvent:
        """The partner's current view; raises UnknownPayment, PartnerRefused, PartnerUnavailable."""
        ...

    def refund(self, request: RefundRequest) -> RefundResult:
        """Full or partial; raises UnknownPayment, PartnerRefused or PartnerUnavailable."""
        ...

    def cancel(self, order_id: str, ending: Ending = Ending.CANCEL) -> PaymentEvent:
        """End an open payment so the buyer can no longer pay it; answers the partner's view
        after (CANCELLED or EXPIRED). One that had ended already answers as it is: ending twice
        is harmless. Raises AlreadyPaid (the money is in: its `event` says so), UnknownPayment,
        PartnerRefused or PartnerUnavailable."""
        ...

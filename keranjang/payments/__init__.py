"""Payments: the payment-partner contract, its adapters, and a local partner simulator.

Commerce takes payment through a partner (DESIGN.md section 3). Every partner is reached through
one contract, `PaymentPartner`; each adapter maps its partner's formats and errors onto it and
passes the same contract test suite. The simulator (`keranjang.payments.simulator`) is a separate
service with its own database; adapters reach it over HTTP only.

One backend is chosen by configuration: `partner_from_settings(PartnerChoice(...), clock)`.
Every adapter speaks HTTP through `http_client` and raises only the error tree drawn in `errors`.
"""

from keranjang.payments.choice import PartnerChoice, partner_from_settings
from keranjang.payments.contract import (
    CreatedPayment,
    Ending,
    NewPayment,
    PaymentEvent,
    PaymentMethod,
    PaymentPartner,
    PaymentStatus,
    RefundRequest,
    RefundResult,
    VirtualAccount,
)
from keranjang.payments.errors import (
    AlreadyPaid,
    DuplicateOrder,
    NotificationRejected,
    PartnerRefused,
    PartnerUnavailable,
    PaymentError,
    UnknownPayment,
)
from keranjang.payments.http_client import within

__all__ = [
    "AlreadyPaid",
    "CreatedPayment",
    "DuplicateOrder",
    "Ending",
    "NewPayment",
    "NotificationRejected",
    "PartnerChoice",
    "PartnerRefused",
    "PartnerUnavailable",
    "PaymentError",
    "PaymentEvent",
    "PaymentMethod",
    "PaymentPartner",
    "PaymentStatus",
    "RefundRequest",
    "RefundResult",
    "UnknownPayment",
    "VirtualAccount",
    "partner_from_settings",
    "within",
]

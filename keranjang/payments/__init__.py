"""Payments: the payment-partner contract, its adapters, and a local partner simulator.

Commerce takes payment through a partner (DESIGN.md section 3). Every partner is reached through
one contract, `PaymentPartner`; each adapter maps its partner's formats and errors onto it and
passes the same contract test suite. The simulator (`keranjang.payments.simulator`) is a separate
service with its own database; adapters reach it over HTTP only.

Errors, all raised by adapters of this package::

    PaymentError
    ├── PartnerUnavailable       not reached, timed out, 5xx or unreadable: outcome unknown,
    │                            retry later or reconcile with a status lookup
    ├── PartnerRefused           a 4xx: the request is wrong (`status`, the partner's message)
    │   ├── DuplicateOrder       the order id already has a payment at the partner
    │   └── UnknownPayment       the partner has no payment for that order id
    └── NotificationRejected     not to be believed (`reason`: bad_signature, malformed,
                                 unknown_order)
"""

from keranjang.payments.contract import (
    CreatedPayment,
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
    DuplicateOrder,
    NotificationRejected,
    PartnerRefused,
    PartnerUnavailable,
    PaymentError,
    UnknownPayment,
)

__all__ = [
    "CreatedPayment",
    "DuplicateOrder",
    "NewPayment",
    "NotificationRejected",
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
]

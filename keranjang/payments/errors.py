"""The payments error tree. Every adapter raises these and nothing else: a lower-level error (httpx,
pydantic, JSON, a value that cannot be read) is raised again as one of them, `from` it, at the edge
(`http_client` for answers, each adapter for notifications). Commerce decides what each means to a
buyer; no HTTP status number lives here.

    PaymentError                 the base: catch it to catch anything an adapter raises
    ├── PartnerUnavailable       not reached, timed out, 5xx or unreadable: the outcome is unknown;
    │                            retry later, or reconcile with a status lookup
    ├── PartnerRefused           refused: the request is wrong, retrying it unchanged will not help
    │   │                        (`status`: the partner's 4xx, or its code in the body; 0 when
    │   │                        the request could not even be made)
    │   ├── DuplicateOrder       the order id already has a payment at the partner
    │   ├── UnknownPayment       the partner has no payment for that order id
    │   └── AlreadyPaid          a payment asked to end was paid (`event`: the partner's view)
    └── NotificationRejected     a notification not to be believed (`reason`: bad_signature,
                                 malformed, unknown_order)
"""

from keranjang.payments.contract import PaymentEvent


class PaymentError(Exception):
    """Base of every error a payment partner adapter raises."""


class PartnerUnavailable(PaymentError):
    """The partner could not be reached, timed out, or answered 5xx or unreadably: the outcome of
    the call is unknown. Retry later, or reconcile with a status lookup."""


class PartnerRefused(PaymentError):
    """The partner refused (a 4xx, or its own code for one): the request is wrong and retrying it
    unchanged will not help. `status` is that code; 0 when the request could not even be made."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class DuplicateOrder(PartnerRefused):
    """The order id already has a payment at the partner (look up its status instead)."""


class UnknownPayment(PartnerRefused):
    """The partner has no payment for that order id."""


class AlreadyPaid(PartnerRefused):
    """A payment asked to end (cancel, expire) had been paid: the money is in. `event` is the
    partner's view of it, so the caller learns it was paid without asking again."""

    def __init__(self, message: str, status: int, event: PaymentEvent) -> None:
        super().__init__(message, status)
        self.event = event


class NotificationRejected(PaymentError):
    """A notification that must not be believed. `reason` is a short machine-readable code."""

    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"
    UNKNOWN_ORDER = "unknown_order"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

"""The payments error tree (drawn in the package docstring)."""


class PaymentError(Exception):
    """Base of every error a payment partner adapter raises."""


class PartnerUnavailable(PaymentError):
    """The partner could not be reached, timed out, or answered 5xx or unreadably: the outcome of
    the call is unknown. Retry later, or reconcile with a status lookup."""


class PartnerRefused(PaymentError):
    """The partner answered 4xx: the request is wrong and retrying it unchanged will not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class DuplicateOrder(PartnerRefused):
    """The order id already has a payment at the partner (look up its status instead)."""


class UnknownPayment(PartnerRefused):
    """The partner has no payment for that order id."""


class NotificationRejected(PaymentError):
    """A notification that must not be believed. `reason` is a short machine-readable code."""

    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"
    UNKNOWN_ORDER = "unknown_order"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

"""Every error commerce's use cases raise, in one tree. The web layer turns each into an HTTP
status in one table (`web/errors.py`); nothing here knows HTTP.

Errors::

    CommerceError
    ├── NotFound             no such merchant, product, order, invoice… (or not yours)
    ├── Invalid              input that breaks a rule; the message says what to fix
    │   ├── EmptyCart        a checkout of an empty cart
    │   └── IdempotencyMismatch  a checkout key reused with another body
    ├── Conflict             the thing exists already, or the state does not allow it now
    │   ├── IllegalTransition    the order cannot move to that state from its own
    │   ├── OrderChanged     another request moved the order first: reload and retry
    │   ├── OutOfStock       fewer units left than asked
    │   ├── NotSelling       the shop is not selling here now (moving from, or back to, the app)
    │   ├── PaymentTooLate   the order's stock hold ends too soon for a payment
    │   ├── Taken            a unique key won by a concurrent request (email, slug, cart line)
    │   └── Unclaimed        a sign-up with the email of an account waiting to be claimed
    ├── NotPermitted         authenticated, but not allowed (not your shop)
    ├── Unauthenticated      missing or wrong credentials
    ├── Gone                 a one-time link already used, or past its time
    ├── HandoffRefused       a yellow-cart hand-off commerce will not accept (`reason` says why)
    ├── PaymentUnavailable   the payment partner cannot be reached now; try again
    ├── RefundRefused        the partner refused the refund; nothing was refunded
    └── Unavailable          commerce's database cannot be reached now; try again
"""

from datetime import datetime


class CommerceError(Exception):
    """The root: anything commerce refuses, with a message a person can act on."""


class NotFound(CommerceError):
    pass


class Invalid(CommerceError):
    pass


class EmptyCart(Invalid):
    pass


class IdempotencyMismatch(Invalid):
    pass


class Conflict(CommerceError):
    pass


class IllegalTransition(Conflict):
    pass


class OrderChanged(Conflict):
    """Another request moved the order first."""


class OutOfStock(Conflict):
    pass


class NotSelling(Conflict):
    """The merchant is not selling in commerce now: its move from the old in-app shop has not
    reached the cutover, or it is going back there. Nothing was ordered or put in a cart."""

    shop_name = ""

    @classmethod
    def shop(cls, name: str) -> "NotSelling":
        exc = cls(
            f"the shop {name!r} is not selling here right now (it is moving between the social "
            "app's shop and this one); nothing was ordered: try again later, or buy through its "
            "yellow cart in the app"
        )
        exc.shop_name = name
        return exc


class PaymentTooLate(Conflict):
    """The order's stock hold ends too soon for a payment: none is created at the partner."""

    @classmethod
    def for_order(cls, number: str, hold_expires_at: datetime) -> "PaymentTooLate":
        return cls(
            f"order {number} can no longer be paid: its stock is held only until "
            f"{hold_expires_at.isoformat()}, too soon for a payment"
        )


class Taken(Conflict):
    """A unique key (an email, a shop address, a cart line) taken by a request that committed
    first; the loser's transaction changed nothing."""


class Unclaimed(Conflict):
    """The email has an account made from earlier purchases (a merchant moved here from the old
    in-app shop) that has no password yet: its owner claims it through a claim link."""


class NotPermitted(CommerceError):
    pass


class Unauthenticated(CommerceError):
    pass


class Gone(CommerceError):
    """A one-time link (an account's claim link) already used or expired: ask for a new one."""


class HandoffRefused(CommerceError):
    """`reason`: unreadable or wrong (`malformed`, `merchant_mismatch`…), not signed by social
    (`unknown_key`, `bad_signature`), `expired` or already used (`replayed`), or
    `unknown_product`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PaymentUnavailable(CommerceError):
    pass


class RefundRefused(CommerceError):
    """The partner refused the refund; nothing was refunded."""


class Unavailable(CommerceError):
    """The database stayed away for this request; nothing was changed."""

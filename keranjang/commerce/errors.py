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

Every error carries a stable `code` (`"out_of_stock"`, `"too_long"`…) and its `params` (a dict
of the values its wording needs, such as `{"field": "title", "max": 200}`); its message is the
English a developer reads in the logs. The web layer words the code per locale through the
catalog (`web/wording.py`), with the form's own labels for a `field`."""

from datetime import datetime


class CommerceError(Exception):
    """The root: anything commerce refuses, with a message a developer can act on, and the
    `code` and `params` the web layer words for a person."""

    code = "refused"

    def __init__(
        self, message: str, *, code: str | None = None, params: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.params: dict[str, object] = dict(params or {})


class NotFound(CommerceError):
    code = "not_found"


class Invalid(CommerceError):
    code = "invalid"


class EmptyCart(Invalid):
    code = "empty_cart"


class IdempotencyMismatch(Invalid):
    code = "idempotency_mismatch"


class Conflict(CommerceError):
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class OrderChanged(Conflict):
    """Another request moved the order first."""

    code = "order_changed"


class OutOfStock(Conflict):
    code = "out_of_stock"


class NotSelling(Conflict):
    """The merchant is not selling in commerce now: its move from the old in-app shop has not
    reached the cutover, or it is going back there. Nothing was ordered or put in a cart."""

    code = "not_selling"
    shop_name = ""

    @classmethod
    def shop(cls, name: str) -> "NotSelling":
        exc = cls(
            f"the shop {name!r} is not selling here right now (it is moving between the social "
            "app's shop and this one); nothing was ordered: try again later, or buy through its "
            "yellow cart in the app",
            params={"shop": name},
        )
        exc.shop_name = name
        return exc


class PaymentTooLate(Conflict):
    """The order's stock hold ends too soon for a payment: none is created at the partner."""

    code = "payment_too_late"

    @classmethod
    def for_order(cls, number: str, hold_expires_at: datetime) -> "PaymentTooLate":
        return cls(
            f"order {number} can no longer be paid: its stock is held only until "
            f"{hold_expires_at.isoformat()}, too soon for a payment",
            params={"number": number, "until": hold_expires_at},
        )


class Taken(Conflict):
    """A unique key (an email, a shop address, a cart line) taken by a request that committed
    first; the loser's transaction changed nothing."""

    code = "taken"


class Unclaimed(Conflict):
    """The email has an account made from earlier purchases (a merchant moved here from the old
    in-app shop) that has no password yet: its owner claims it through a claim link."""

    code = "unclaimed"


class NotPermitted(CommerceError):
    code = "not_permitted"


class Unauthenticated(CommerceError):
    code = "unauthenticated"


class Gone(CommerceError):
    """A one-time link (an account's claim link) already used or expired: ask for a new one."""

    code = "gone"


class HandoffRefused(CommerceError):
    """`reason`: unreadable or wrong (`malformed`, `merchant_mismatch`…), not signed by social
    (`unknown_key`, `bad_signature`), `expired` or already used (`replayed`), or
    `unknown_product`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, code=f"handoff_{reason}")
        self.reason = reason


class PaymentUnavailable(CommerceError):
    code = "payment_unavailable"


class RefundRefused(CommerceError):
    """The partner refused the refund; nothing was refunded."""

    code = "refund_refused"


class Unavailable(CommerceError):
    """The database stayed away for this request; nothing was changed."""

    code = "unavailable"

"""The payment simulator's rules in plain Python: no web, no database.

A transaction is created pending, and then is paid (settlement), cancelled by the buyer, or
expires; a settled one can be refunded, in parts, until nothing is left. Every change of status
is notified to the shop.

Errors::

    SimulatorError
    ├── NotFound          no transaction with that id or order id
    ├── Invalid           a request that breaks a rule; the message says what to fix
    ├── Conflict          the order id is taken, or the transaction is past that step
    ├── CannotModify      a shop asked to cancel or expire a transaction no longer pending
    ├── NotPermitted      no server key or operator token is configured
    └── Unauthenticated   missing or wrong server key or operator token
"""

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from keranjang.payments.simulator import instructions


class SimulatorError(Exception):
    """Every refusal of the simulator: an HTTP `status` as Midtrans answers it, and a stable
    `code` (snake_case) that JSON answers carry beside it for clients to act on."""

    status = 400
    code = "refused"


class NotFound(SimulatorError):
    status = 404
    code = "not_found"


class Invalid(SimulatorError):
    status = 422
    code = "invalid"


class Conflict(SimulatorError):
    status = 409
    code = "conflict"


class CannotModify(SimulatorError):
    """Midtrans' 412 "Merchant cannot modify the status of the transaction"."""

    status = 412
    code = "cannot_modify"


class NotPermitted(SimulatorError):
    status = 403
    code = "not_permitted"


class Unauthenticated(SimulatorError):
    status = 401
    code = "unauthenticated"


class TxStatus(enum.StrEnum):
    """Midtrans' transaction_status values that the simulator produces."""

    PENDING = "pending"
    SETTLEMENT = "settlement"
    CANCEL = "cancel"
    EXPIRE = "expire"
    PARTIAL_REFUND = "partial_refund"
    REFUND = "refund"


class PaymentType(enum.StrEnum):
    """Midtrans' payment_type values: a virtual account, QRIS, and an e-wallet."""

    BANK_TRANSFER = "bank_transfer"
    QRIS = "qris"
    GOPAY = "gopay"


ORDER_ID = re.compile(r"^[A-Za-z0-9\-_.~]{1,50}$")
REFUND_KEY = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")
MAX_AMOUNT = 999_999_999_999
DEFAULT_BANK = "bca"
DEFAULT_EXPIRY = {
    PaymentType.BANK_TRANSFER: timedelta(hours=24),
    PaymentType.QRIS: timedelta(minutes=15),
    PaymentType.GOPAY: timedelta(minutes=15),
}
MIN_EXPIRY = timedelta(minutes=1)
MAX_EXPIRY = timedelta(days=7)
MAX_NOTIFICATION_URLS = 3  # as Midtrans allows in X-Override-Notification
MAX_NOTIFICATION_URL = 500
REFUNDABLE = (TxStatus.SETTLEMENT, TxStatus.PARTIAL_REFUND)


@dataclass(frozen=True)
class Charge:
    """A shop's request for a payment."""

    order_id: str
    gross_amount: int
    payment_type: PaymentType
    description: str = ""
    bank: str | None = None
    finish_redirect_url: str | None = None
    expires_in: timedelta | None = None
    # Midtrans' `X-Override-Notification` header: this payment's notifications go to these URLs
    # (up to three) instead of the configured notification URL.
    notification_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refund:
    refund_id: str
    refund_key: str
    amount: int
    reason: str
    at: datetime


@dataclass(frozen=True)
class RefundAsk:
    """`amount` None refunds everything left; without a key, each ask is a new refund."""

    refund_key: str | None = None
    amount: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    order_id: str
    gross_amount: int
    payment_type: PaymentType
    description: str
    status: TxStatus
    bank: str
    va_number: str
    qr_string: str
    created_at: datetime
    expires_at: datetime
    finish_redirect_url: str | None = None
    settled_at: datetime | None = None
    refunds: tuple[Refund, ...] = ()
    notification_urls: tuple[str, ...] = ()

    @property
    def refunded_amount(self) -> int:
        return sum(r.amount for r in self.refunds)

    @property
    def refundable(self) -> int:
        return self.gross_amount - self.refunded_amount

    @property
    def is_pending(self) -> bool:
        return self.status is TxStatus.PENDING


def check_charge(c: Charge) -> Charge:
    if not ORDER_ID.match(c.order_id):
        raise Invalid("order_id must be 1 to 50 letters, digits or '-', '_', '.', '~'")
    if not 1 <= c.gross_amount <= MAX_AMOUNT:
        raise Invalid(f"gross_amount must be whole rupiah from 1 to {MAX_AMOUNT}")
    if c.bank is not None and c.bank not in instructions.VA_PREFIXES:
        raise Invalid(f"bank must be one of {', '.join(instructions.VA_PREFIXES)}")
    if c.expires_in is not None and not MIN_EXPIRY <= c.expires_in <= MAX_EXPIRY:
        raise Invalid("custom_expiry must be from 1 minute to 7 days")
    url = c.finish_redirect_url
    if url is not None and not url.startswith(("https://", "http://")):
        raise Invalid("the finish redirect URL must be an http(s) URL")
    check_notification_urls(c.notification_urls)
    return c


def check_notification_urls(urls: tuple[str, ...]) -> tuple[str, ...]:
    if len(urls) > MAX_NOTIFICATION_URLS:
        raise Invalid(f"X-Override-Notification takes at most {MAX_NOTIFICATION_URLS} URLs")
    for url in urls:
        if not url.startswith(("https://", "http://")) or len(url) > MAX_NOTIFICATION_URL:
            raise Invalid(
                "X-Override-Notification must be http(s) URLs of at most "
                f"{MAX_NOTIFICATION_URL} characters, separated by commas"
            )
    return urls


def new_transaction(c: Charge, transaction_id: str, now: datetime) -> Transaction:
    bank = c.bank or DEFAULT_BANK
    return Transaction(
        transaction_id=transaction_id,
        order_id=c.order_id,
        gross_amount=c.gross_amount,
        payment_type=c.payment_type,
        description=c.description.strip()[:255],
        status=TxStatus.PENDING,
        bank=bank,
        va_number=instructions.va_number(bank, transaction_id),
        qr_string=instructions.qris_payload(transaction_id, c.order_id, c.gross_amount),
        created_at=now,
        expires_at=now + (c.expires_in or DEFAULT_EXPIRY[c.payment_type]),
        finish_redirect_url=c.finish_redirect_url,
        notification_urls=c.notification_urls,
    )


def is_overdue(tx: Transaction, now: datetime) -> bool:
    return tx.is_pending and now >= tx.expires_at


def _require_pending(tx: Transaction) -> None:
    if not tx.is_pending:
        raise Conflict(f"order {tx.order_id} can no longer be paid: it is {tx.status.value}")


def settle(tx: Transaction, paid_with: PaymentType, now: datetime) -> Transaction:
    _require_pending(tx)
    return replace(tx, status=TxStatus.SETTLEMENT, payment_type=paid_with, settled_at=now)


def cancel(tx: Transaction) -> Transaction:
    _require_pending(tx)
    return replace(tx, status=TxStatus.CANCEL)


def expire(tx: Transaction) -> Transaction:
    _require_pending(tx)
    return replace(tx, status=TxStatus.EXPIRE)


def end_by_shop(tx: Transaction, status: TxStatus) -> Transaction:
    """A shop cancels or expires a pending transaction (Midtrans' cancel and expire APIs); one
    no longer pending is refused, as Midtrans does (the shop looks its status up)."""
    if not tx.is_pending:
        raise CannotModify(
            f"Merchant cannot modify the status of the transaction: order {tx.order_id} is "
            f"{tx.status.value}"
        )
    return replace(tx, status=status)


def require_paid(tx: Transaction) -> Transaction:
    """Paying twice (a double click) finds it paid; paying a closed transaction is refused."""
    if tx.status in (TxStatus.CANCEL, TxStatus.EXPIRE):
        raise Conflict(f"order {tx.order_id} can no longer be paid: it is {tx.status.value}")
    return tx


def refund_by_key(tx: Transaction, ask: RefundAsk) -> Refund | None:
    """The refund already made under this key (a retry), which must ask for the same amount."""
    for done in tx.refunds:
        if ask.refund_key is not None and done.refund_key == ask.refund_key:
            if ask.amount is not None and ask.amount != done.amount:
                raise Conflict(
                    f"refund_key {ask.refund_key!r} was used for {done.amount}; "
                    "use a new refund_key for another refund"
                )
            return done
    return None


def refund(
    tx: Transaction, ask: RefundAsk, refund_id: str, now: datetime
) -> tuple[Transaction, Refund]:
    """A new refund; without a refund key it takes its id as its key."""
    if tx.status not in REFUNDABLE:
        raise Conflict(
            f"only a settled payment can be refunded; order {tx.order_id} is {tx.status}"
        )
    key = ask.refund_key or refund_id
    if not REFUND_KEY.match(key):
        raise Invalid("refund_key must be 1 to 64 letters, digits, '-' or '_'")
    amount = tx.refundable if ask.amount is None else ask.amount
    if not 1 <= amount <= tx.refundable:
        raise Invalid(f"the refund amount must be from 1 to {tx.refundable} (what is left)")
    done = Refund(refund_id, key, amount, ask.reason.strip()[:255], now)
    refunds = (*tx.refunds, done)
    status = TxStatus.REFUND if amount == tx.refundable else TxStatus.PARTIAL_REFUND
    return replace(tx, status=status, refunds=refunds), done

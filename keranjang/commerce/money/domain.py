"""What money's use cases answer, as plain values: a payment as the buyer needs it, a refund,
a payout batch, a seller's statement, the books. The ledger's rules are in `ledger`."""

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from keranjang.commerce.errors import Invalid, PaymentTooLate
from keranjang.payments.contract import PaymentMethod, PaymentStatus

# A partner counts a payment's lifetime from when the request reaches it, by its own clock (the
# Xendit adapter from its clock a moment after ours): this much of the hold is kept back for the
# trip and for clocks that disagree, so the payment ends before the order's hold does.
PARTNER_LEEWAY = timedelta(seconds=30)


class RefundStatus(enum.StrEnum):
    """A refund asked of the partner: its goods are reserved while `requested`; `failed` gives
    them back."""

    REQUESTED = "requested"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundStage(enum.StrEnum):
    """Where a refund's money is taken back from: escrow before the order completes, the shares
    it gave after, or a second payment of the order returned whole."""

    ESCROW = "escrow"
    SHARES = "shares"
    STRAY = "stray"


P = PaymentStatus
# A payment in one of these states will never be paid: the buyer may start a new attempt.
ENDED_PAYMENTS = frozenset({P.EXPIRED.value, P.FAILED.value, P.CANCELLED.value})
# A payment in one of these states took the buyer's money (the partner holds, or held, it).
MONEY_IN = frozenset({P.PAID.value, P.PARTIALLY_REFUNDED.value, P.REFUNDED.value})


@dataclass(frozen=True)
class PaymentView:
    """An order's payment at the partner; `instructions` is what the buyer needs to pay (the pay
    page's `redirect_url`, a virtual account number, a QRIS string…)."""

    order_id: int
    partner: str
    partner_transaction_id: str
    method: str
    amount_idr: int
    status: str
    instructions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    """How the buyer chose to pay: the method, and the bank for a virtual account (None: the
    partner's default bank, or whichever bank a payment already has)."""

    method: PaymentMethod
    va_bank: str | None = None

    def honoured_by(self, method: str, instructions: dict[str, Any]) -> bool:
        """Whether a payment of this method with these instructions is what the buyer chose."""
        account = instructions.get("virtual_account") or {}
        bank = str(account.get("bank", "")).lower()
        return method == self.method.value and self.va_bank in (None, bank)


@dataclass(frozen=True)
class PaymentOutcome:
    """A just-placed order's first payment, or why it has none (pay later)."""

    order_id: int
    payment: PaymentView | None
    error: str | None = None


@dataclass(frozen=True)
class RefundLine:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class RefundView:
    id: int
    order_id: int
    amount_idr: int
    shipping_idr: int
    lines: tuple[RefundLine, ...]
    reason: str
    status: str
    error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Books:
    """The journal's totals (always equal) and every account's balance, debits minus credits."""

    debits_idr: int
    credits_idr: int
    balances: dict[str, int]

    @property
    def balanced(self) -> bool:
        return self.debits_idr == self.credits_idr


@dataclass(frozen=True)
class PayoutLine:
    id: int
    payee_kind: str
    payee_id: int
    account: str
    amount_idr: int


@dataclass(frozen=True)
class PayoutBatch:
    id: int
    partner: str
    created_at: datetime
    payout_count: int
    total_idr: int
    payouts: tuple[PayoutLine, ...]


@dataclass(frozen=True)
class Balances:
    pending_idr: int
    payable_idr: int


@dataclass(frozen=True)
class Movement:
    """One posting on a merchant's account: `account` is "pending" or "payable"; money in is
    what the merchant is owed more, money out what it is owed less."""

    at: datetime
    order_id: int | None
    order_number: str | None
    kind: str
    memo: str
    account: str
    in_idr: int
    out_idr: int


@dataclass(frozen=True)
class Statement:
    """A merchant's two accounts over calendar days in WIB: opening + movements = closing."""

    merchant_id: int
    since: date | None
    until: date | None
    opening: Balances
    movements: tuple[Movement, ...]
    closing: Balances
    paid_out_idr: int
    in_transit_idr: int = 0


@dataclass(frozen=True)
class CreatorCommissions:
    creator_id: int
    pending_idr: int
    payable_idr: int
    paid_out_idr: int


def payment_lifetime(number: str, hold_expires_at: datetime, now: datetime) -> timedelta:
    """How long a payment started `now` may stay payable: until the order's hold ends (when
    commerce expires the order and puts its stock back), less `PARTNER_LEEWAY`, rounded down to
    whole minutes. Raises `PaymentTooLate` when that is less than a minute.

    Whole minutes are what every adapter can say exactly: the simulator and Midtrans' Core API
    take `custom_expiry` in minutes from the transaction's creation (Midtrans accepts 20 s to
    180 days, the simulator 1 minute to 7 days); Midtrans Snap an `expiry` of minutes from a
    `start_time` the adapter sets to its clock cut to the second; Xendit a payment request's
    absolute `expires_at` (the adapter's clock plus the lifetime) or an invoice's
    `invoice_duration` in seconds. The adapters round a part minute up, so a whole one passes
    unchanged. Not checked against the partners themselves: Xendit's shortest accepted expiry
    for a virtual account or QR code (none found in its documentation), and whether Midtrans
    still lets a buyer pay on a Snap page (its own `page_expiry`, not sent) once the
    transaction's `expiry` has passed."""
    minutes = (hold_expires_at - now - PARTNER_LEEWAY) // timedelta(minutes=1)
    if minutes < 1:
        raise PaymentTooLate.for_order(number, hold_expires_at)
    return timedelta(minutes=minutes)


@dataclass(frozen=True)
class BankAccount:
    """Where a merchant's payouts go: a bank (its code, such as BCA or 014), the account number
    and the name the account is held in."""

    bank_code: str
    account_number: str
    holder_name: str


@dataclass(frozen=True)
class PayoutAccount:
    payee_id: int  # the merchant's id, or the creator's
    bank: BankAccount
    updated_at: datetime


def checked_bank_account(given: BankAccount) -> BankAccount:
    """The account as stored (bank code in capitals, spaces trimmed), or `Invalid` naming the
    field to fix."""
    code = given.bank_code.strip().upper()
    number = given.account_number.strip()
    holder = " ".join(given.holder_name.split())
    if not (3 <= len(code) <= 10 and code.isascii() and code.isalnum()):
        raise Invalid(
            "bank_code must be 3 to 10 letters or digits, such as BCA or 014",
            code="bank_code",
            params={"field": "bank_code"},
        )
    if not (5 <= len(number) <= 20 and number.isascii() and number.isdigit()):
        raise Invalid(
            "account_number must be 5 to 20 digits, without spaces or dashes",
            code="account_number",
            params={"field": "account_number"},
        )
    if not 1 <= len(holder) <= 120:
        raise Invalid(
            "holder_name must be 1 to 120 characters: the name the account is held in",
            code="length",
            params={"field": "holder_name", "min": 1, "max": 120},
        )
    return BankAccount(code, number, holder)

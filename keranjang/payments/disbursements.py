"""The contract every disbursement (money-out) adapter keeps, beside `PaymentPartner`: send money
to a bank account under an idempotency key, check an account's holder before paying it, learn a
disbursement's result by a verified callback and by a status look-up. Plain Python: no web, no
database. Adapters raise only the payments error tree (`errors`).

A disbursement is named by our own key (`Transfer.key`): sending the same key again is the same
disbursement, never a second one, so a send whose answer was lost (or whose process was killed)
is simply sent again. Its life: PENDING until the bank answers, then COMPLETED (the money is in the
payee's account) or FAILED (nothing was sent; `failure` says why). Nothing else is final.

Amounts are whole rupiah (int); times are UTC-aware.
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class DisbursementStatus(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self is not DisbursementStatus.PENDING


@dataclass(frozen=True)
class BankDetails:
    """Where money goes: a bank code as the partner spells it (`bca`, `BCA`…), the account number,
    and the holder's name as the bank has it."""

    bank_code: str
    account_number: str
    holder_name: str


@dataclass(frozen=True)
class Transfer:
    """One disbursement to send. `key` is ours and unique per disbursement (e.g. `payout-17`)."""

    key: str
    amount: int
    to: BankDetails
    description: str


@dataclass(frozen=True)
class DisbursementEvent:
    """A verified callback, or the answer to a send or a look-up: the partner's view of one
    disbursement. `partner_id` names it at the partner; `key` is ours, or "" where the partner's
    callback does not carry it back (Iris): then the consumer finds it by `partner_id`."""

    key: str
    status: DisbursementStatus
    amount: int
    partner_id: str
    partner_status: str
    occurred_at: datetime
    failure: str = ""

    @property
    def dedupe_key(self) -> str:
        return f"{self.partner_id}:{self.partner_status}"


@dataclass(frozen=True)
class AccountCheck:
    """What the partner's bank-account validation found: the holder's name as the bank has it."""

    bank_code: str
    account_number: str
    holder_name: str


class DisbursementPartner(Protocol):
    """Every adapter (Xendit Disbursements, Midtrans Iris, a fake) passes the same contract suite
    (`tests/integration/test_disbursement_contract.py`)."""

    name: str

    def send(self, transfer: Transfer) -> DisbursementEvent:
        """Send (or, under a key already sent, find) a disbursement; raises PartnerRefused (a bad
        account or amount: fix it) or PartnerUnavailable (outcome unknown: send again)."""
        ...

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> DisbursementEvent:
        """Verify a callback as received (headers, raw body); raises NotificationRejected."""
        ...

    def lookup(self, partner_id: str) -> DisbursementEvent:
        """The partner's current view of the disbursement it named `partner_id` (the id a send
        answered; a send whose answer was lost is sent again under its key instead); raises
        UnknownPayment if it has none."""
        ...

    def check_account(self, bank_code: str, account_number: str) -> AccountCheck | None:
        """The holder of an account, or None when this partner offers no validation; raises
        PartnerRefused when the bank has no such account."""
        ...

"""A merchant's or a creator's payout account: where its payouts go. Each public method is one transaction.

When a disbursement partner is configured, a new account is first checked with the partner's
account validation (where it offers one): an account the bank does not have, or held in another
name, is refused and nothing changes. Every set or replacement is recorded
(`payout_account_changes`); a replacement holds the merchant's payouts for the cooling-off period
(see `disbursing`), so a taken-over seller account cannot send the next payout elsewhere at once.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import Invalid, NotFound, PaymentUnavailable
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.disbursements_db import (
    CreatorPayoutAccountChangeRow,
    CreatorPayoutAccountRow,
    DisbursementRow,
    PayoutAccountChangeRow,
)
from keranjang.commerce.money.domain import BankAccount, PayoutAccount, checked_bank_account
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.payments.disbursements import DisbursementPartner
from keranjang.payments.errors import PartnerRefused, PartnerUnavailable


@dataclass(frozen=True)
class LatestPayout:
    amount_idr: int
    made_at: datetime
    status: str  # new, sent (in transit), completed (paid out), failed (payable again)
    failure: str


AccountRow = money_db.PayoutAccountRow | CreatorPayoutAccountRow


@dataclass(frozen=True)
class _Tables:
    """Where one kind of payee's account and its changes are kept, and the payee's column."""

    account: type[money_db.PayoutAccountRow] | type[CreatorPayoutAccountRow]
    change: type[PayoutAccountChangeRow] | type[CreatorPayoutAccountChangeRow]
    key: str


MERCHANTS = _Tables(money_db.PayoutAccountRow, PayoutAccountChangeRow, "merchant_id")
CREATORS = _Tables(CreatorPayoutAccountRow, CreatorPayoutAccountChangeRow, "creator_id")


class PayoutAccountService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        checker: DisbursementPartner | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.checker = checker

    def get(self, merchant_id: int) -> PayoutAccount:
        return self._get(MERCHANTS, merchant_id, "this shop has no payout account yet")

    def get_creator(self, creator_id: int) -> PayoutAccount:
        return self._get(CREATORS, creator_id, "this creator has no payout account yet")

    def put(self, merchant_id: int, bank: BankAccount) -> PayoutAccount:
        """Set (or replace) the merchant's payout account; a bad field changes nothing."""
        return self._put(MERCHANTS, merchant_id, bank)

    def put_creator(self, creator_id: int, bank: BankAccount) -> PayoutAccount:
        """Set (or replace) a creator's payout account, checked and recorded as a merchant's."""
        return self._put(CREATORS, creator_id, bank)

    def latest_creator_payout(self, creator_id: int) -> LatestPayout | None:
        """The creator's most recent payout sent through a disbursement partner, with its
        status and (when it failed and came back to the payable balance) the bank's reason."""
        with self.sessions() as s:
            p, d = money_db.PayoutRow, DisbursementRow
            query = select(p.amount_idr, p.created_at, d.status, d.failure).join(
                d, d.payout_id == p.id
            )
            mine = p.account == f"commission_payable:{creator_id}"
            found = s.execute(query.where(mine).order_by(p.id.desc()).limit(1)).first()
        if found is None:
            return None
        return LatestPayout(found.amount_idr, found.created_at, found.status, found.failure)

    def _get(self, tables: _Tables, payee_id: int, missing: str) -> PayoutAccount:
        with self.sessions() as s:
            row = cast(AccountRow | None, s.get(tables.account, payee_id))
            if row is None:
                raise NotFound(f"{missing}: set one first", code="no_payout_account")
            return _view(row, payee_id)

    def _put(self, tables: _Tables, payee_id: int, bank: BankAccount) -> PayoutAccount:
        bank = checked_bank_account(bank)
        check_with_bank(self.checker, bank)
        now = self.clock.now()
        with transaction(self.sessions) as s:
            row = cast(AccountRow | None, s.get(tables.account, payee_id, with_for_update=True))
            old = ("", "") if row is None else (row.bank_code, row.account_number)
            if row is None:
                row = cast(AccountRow, tables.account(**{tables.key: payee_id}))
                s.add(row)
            if old != (bank.bank_code, bank.account_number):
                s.add(tables.change(**{tables.key: payee_id}, **_change(now, old, bank)))
            row.bank_code, row.account_number = bank.bank_code, bank.account_number
            row.holder_name, row.updated_at = bank.holder_name, now
            s.flush()
            return _view(row, payee_id)


def check_with_bank(checker: DisbursementPartner | None, bank: BankAccount) -> None:
    """Invalid unless the partner's account validation (where offered) finds the account held in
    that name (case and spacing aside); PaymentUnavailable when it cannot be asked now."""
    if checker is None:
        return
    try:
        found = checker.check_account(bank.bank_code, bank.account_number)
    except PartnerRefused as exc:
        raise Invalid(
            f"the bank has no account {bank.account_number} at {bank.bank_code}: "
            "check the bank code and the account number",
            code="bank_has_no_account",
            params={"field": "account_number"},
        ) from exc
    except PartnerUnavailable as exc:
        raise PaymentUnavailable(
            "the bank account cannot be checked now; try again", code="bank_check_down"
        ) from exc
    if found is not None and _name(found.holder_name) != _name(bank.holder_name):
        raise Invalid(
            "holder_name is not the name this account is held in at the bank: "
            "write it as it is on the account",
            code="holder_differs",
            params={"field": "holder_name"},
        )


def _name(holder: str) -> str:
    return " ".join(holder.upper().split())


def _change(at: datetime, old: tuple[str, str], bank: BankAccount) -> dict[str, Any]:
    return {
        "at": at,
        "old_bank_code": old[0],
        "old_account_number": old[1],
        "new_bank_code": bank.bank_code,
        "new_account_number": bank.account_number,
        "new_holder_name": bank.holder_name,
    }


def _view(row: AccountRow, payee_id: int) -> PayoutAccount:
    bank = BankAccount(row.bank_code, row.account_number, row.holder_name)
    return PayoutAccount(payee_id, bank, row.updated_at)

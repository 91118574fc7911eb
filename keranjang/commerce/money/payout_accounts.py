"""A merchant's payout account: where its payouts go. Each public method is one transaction.

When a disbursement partner is configured, a new account is first checked with the partner's
account validation (where it offers one): an account the bank does not have, or held in another
name, is refused and nothing changes. Every set or replacement is recorded
(`payout_account_changes`); a replacement holds the merchant's payouts for the cooling-off period
(see `disbursing`), so a taken-over seller account cannot send the next payout elsewhere at once.
"""

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import Invalid, NotFound, PaymentUnavailable
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.disbursements_db import PayoutAccountChangeRow
from keranjang.commerce.money.domain import BankAccount, PayoutAccount, checked_bank_account
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.payments.disbursements import DisbursementPartner
from keranjang.payments.errors import PartnerRefused, PartnerUnavailable


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
        with self.sessions() as s:
            row = s.get(money_db.PayoutAccountRow, merchant_id)
            if row is None:
                raise NotFound("this shop has no payout account yet: set one first")
            return _view(row)

    def put(self, merchant_id: int, bank: BankAccount) -> PayoutAccount:
        """Set (or replace) the merchant's payout account; a bad field changes nothing."""
        bank = checked_bank_account(bank)
        check_with_bank(self.checker, bank)
        now = self.clock.now()
        with transaction(self.sessions) as s:
            row = s.get(money_db.PayoutAccountRow, merchant_id, with_for_update=True)
            old = ("", "") if row is None else (row.bank_code, row.account_number)
            if row is None:
                row = money_db.PayoutAccountRow(merchant_id=merchant_id)
                s.add(row)
            if old != (bank.bank_code, bank.account_number):
                s.add(_change(merchant_id, now, old, bank))
            row.bank_code, row.account_number = bank.bank_code, bank.account_number
            row.holder_name, row.updated_at = bank.holder_name, now
            s.flush()
            return _view(row)


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
            "check the bank code and the account number"
        ) from exc
    except PartnerUnavailable as exc:
        raise PaymentUnavailable("the bank account cannot be checked now; try again") from exc
    if found is not None and _name(found.holder_name) != _name(bank.holder_name):
        raise Invalid(
            "holder_name is not the name this account is held in at the bank: "
            "write it as it is on the account"
        )


def _name(holder: str) -> str:
    return " ".join(holder.upper().split())


def _change(
    merchant_id: int, at: datetime, old: tuple[str, str], bank: BankAccount
) -> PayoutAccountChangeRow:
    return PayoutAccountChangeRow(
        merchant_id=merchant_id,
        at=at,
        old_bank_code=old[0],
        old_account_number=old[1],
        new_bank_code=bank.bank_code,
        new_account_number=bank.account_number,
        new_holder_name=bank.holder_name,
    )


def _view(row: money_db.PayoutAccountRow) -> PayoutAccount:
    bank = BankAccount(row.bank_code, row.account_number, row.holder_name)
    return PayoutAccount(row.merchant_id, bank, row.updated_at)

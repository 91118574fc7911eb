"""A merchant's payout account: where its payouts go. Each public method is one transaction."""

from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import NotFound
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.domain import BankAccount, PayoutAccount, checked_bank_account
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction


class PayoutAccountService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def get(self, merchant_id: int) -> PayoutAccount:
        with self.sessions() as s:
            row = s.get(money_db.PayoutAccountRow, merchant_id)
            if row is None:
                raise NotFound("this shop has no payout account yet: set one first")
            return _view(row)

    def put(self, merchant_id: int, bank: BankAccount) -> PayoutAccount:
        """Set (or replace) the merchant's payout account; a bad field changes nothing."""
        bank = checked_bank_account(bank)
        with transaction(self.sessions) as s:
            row = s.get(money_db.PayoutAccountRow, merchant_id, with_for_update=True)
            if row is None:
                row = money_db.PayoutAccountRow(merchant_id=merchant_id)
                s.add(row)
            row.bank_code, row.account_number = bank.bank_code, bank.account_number
            row.holder_name, row.updated_at = bank.holder_name, self.clock.now()
            s.flush()
            return _view(row)


def _view(row: money_db.PayoutAccountRow) -> PayoutAccount:
    bank = BankAccount(row.bank_code, row.account_number, row.holder_name)
    return PayoutAccount(row.merchant_id, bank, row.updated_at)

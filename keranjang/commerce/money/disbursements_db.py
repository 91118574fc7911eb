"""The disbursements table (one row per payout sent to a bank), the record of payout account
changes, and refund transfers (a bank-transfer payment returned to the buyer's bank account);
revision 0013."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from keranjang.commerce.tables import Base
from keranjang.infra.types import Id, UtcDateTime

NEW, SENT, COMPLETED, FAILED = "new", "sent", "completed", "failed"
AWAITING_ACCOUNT = "awaiting"  # a refund transfer waiting for the buyer's bank account
FINAL = (COMPLETED, FAILED)


class DisbursementRow(Base):
    """A payout on its way: `key` is what the partner knows it by (our idempotency key),
    `partner_id` its own name for it once a send has been answered."""

    __tablename__ = "disbursements"
    payout_id: Mapped[int] = mapped_column(Id, ForeignKey("payouts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    partner: Mapped[str] = mapped_column(String(30))
    partner_id: Mapped[str | None] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    bank_code: Mapped[str] = mapped_column(String(10))
    account_number: Mapped[str] = mapped_column(String(20))
    holder_name: Mapped[str] = mapped_column(String(120))
    failure: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PayoutAccountChangeRow(Base):
    """A merchant's payout account set or replaced: what it was (empty when first set), what it
    became, and when. A replacement holds the merchant's payouts for the cooling-off period."""

    __tablename__ = "payout_account_changes"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    merchant_id: Mapped[int] = mapped_column(Id, ForeignKey("merchants.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    old_bank_code: Mapped[str] = mapped_column(String(10))
    old_account_number: Mapped[str] = mapped_column(String(20))
    new_bank_code: Mapped[str] = mapped_column(String(10))
    new_account_number: Mapped[str] = mapped_column(String(20))
    new_holder_name: Mapped[str] = mapped_column(String(120))


class CreatorPayoutAccountRow(Base):
    """Where a creator's commission goes: one bank account per creator (social's creator id;
    social keeps no bank data), replaced when it changes; revision 0014."""

    __tablename__ = "creator_payout_accounts"
    creator_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    bank_code: Mapped[str] = mapped_column(String(10))
    account_number: Mapped[str] = mapped_column(String(20))
    holder_name: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CreatorPayoutAccountChangeRow(Base):
    """A creator's payout account set or replaced, recorded as a merchant's is; a replacement
    holds the creator's payouts for the cooling-off period; revision 0014."""

    __tablename__ = "creator_payout_account_changes"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    creator_id: Mapped[int] = mapped_column(Id, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    old_bank_code: Mapped[str] = mapped_column(String(10))
    old_account_number: Mapped[str] = mapped_column(String(20))
    new_bank_code: Mapped[str] = mapped_column(String(10))
    new_account_number: Mapped[str] = mapped_column(String(20))
    new_holder_name: Mapped[str] = mapped_column(String(120))


class RefundTransferRow(Base):
    """A refund returned by bank transfer: `awaiting` the buyer's account, then `new`, `sent`,
    `completed`; a `failed` attempt asks the buyer again and the next goes under a new key
    (`refund-<refund id>-<attempt>`)."""

    __tablename__ = "refund_transfers"
    refund_id: Mapped[int] = mapped_column(Id, ForeignKey("refunds.id"), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer)
    partner: Mapped[str] = mapped_column(String(30))
    partner_id: Mapped[str | None] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    bank_code: Mapped[str] = mapped_column(String(10), default="")
    account_number: Mapped[str] = mapped_column(String(20), default="")
    holder_name: Mapped[str] = mapped_column(String(120), default="")
    failure: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def key(self) -> str:
        return f"refund-{self.refund_id}-{self.attempt}"

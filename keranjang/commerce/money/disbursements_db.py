"""The disbursements table: one row per payout sent to a bank (revision 0012)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from keranjang.commerce.tables import Base
from keranjang.infra.types import Id, UtcDateTime

NEW, SENT, COMPLETED, FAILED = "new", "sent", "completed", "failed"
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

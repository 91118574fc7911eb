"""The simulator's tables: its transactions, their refunds, and the outbox of notifications."""

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from keranjang.infra.types import Id, UtcDateTime
from keranjang.payments.simulator import domain
from keranjang.payments.simulator.notifications import DeliveryState, Notification, Outgoing

MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


class RefundRow(Base):
    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("transaction_pk", "refund_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    transaction_pk: Mapped[int] = mapped_column(ForeignKey("transactions.id"))
    refund_id: Mapped[str] = mapped_column(String(40), unique=True)
    refund_key: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    def to_domain(self) -> domain.Refund:
        return domain.Refund(self.refund_id, self.refund_key, self.amount, self.reason, self.at)


class TransactionRow(Base):
    __tablename__ = "transactions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(36), unique=True)
    order_id: Mapped[str] = mapped_column(String(50), unique=True)
    gross_amount: Mapped[int] = mapped_column(BigInteger)
    payment_type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    bank: Mapped[str] = mapped_column(String(10))
    va_number: Mapped[str] = mapped_column(String(20))
    qr_string: Mapped[str] = mapped_column(Text)
    finish_redirect_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    refunds: Mapped[list[RefundRow]] = relationship(lazy="selectin", order_by=RefundRow.id)

    def to_domain(self) -> domain.Transaction:
        return domain.Transaction(
            transaction_id=self.transaction_id,
            order_id=self.order_id,
            gross_amount=self.gross_amount,
            payment_type=domain.PaymentType(self.payment_type),
            description=self.description,
            status=domain.TxStatus(self.status),
            bank=self.bank,
            va_number=self.va_number,
            qr_string=self.qr_string,
            created_at=self.created_at,
            expires_at=self.expires_at,
            finish_redirect_url=self.finish_redirect_url,
            settled_at=self.settled_at,
            refunds=tuple(r.to_domain() for r in self.refunds),
        )


class NotificationRow(Base):
    """The outbox: written in the same transaction as the change it reports."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state_due_at", "state", "due_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    transaction_pk: Mapped[int] = mapped_column(ForeignKey("transactions.id"))
    order_id: Mapped[str] = mapped_column(String(50), index=True)
    transaction_status: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))
    copies: Mapped[int] = mapped_column(Integer)
    forged: Mapped[bool] = mapped_column(Boolean)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def to_domain(self) -> Notification:
        return Notification(
            id=self.id,
            order_id=self.order_id,
            transaction_status=self.transaction_status,
            state=DeliveryState(self.state),
            body=self.body,
            copies=self.copies,
            forged=self.forged,
            due_at=self.due_at,
            attempts=self.attempts,
            created_at=self.created_at,
            last_error=self.last_error,
            sent_at=self.sent_at,
        )


def add_transaction(session: Session, tx: domain.Transaction) -> TransactionRow:
    row = TransactionRow(
        transaction_id=tx.transaction_id,
        order_id=tx.order_id,
        gross_amount=tx.gross_amount,
        description=tx.description,
        bank=tx.bank,
        va_number=tx.va_number,
        qr_string=tx.qr_string,
        finish_redirect_url=tx.finish_redirect_url,
        created_at=tx.created_at,
        expires_at=tx.expires_at,
    )
    save(row, tx)
    session.add(row)
    session.flush()
    return row


def save(row: TransactionRow, tx: domain.Transaction) -> None:
    """Copy what a transaction's life changes (status, method, settlement, refunds) to its row."""
    row.status = tx.status.value
    row.payment_type = tx.payment_type.value
    row.settled_at = tx.settled_at
    stored = {r.refund_id for r in row.refunds}
    for r in tx.refunds:
        if r.refund_id not in stored:
            row.refunds.append(
                RefundRow(
                    refund_id=r.refund_id,
                    refund_key=r.refund_key,
                    amount=r.amount,
                    reason=r.reason,
                    at=r.at,
                )
            )


def by_transaction_id(session: Session, transaction_id: str) -> TransactionRow:
    query = select(TransactionRow).where(TransactionRow.transaction_id == transaction_id)
    return _one(session, query.with_for_update(), f"no transaction with id {transaction_id}")


def by_order_id(session: Session, order_id: str) -> TransactionRow:
    query = select(TransactionRow).where(TransactionRow.order_id == order_id)
    return _one(session, query.with_for_update(), "Transaction doesn't exist.")


def _one(session: Session, query: Select[TransactionRow], missing: str) -> TransactionRow:
    row = session.scalar(query)
    if row is None:
        raise domain.NotFound(missing)
    return row


def order_taken(session: Session, order_id: str) -> bool:
    query = select(TransactionRow.id).where(TransactionRow.order_id == order_id)
    return session.scalar(query) is not None


def overdue(session: Session, now: datetime, limit: int) -> list[TransactionRow]:
    query = (
        select(TransactionRow)
        .where(TransactionRow.status == domain.TxStatus.PENDING.value)
        .where(TransactionRow.expires_at <= now)
        .order_by(TransactionRow.expires_at)
        .limit(limit)
        .with_for_update()
    )
    return list(session.scalars(query))


def add_notification(session: Session, row: TransactionRow, out: Outgoing) -> None:
    if out.delivery.dropped and not out.forged:
        state = DeliveryState.DROPPED
    else:
        state = DeliveryState.HELD if out.delivery.held else DeliveryState.PENDING
    session.add(
        NotificationRow(
            transaction_pk=row.id,
            order_id=row.order_id,
            transaction_status=out.transaction_status,
            body=out.body,
            state=state.value,
            copies=out.delivery.copies,
            forged=out.forged,
            due_at=out.at + out.delivery.delay,
            attempts=0,
            created_at=out.at,
        )
    )


def due(session: Session, now: datetime, limit: int) -> list[Notification]:
    query = (
        select(NotificationRow)
        .where(NotificationRow.state == DeliveryState.PENDING.value)
        .where(NotificationRow.due_at <= now)
        .order_by(NotificationRow.due_at, NotificationRow.id)
        .limit(limit)
    )
    return [n.to_domain() for n in session.scalars(query)]


def mark_sent(session: Session, notification_id: int, at: datetime) -> None:
    row = session.get_one(NotificationRow, notification_id)
    row.attempts += 1
    row.state, row.sent_at, row.last_error = DeliveryState.SENT.value, at, None


def mark_failed(
    session: Session, notification_id: int, error: str, retry_at: datetime | None
) -> None:
    """A failed attempt: due again at `retry_at`, or failed for good when that is None."""
    row = session.get_one(NotificationRow, notification_id)
    row.attempts += 1
    row.last_error = error[:500]
    if retry_at is None:
        row.state = DeliveryState.FAILED.value
    else:
        row.due_at = retry_at


def release_held(session: Session, now: datetime) -> int:
    """Held notifications become due now, ordered newest first (one microsecond apart)."""
    query = (
        select(NotificationRow)
        .where(NotificationRow.state == DeliveryState.HELD.value)
        .order_by(NotificationRow.id.desc())
    )
    rows = list(session.scalars(query))
    for position, row in enumerate(rows):
        row.state = DeliveryState.PENDING.value
        row.due_at = now - timedelta(microseconds=len(rows) - position)
    return len(rows)


def notifications(session: Session, order_id: str | None, limit: int) -> list[Notification]:
    query = select(NotificationRow).order_by(NotificationRow.id.desc()).limit(limit)
    if order_id is not None:
        query = query.where(NotificationRow.order_id == order_id)
    return [n.to_domain() for n in session.scalars(query)]

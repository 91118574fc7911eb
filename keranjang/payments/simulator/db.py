"""The simulator's tables: its transactions, their refunds, and the outbox of notifications."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    ForeignKey,
    Index,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

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
    # X-Override-Notification: where this payment's notifications go, comma-separated (NULL:
    # the configured notification URL).
    notification_urls: Mapped[str | None] = mapped_column(Text)
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
            notification_urls=split_urls(self.notification_urls),
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
        return _notification(self)


def insert_transaction(connection: Connection, tx: domain.Transaction) -> int:
    """A new transaction's row, with Core (the charge is the hot path); its primary key. A taken
    order id (or transaction id) raises IntegrityError from the unique index."""
    return int(connection.execute(_INSERT_TRANSACTION, _transaction_values(tx)).scalar_one())


@contextmanager
def single_statement(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """A PostgreSQL connection for one statement that is its own transaction (autocommit): it
    saves the BEGIN and COMMIT round trips, a quarter of a charge's database CPU. The statement is
    atomic by itself; the connection goes back to the pool as it came (not autocommit)."""
    with factory.kw["bind"].connect() as connection:
        driver = connection.connection.driver_connection
        driver.autocommit = True
        try:
            yield connection
        finally:
            if not driver.closed:  # a lost connection is thrown away by the pool
                driver.autocommit = False


def insert_charge(connection: Connection, tx: domain.Transaction, out: Outgoing) -> None:
    """A new transaction and its one notification in a single statement (PostgreSQL only: a
    data-modifying WITH); a taken order id raises IntegrityError and writes nothing."""
    values = {f"t_{k}": v for k, v in _transaction_values(tx).items()}
    values.update((f"n_{k}", v) for k, v in _notification_values(out).items())
    connection.execute(_INSERT_CHARGE, values)


def _transaction_values(tx: domain.Transaction) -> dict[str, object]:
    return {
        "transaction_id": tx.transaction_id,
        "order_id": tx.order_id,
        "gross_amount": tx.gross_amount,
        "payment_type": tx.payment_type.value,
        "description": tx.description,
        "status": tx.status.value,
        "bank": tx.bank,
        "va_number": tx.va_number,
        "qr_string": tx.qr_string,
        "finish_redirect_url": tx.finish_redirect_url,
        "created_at": tx.created_at,
        "expires_at": tx.expires_at,
        "settled_at": tx.settled_at,
        "notification_urls": ",".join(tx.notification_urls) or None,
    }


def split_urls(joined: str | None) -> tuple[str, ...]:
    return tuple(joined.split(",")) if joined else ()


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


def add_notifications(
    executor: Connection | Session, transaction_pk: int, order_id: str, outs: list[Outgoing]
) -> None:
    """Queue notifications in the outbox, in the caller's database transaction."""
    where = {"transaction_pk": transaction_pk, "order_id": order_id}
    executor.execute(_INSERT_NOTIFICATION, [where | _notification_values(out) for out in outs])


def _notification_values(out: Outgoing) -> dict[str, object]:
    """A notification's columns but the transaction's (its key and order id)."""
    if out.delivery.dropped and not out.forged:
        state = DeliveryState.DROPPED
    else:
        state = DeliveryState.HELD if out.delivery.held else DeliveryState.PENDING
    return {
        "transaction_status": out.transaction_status,
        "body": out.body,
        "state": state.value,
        "copies": out.delivery.copies,
        "forged": out.forged,
        "due_at": out.at + out.delivery.delay,
        "attempts": 0,
        "created_at": out.at,
    }


def due(
    connection: Connection, now: datetime, limit: int, *, overridden_only: bool = False
) -> list[Notification]:
    """The pending notifications whose time has come, oldest first (with `overridden_only`,
    only those of payments that named their own notification URLs)."""
    query = _DUE_OVERRIDDEN if overridden_only else _DUE
    rows = connection.execute(query, {"now": now, "limit": limit})
    return [_notification(r) for r in rows]


def mark_sent(connection: Connection, notification_ids: list[int], at: datetime) -> None:
    """Delivered notifications, recorded in one statement."""
    connection.execute(_MARK_SENT, {"ids": notification_ids, "at": at})


def mark_failed(
    connection: Connection, notification_id: int, error: str, retry_at: datetime | None
) -> None:
    """A failed attempt: due again at `retry_at`, or failed for good when that is None."""
    state = DeliveryState.FAILED if retry_at is None else DeliveryState.PENDING
    connection.execute(
        _MARK_FAILED,
        {
            "notification_id": notification_id,
            "error": error[:500],
            "retry_at": retry_at,
            "state": state.value,
        },
    )


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


def _notification(r: "Row[Any] | NotificationRow") -> Notification:
    """A notification from its row, read through the ORM or with Core."""
    return Notification(
        id=r.id,
        order_id=r.order_id,
        transaction_status=r.transaction_status,
        state=DeliveryState(r.state),
        body=r.body,
        copies=r.copies,
        forged=r.forged,
        due_at=r.due_at,
        attempts=r.attempts,
        created_at=r.created_at,
        last_error=r.last_error,
        sent_at=r.sent_at,
        urls=split_urls(getattr(r, "notification_urls", None)),
    )


# Core statements for the hot paths (a charge, the dispatcher), built once.
_transactions: Table = TransactionRow.__table__  # type: ignore[assignment]
_notifications: Table = NotificationRow.__table__  # type: ignore[assignment]
_INSERT_TRANSACTION = insert(_transactions).returning(_transactions.c.id)
_INSERT_NOTIFICATION = insert(_notifications)
# A charge on PostgreSQL: the transaction and its notification in one statement and round trip.
_new_transaction = (
    insert(_transactions)
    .values(
        {c.name: bindparam(f"t_{c.name}", type_=c.type) for c in _transactions.c if c.name != "id"}
    )
    .returning(_transactions.c.id)
    .cte("new_transaction")
)
_CHARGE_NOTIFICATION_COLUMNS = (  # what `_notification_values` fills
    "transaction_status",
    "body",
    "state",
    "copies",
    "forged",
    "due_at",
    "attempts",
    "created_at",
)
_INSERT_CHARGE = insert(_notifications).from_select(
    ["transaction_pk", "order_id", *_CHARGE_NOTIFICATION_COLUMNS],
    select(
        _new_transaction.c.id,
        bindparam("t_order_id", type_=_notifications.c.order_id.type),
        *(
            bindparam(f"n_{name}", type_=_notifications.c[name].type)
            for name in _CHARGE_NOTIFICATION_COLUMNS
        ),
    ),
)
_DUE = (
    select(_notifications, _transactions.c.notification_urls)
    .join(_transactions, _transactions.c.id == _notifications.c.transaction_pk)
    .where(_notifications.c.state == DeliveryState.PENDING.value)
    .where(_notifications.c.due_at <= bindparam("now"))
    .order_by(_notifications.c.due_at, _notifications.c.id)
    .limit(bindparam("limit"))
)
_DUE_OVERRIDDEN = _DUE.where(_transactions.c.notification_urls.is_not(None))
_MARK_SENT = (
    update(_notifications)
    .where(_notifications.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        attempts=_notifications.c.attempts + 1,
        state=DeliveryState.SENT.value,
        sent_at=bindparam("at"),
        last_error=None,
    )
)
# A failed attempt: due again at `retry_at` (still pending), or failed for good (retry_at NULL).
_MARK_FAILED = (
    update(_notifications)
    .where(_notifications.c.id == bindparam("notification_id"))
    .values(
        attempts=_notifications.c.attempts + 1,
        last_error=bindparam("error"),
        state=bindparam("state"),
        due_at=func.coalesce(
            bindparam("retry_at", type_=_notifications.c.due_at.type), _notifications.c.due_at
        ),
    )
)

"""The simulator's use cases. Each public method is one transaction; each change of a
transaction's status queues its notification in that same transaction (the outbox), and the
dispatcher sends queued notifications afterwards, outside any database transaction."""

import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.database import read_connection, transaction, write_connection
from keranjang.payments.simulator import db, domain, faults, notifications
from keranjang.payments.simulator.notifier import Notifier, Undelivered

DISPATCH_BATCH = 100
RECORD_EVERY_SECONDS = 1.0
EXPIRE_BATCH = 500
HEALTHY = faults.Faults()  # every switch off


@dataclass(frozen=True)
class Refunded:
    transaction: domain.Transaction
    refund: domain.Refund


@dataclass(frozen=True)
class DispatchReport:
    sent: int = 0
    failed: int = 0


@dataclass
class _Outcomes:
    """Deliveries not yet recorded: the ids sent, and the failures with when to try again."""

    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str, datetime | None]] = field(default_factory=list)
    since: float = field(default_factory=time.monotonic)


class SimulatorService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        server_key: str,
        notifier: Notifier,
        rng: random.Random | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.server_key = server_key
        self.notifier = notifier
        self.rng = rng or secrets.SystemRandom()
        # The switches live in memory: a restarted simulator behaves like a healthy partner.
        self._faults = faults.Faults()
        self._faults_lock = threading.Lock()
        self._dispatch_lock = threading.Lock()
        # On PostgreSQL a charge is one statement (a data-modifying WITH); SQLite has none.
        self._one_statement_charges = sessions.kw["bind"].dialect.name == "postgresql"

    # the shop's API -------------------------------------------------------------------------
    def authenticate(self, server_key: str | None) -> None:
        if not server_key or not secrets.compare_digest(server_key, self.server_key):
            raise domain.Unauthenticated(
                "send the server key as the HTTP Basic user name, with an empty password"
            )

    def charge(self, charge: domain.Charge) -> domain.Transaction:
        domain.check_charge(charge)
        tx = domain.new_transaction(charge, str(uuid.uuid4()), self.clock.now())
        healthy = self._plan_if_healthy() if self._one_statement_charges else None
        try:
            if healthy is not None:  # one statement: the transaction and its notification
                (out,) = self._outgoing(tx, healthy)
                with db.single_statement(self.sessions) as connection:
                    db.insert_charge(connection, tx, out)
            else:
                with write_connection(self.sessions) as connection:
                    # A taken order id stops here, at the unique index, before the switches
                    # are consulted: a refused charge uses up no `drop_next`.
                    pk = db.insert_transaction(connection, tx)
                    outs = self._outgoing(tx, self._plan())
                    db.add_notifications(connection, pk, tx.order_id, outs)
        except IntegrityError as exc:  # the order id is taken (perhaps charged concurrently)
            raise domain.Conflict(f"order_id {tx.order_id!r} has already been taken") from exc
        return tx

    def status(self, order_id: str) -> domain.Transaction:
        with transaction(self.sessions) as s:
            return self._current(s, db.by_order_id(s, order_id))

    def refund(self, order_id: str, ask: domain.RefundAsk) -> Refunded:
        """The same refund key again answers the refund already made (a safe retry)."""
        with transaction(self.sessions) as s:
            row = db.by_order_id(s, order_id)
            tx = self._current(s, row)
            done = domain.refund_by_key(tx, ask)
            if done is None:
                refund_id = f"rfd-{uuid.uuid4()}"
                tx, done = domain.refund(tx, ask, refund_id, self.clock.now())
                self._change(s, row, tx)
            return Refunded(tx, done)

    def end(self, order_id: str, status: domain.TxStatus) -> domain.Transaction:
        """The shop cancels (`cancel`) or expires (`expire`) a pending payment: it can no
        longer be paid, and the shop is notified as for any change."""
        with transaction(self.sessions) as s:
            row = db.by_order_id(s, order_id)
            return self._change(s, row, domain.end_by_shop(self._current(s, row), status))

    # the buyer's pay page -------------------------------------------------------------------
    def transaction(self, transaction_id: str) -> domain.Transaction:
        with transaction(self.sessions) as s:
            return self._current(s, db.by_transaction_id(s, transaction_id))

    def pay(self, transaction_id: str, paid_with: domain.PaymentType) -> domain.Transaction:
        with transaction(self.sessions) as s:
            row = db.by_transaction_id(s, transaction_id)
            tx = self._current(s, row)
            if tx.is_pending:
                tx = self._change(s, row, domain.settle(tx, paid_with, self.clock.now()))
        return domain.require_paid(tx)

    def cancel(self, transaction_id: str) -> domain.Transaction:
        with transaction(self.sessions) as s:
            row = db.by_transaction_id(s, transaction_id)
            return self._change(s, row, domain.cancel(self._current(s, row)))

    # expiry ---------------------------------------------------------------------------------
    def expire(self, order_id: str) -> domain.Transaction:
        """An operator ends a pending payment now, as if its time had run out."""
        with transaction(self.sessions) as s:
            row = db.by_order_id(s, order_id)
            return self._change(s, row, domain.expire(self._current(s, row)))

    def expire_overdue(self) -> int:
        with transaction(self.sessions) as s:
            rows = db.overdue(s, self.clock.now(), EXPIRE_BATCH)
            for row in rows:
                self._change(s, row, domain.expire(row.to_domain()))
            return len(rows)

    # fault switches -------------------------------------------------------------------------
    def fault_switches(self) -> faults.Faults:
        with self._faults_lock:
            return self._faults

    def set_fault_switches(self, switches: faults.Faults) -> faults.Faults:
        faults.check_faults(switches)
        with self._faults_lock:
            self._faults = switches
        return switches

    def release_held(self) -> int:
        with transaction(self.sessions) as s:
            return db.release_held(s, self.clock.now())

    def outbox(
        self, order_id: str | None = None, limit: int = 100
    ) -> list[notifications.Notification]:
        with self.sessions() as s:
            return db.notifications(s, order_id, limit)

    # the dispatcher -------------------------------------------------------------------------
    def dispatch_due(self) -> DispatchReport:
        """Send every notification that is due. One dispatcher at a time per process. Outcomes
        are recorded together, in one short transaction per round or per second of sending
        (after a crash, at most that second's notifications are sent again)."""
        # Without a configured URL only payments that named their own can be notified.
        overridden_only = not self.notifier.configured
        sent = failed = 0
        with self._dispatch_lock:
            with read_connection(self.sessions) as connection:
                due = db.due(
                    connection, self.clock.now(), DISPATCH_BATCH, overridden_only=overridden_only
                )
            outcomes = _Outcomes()
            for n in due:
                if self._deliver(n, outcomes):
                    sent += 1
                else:
                    failed += 1
                if time.monotonic() - outcomes.since >= RECORD_EVERY_SECONDS:
                    outcomes = self._record(outcomes)
            self._record(outcomes)
        return DispatchReport(sent=sent, failed=failed)

    def _deliver(self, n: notifications.Notification, outcomes: "_Outcomes") -> bool:
        try:
            for _ in range(n.copies):
                for url in n.urls or (None,):
                    self.notifier.deliver(n.body, url)
        except Undelivered as exc:
            delay = notifications.retry_delay(n.attempts + 1)
            retry_at = None if delay is None else self.clock.now() + delay
            outcomes.failed.append((n.id, str(exc), retry_at))
            return False
        outcomes.sent.append(n.id)
        return True

    def _record(self, outcomes: "_Outcomes") -> "_Outcomes":
        """Write the outcomes down; a fresh, empty record to go on with."""
        if outcomes.sent or outcomes.failed:
            with write_connection(self.sessions) as connection:
                if outcomes.sent:
                    db.mark_sent(connection, outcomes.sent, self.clock.now())
                for notification_id, error, retry_at in outcomes.failed:
                    db.mark_failed(connection, notification_id, error, retry_at)
        return _Outcomes()

    # changes and their notifications ----------------------------------------------------------
    def _current(self, s: Session, row: db.TransactionRow) -> domain.Transaction:
        """The transaction as it stands now: a pending one past its expiry expires on sight."""
        tx = row.to_domain()
        if domain.is_overdue(tx, self.clock.now()):
            tx = self._change(s, row, domain.expire(tx))
        return tx

    def _change(
        self, s: Session, row: db.TransactionRow, tx: domain.Transaction
    ) -> domain.Transaction:
        db.save(row, tx)
        s.flush()
        self._notify(s, row, tx)
        return tx

    def _notify(self, s: Session, row: db.TransactionRow, tx: domain.Transaction) -> None:
        db.add_notifications(s, row.id, row.order_id, self._outgoing(tx, self._plan()))

    def plan_delivery(self) -> notifications.Delivery:
        """The fate of a notification from another desk (the payouts' callbacks)."""
        return self._plan()

    def _plan(self) -> notifications.Delivery:
        """The fate of the next notification under the switches now, which it uses up (a
        dropped one counts against `drop_next`)."""
        with self._faults_lock:
            delivery, self._faults = faults.plan(self._faults, self.rng.random())
        return delivery

    def _plan_if_healthy(self) -> notifications.Delivery | None:
        """As `_plan`, when every switch is off (the plan then uses up nothing but its draw, so
        it may be made before the change it reports is known to succeed); otherwise None."""
        with self._faults_lock:
            if self._faults != HEALTHY:
                return None
            delivery, self._faults = faults.plan(self._faults, self.rng.random())
        return delivery

    def _outgoing(
        self, tx: domain.Transaction, delivery: notifications.Delivery
    ) -> list[notifications.Outgoing]:
        """The notification of a transaction's new status (and its forgery, when planned)."""
        body = notifications.body(tx, self.server_key)
        now = self.clock.now()
        status = tx.status.value
        outs = [notifications.Outgoing(status, notifications.encode(body), delivery, now)]
        if delivery.forge:
            fake = notifications.encode(notifications.forged(body))
            outs.append(notifications.Outgoing("settlement", fake, delivery, now, forged=True))
        return outs

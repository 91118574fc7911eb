"""The simulator's use cases. Each public method is one transaction; each change of a
transaction's status queues its notification in that same transaction (the outbox), and the
dispatcher sends queued notifications afterwards, outside any database transaction."""

import random
import secrets
import threading
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.payments.simulator import db, domain, faults, notifications
from keranjang.payments.simulator.notifier import Notifier, Undelivered

DISPATCH_BATCH = 100
EXPIRE_BATCH = 500


@dataclass(frozen=True)
class Refunded:
    transaction: domain.Transaction
    refund: domain.Refund


@dataclass(frozen=True)
class DispatchReport:
    sent: int = 0
    failed: int = 0


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

    # the shop's API -------------------------------------------------------------------------
    def authenticate(self, server_key: str | None) -> None:
        if not server_key or not secrets.compare_digest(server_key, self.server_key):
            raise domain.Unauthenticated(
                "send the server key as the HTTP Basic user name, with an empty password"
            )

    def charge(self, charge: domain.Charge) -> domain.Transaction:
        domain.check_charge(charge)
        tx = domain.new_transaction(charge, str(uuid.uuid4()), self.clock.now())
        try:
            with transaction(self.sessions) as s:
                if db.order_taken(s, tx.order_id):
                    raise domain.Conflict(f"order_id {tx.order_id!r} has already been taken")
                self._notify(s, db.add_transaction(s, tx), tx)
        except IntegrityError as exc:  # the same order id charged concurrently
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
        """Send every notification that is due. One dispatcher at a time per process; each
        notification's outcome is recorded in its own short transaction."""
        if not self.notifier.configured:
            return DispatchReport()
        with self._dispatch_lock:
            with self.sessions() as s:
                due = db.due(s, self.clock.now(), DISPATCH_BATCH)
            outcomes = [self._deliver(n) for n in due]
        return DispatchReport(sent=outcomes.count(True), failed=outcomes.count(False))

    def _deliver(self, n: notifications.Notification) -> bool:
        try:
            for _ in range(n.copies):
                self.notifier.deliver(n.body)
        except Undelivered as exc:
            delay = notifications.retry_delay(n.attempts + 1)
            retry_at = None if delay is None else self.clock.now() + delay
            with transaction(self.sessions) as s:
                db.mark_failed(s, n.id, str(exc), retry_at)
            return False
        with transaction(self.sessions) as s:
            db.mark_sent(s, n.id, self.clock.now())
        return True

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
        with self._faults_lock:
            delivery, self._faults = faults.plan(self._faults, self.rng.random())
        body = notifications.body(tx, self.server_key)
        now = self.clock.now()
        status = tx.status.value
        db.add_notification(
            s, row, notifications.Outgoing(status, notifications.encode(body), delivery, now)
        )
        if delivery.forge:
            fake = notifications.encode(notifications.forged(body))
            db.add_notification(
                s, row, notifications.Outgoing("settlement", fake, delivery, now, forged=True)
            )

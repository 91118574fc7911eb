"""The simulator's money out, speaking Midtrans Iris' wire format (see `payments.iris`), so the
Iris adapter pointed at the simulator passes the same contract suite as against Iris.

A payout is created `queued` under the caller's X-Idempotency-Key (the same key answers the
same payout); the simulated bank then processes it (`process_due`: `completed`, or `failed` for
an account number starting with 0000, which "does not exist"); each change queues a callback in
an outbox, signed as Iris signs (`Iris-Signature` = SHA512(body + server key)), and delivered by
`dispatch_due` to the payout notification URL. The fault switches are the payment simulator's
own (`faults`): a callback is duplicated, delayed, held for reordering (released newest
first), dropped, or joined by a forgery, exactly as payment notifications are.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy import BigInteger, Boolean, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.infra.types import Id, UtcDateTime
from keranjang.payments.simulator.db import Base
from keranjang.payments.simulator.domain import Invalid, NotFound
from keranjang.payments.simulator.notifications import Delivery
from keranjang.payments.simulator.notifier import TIMEOUT

MISSING_ACCOUNT = "0000"  # an account number starting so does not exist at the simulated bank
GIVE_UP_AFTER = 5


class PaymentDesk(Protocol):
    """What the payouts share with the simulator's payment service."""

    sessions: sessionmaker[Session]
    clock: Clock
    server_key: str

    def plan_delivery(self) -> Delivery: ...


class PayoutRow(Base):
    __tablename__ = "payouts"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    reference_no: Mapped[str] = mapped_column(String(40), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    bank: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), index=True)
    error_code: Mapped[str | None] = mapped_column(String(10))
    error_message: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PayoutCallbackRow(Base):
    __tablename__ = "payout_callbacks"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    reference_no: Mapped[str] = mapped_column(String(40), index=True)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), index=True)  # pending held sent dropped failed
    copies: Mapped[int] = mapped_column(Integer)
    forged: Mapped[bool] = mapped_column(Boolean)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class PayoutAsk:
    key: str
    amount: int
    bank: str
    account: str
    name: str
    notes: str


def view(row: PayoutRow) -> dict[str, object]:
    """A payout as Iris shows it (status look-up and callback alike)."""
    return {
        "reference_no": row.reference_no,
        "beneficiary_name": row.name,
        "beneficiary_account": row.account,
        "beneficiary_bank": row.bank,
        "amount": f"{row.amount}.00",
        "notes": row.notes,
        "status": row.status,
        "error_code": row.error_code,
        "error_message": row.error_message,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def iris_signature(body: bytes, key: str) -> str:
    return hashlib.sha512(body + key.encode()).hexdigest()


class PayoutDesk:
    """Payouts, the simulated bank, and their callbacks, beside the payment desk (the simulator's
    service): its database, clock and server key, and its fault switches, from which each
    callback's fate is drawn (`plan_delivery`), using them up as a payment notification does."""

    def __init__(
        self, service: "PaymentDesk", url: str | None, client: httpx.Client | None = None
    ) -> None:
        self.sessions, self.clock = service.sessions, service.clock
        self.server_key, self.plan, self.url = service.server_key, service.plan_delivery, url
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def create(self, ask: PayoutAsk) -> dict[str, object]:
        if ask.amount < 1 or not ask.account.isdigit():
            raise Invalid("amount must be at least 1 and beneficiary_account digits only")
        now = self.clock.now()
        try:
            with transaction(self.sessions) as s:
                row = PayoutRow(
                    reference_no=secrets.token_hex(8),
                    idempotency_key=ask.key,
                    amount=ask.amount,
                    bank=ask.bank,
                    account=ask.account,
                    name=ask.name,
                    notes=ask.notes,
                    status="queued",
                    created_at=now,
                    updated_at=now,
                )
                s.add(row)
                s.flush()
                return view(row)
        except IntegrityError:  # the key was sent before: the same payout
            with self.sessions() as s:
                found = s.scalar(select(PayoutRow).where(PayoutRow.idempotency_key == ask.key))
                if found is None:
                    raise
                return view(found)

    def get(self, reference_no: str) -> dict[str, object]:
        with self.sessions() as s:
            row = s.scalar(select(PayoutRow).where(PayoutRow.reference_no == reference_no))
            if row is None:
                raise NotFound(f"no payout {reference_no}")
            return view(row)

    def account_name(self, bank: str, account: str) -> str:
        if account.startswith(MISSING_ACCOUNT) or not account.isdigit():
            raise Invalid(f"account {account} does not exist at {bank}")
        return "SITI RAHAYU"

    def process_due(self) -> int:
        """The bank answers every queued payout (one transaction each, callback included)."""
        with self.sessions() as s:
            queued = s.scalars(select(PayoutRow.id).where(PayoutRow.status == "queued")).all()
        for payout_id in queued:
            with transaction(self.sessions) as s:
                row = s.get_one(PayoutRow, payout_id, with_for_update=True)
                if row.status != "queued":
                    continue
                missing = row.account.startswith(MISSING_ACCOUNT)
                row.status = "failed" if missing else "completed"
                if missing:
                    row.error_code, row.error_message = "001", "Account does not exist"
                row.updated_at = self.clock.now()
                self._queue(s, row)
        return len(queued)

    def run_due(self) -> int:
        """The periodic round: the bank answers, then the callbacks due go out."""
        return self.process_due() + self.dispatch_due()

    def release_held(self) -> int:
        """Held callbacks go now, newest first (reordered)."""
        now = self.clock.now()
        with transaction(self.sessions) as s:
            held = s.scalars(
                select(PayoutCallbackRow)
                .where(PayoutCallbackRow.state == "held")
                .order_by(PayoutCallbackRow.id.desc())
            ).all()
            for n, row in enumerate(held):  # the newest is due first
                row.state, row.due_at = "pending", now - timedelta(microseconds=len(held) - n)
            return len(held)

    def dispatch_due(self) -> int:
        """Deliver every callback that is due; a refused one is retried, then given up."""
        with self.sessions() as s:
            due = s.scalars(
                select(PayoutCallbackRow)
                .where(PayoutCallbackRow.state == "pending")
                .where(PayoutCallbackRow.due_at <= self.clock.now())
                .order_by(PayoutCallbackRow.due_at, PayoutCallbackRow.id)
            ).all()
            jobs = [(r.id, r.body, r.copies, r.forged) for r in due]
        for callback_id, body, copies, forged in jobs:
            sent = all(self._post(body, forged) for _ in range(copies))
            self._mark(callback_id, sent)
        return len(jobs)

    # ------------------------------------------------------------------------------------------
    def _queue(self, s: Session, row: PayoutRow) -> None:
        delivery = self.plan()
        body = json.dumps(view(row), separators=(",", ":"))
        state = "dropped" if delivery.dropped else ("held" if delivery.held else "pending")
        due = self.clock.now() + delivery.delay
        outs = [(body, False)] + ([(_forged(body), True)] if delivery.forge else [])
        for text, forged in outs:
            s.add(
                PayoutCallbackRow(
                    reference_no=row.reference_no,
                    body=text,
                    state="pending" if forged and delivery.dropped else state,
                    copies=delivery.copies,
                    forged=forged,
                    due_at=due,
                    attempts=0,
                    created_at=self.clock.now(),
                )
            )

    def _post(self, body: str, forged: bool) -> bool:
        if not self.url:
            return False
        key = secrets.token_hex() if forged else self.server_key
        headers = {
            "content-type": "application/json",
            "iris-signature": iris_signature(body.encode(), key),
        }
        try:
            return self.client.post(self.url, content=body.encode(), headers=headers).is_success
        except httpx.HTTPError:
            return False

    def _mark(self, callback_id: int, sent: bool) -> None:
        with transaction(self.sessions) as s:
            row = s.get_one(PayoutCallbackRow, callback_id)
            row.attempts += 1
            if sent:
                row.state = "sent"
            elif row.attempts >= GIVE_UP_AFTER:
                row.state = "failed"
            else:
                row.due_at = self.clock.now() + timedelta(seconds=2**row.attempts)


def _forged(body: str) -> str:
    """A forger's copy: claims completion (signed with a key that is not the server key)."""
    return json.dumps(json.loads(body) | {"status": "completed", "error_code": None})

"""Payouts sent for real: a batch makes one disbursement per payee, sent to the payee's bank
account through a `DisbursementPartner`; the money waits in transit until the partner confirms.

    run_batch   one transaction: every payee (merchant or creator) with a payout account (not replaced within the
                cooling-off period) and a payable balance of at least the minimum gets a payout row, the ledger's `sent` entry (payable -> in
                transit) and a disbursement row (`new`, keyed `payout-<payout id>`)
    send_due    each `new` disbursement is sent under its key, outside any transaction, then its
                answer recorded (`sent`, the partner's id). A process killed between the two
                leaves it `new`, and the next run sends it again under the same key: the partner
                answers with the same disbursement (its idempotency), so nobody is paid twice
    notified    a callback, verified by the adapter, names a disbursement; its outcome is
                believed only as the partner's status look-up states it (Xendit does not sign
                callback bodies; a replayed or reordered callback changes nothing), then settled
    reconcile   every `sent` disbursement looked up: a dropped callback closes here

Settling is once per payout, under a row lock: completed moves in transit to the partner's
clearing account (paid out); failed returns it to the payable balance, the memo saying why.
A look-up whose amount differs from the payout's is not believed (`Conflict`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import structlog
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import Conflict, Invalid, NotFound, PaymentUnavailable
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import disbursements_db as d
from keranjang.commerce.money import transfers, transit
from keranjang.commerce.money.domain import PayoutBatch
from keranjang.commerce.money.payout_accounts import CREATORS, MERCHANTS, AccountRow
from keranjang.commerce.money.payouts import (
    PAYEES,
    batch_view,
    one_batch_at_a_time,
    payables,
    payout_row,
)
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.payments.disbursements import (
    BankDetails,
    DisbursementEvent,
    DisbursementPartner,
    DisbursementStatus,
    Transfer,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Disbursement:
    payout_id: int
    key: str
    status: str
    amount_idr: int
    failure: str


class DisbursingService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        partner: DisbursementPartner,
        cooling_off: timedelta = timedelta(hours=24),
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner = partner
        self.cooling_off = cooling_off

    def run_batch(self, minimum_idr: int = 10_000) -> PayoutBatch:
        if minimum_idr < 1:
            raise Invalid("the minimum payout must be at least 1 rupiah", code="minimum_payout")
        now = self.clock.now()
        with transaction(self.sessions) as s:
            one_batch_at_a_time(s)
            batch = money_db.PayoutBatchRow(
                partner=self.partner.name, payouts=0, total_idr=0, created_at=now
            )
            s.add(batch)
            s.flush()
            rows = []
            for account, amount in payables(s, minimum_idr):
                bank = _bank_of(s, account, now - self.cooling_off)
                if bank is not None:
                    rows.append(self._pay(s, batch, account, amount, bank))
            batch.payouts, batch.total_idr = len(rows), sum(r.amount_idr for r in rows)
            return batch_view(batch, rows)

    def send_due(self) -> list[Disbursement]:
        """Send every disbursement not yet answered; one that cannot be sent now stays due."""
        with self.sessions() as s:
            due = s.scalars(select(d.DisbursementRow.payout_id).where(_due())).all()
        return [self._send(payout_id) for payout_id in due]

    def notified(self, headers: dict[str, str], body: bytes) -> Disbursement | None:
        """A callback (raises NotificationRejected if not verified); None when it names no
        payout of ours (the partner is answered, the anomaly logged by the caller)."""
        return self.settle_event(self.partner.parse_callback(headers, body))

    def settle_event(self, said: DisbursementEvent) -> Disbursement | None:
        """A verified callback's payout, settled as the partner's look-up states it."""
        with self.sessions() as s:
            row = _find(s, said)
            if row is None or row.partner_id is None:
                return None
            payout_id, partner_id = row.payout_id, row.partner_id
        return self._settle(payout_id, transfers.look_up(self.partner, partner_id))

    def run_due(self) -> list[Disbursement]:
        """Send what is due, then look up what is in transit: each payout once, as it ends."""
        latest = {d.payout_id: d for d in self.send_due() + self.reconcile()}
        return list(latest.values())

    def reconcile(self) -> list[Disbursement]:
        with self.sessions() as s:
            query = select(d.DisbursementRow.payout_id, d.DisbursementRow.partner_id)
            sent = s.execute(query.where(d.DisbursementRow.status == d.SENT)).all()
        return [done for p, pid in sent if (done := self._looked_up(p, str(pid))) is not None]

    def _looked_up(self, payout_id: int, partner_id: str) -> Disbursement | None:
        """One payout settled by look-up; a partner away or an answer not believed is logged and
        left for the next round, without holding up the others."""
        try:
            return self._settle(payout_id, transfers.look_up(self.partner, partner_id))
        except (PaymentUnavailable, Conflict) as exc:
            log.warning("disbursement_lookup_failed", payout=payout_id, error=str(exc))
            return None

    def disbursement(self, payout_id: int) -> Disbursement:
        with self.sessions() as s:
            row = s.get(d.DisbursementRow, payout_id)
            if row is None:
                raise NotFound(
                    f"payout {payout_id} was not sent through a disbursement",
                    code="no_disbursement",
                    params={"id": payout_id},
                )
            return _view(s, row)

    # ------------------------------------------------------------------------------------------
    def _pay(
        self,
        s: Session,
        batch: money_db.PayoutBatchRow,
        account: str,
        amount: int,
        bank: BankDetails,
    ) -> money_db.PayoutRow:
        row = payout_row(s, batch, account, amount)
        money_db.post(s, transit.sent(row.id, account, self.partner.name, amount), row.created_at)
        s.add(
            d.DisbursementRow(
                payout_id=row.id,
                key=f"payout-{row.id}",
                partner=self.partner.name,
                status=d.NEW,
                bank_code=bank.bank_code,
                account_number=bank.account_number,
                holder_name=bank.holder_name,
                failure="",
                updated_at=row.created_at,
            )
        )
        return row

    def _send(self, payout_id: int) -> Disbursement:
        with self.sessions() as s:
            row = s.get(d.DisbursementRow, payout_id)
            assert row is not None
            transfer = _transfer(s, row)
        # A refusal (a bad account) comes back as a failed transfer: the money returns.
        answer = transfers.send(self.partner, transfer, self.clock.now())
        if answer is None:
            return self.disbursement(payout_id)  # still due: the next run sends it again
        return self._settle(payout_id, answer, sent=True)

    def _settle(self, payout_id: int, said: DisbursementEvent, sent: bool = False) -> Disbursement:
        with transaction(self.sessions) as s:
            row = s.get(d.DisbursementRow, payout_id, with_for_update=True)
            assert row is not None
            payout = s.get(money_db.PayoutRow, payout_id)
            assert payout is not None
            if row.status in d.FINAL:
                return _view(s, row)
            if said.amount != payout.amount_idr:
                raise Conflict(
                    f"{self.partner.name} says disbursement {row.key} is {said.amount} rupiah, "
                    f"not the {payout.amount_idr} sent: not believed",
                    code="partner_amount_differs",
                )
            if sent and said.partner_id:
                row.partner_id, row.status = said.partner_id, d.SENT
            self._post(s, row, payout, said)
            row.updated_at = self.clock.now()
            return _view(s, row)

    def _post(
        self,
        s: Session,
        row: d.DisbursementRow,
        payout: money_db.PayoutRow,
        said: DisbursementEvent,
    ) -> None:
        now = self.clock.now()
        if said.status is DisbursementStatus.COMPLETED:
            entry = transit.completed(payout.id, payout.account, row.partner, payout.amount_idr)
            money_db.post(s, entry, now)
            row.status = d.COMPLETED
        elif said.status is DisbursementStatus.FAILED:
            reason = said.failure or said.partner_status
            money_db.post(
                s, transit.failed(payout.id, payout.account, payout.amount_idr, reason), now
            )
            row.status, row.failure = d.FAILED, reason[:300]


def _due() -> ColumnElement[bool]:
    r = d.DisbursementRow
    return or_(r.status == d.NEW, (r.status == d.SENT) & r.partner_id.is_(None))


def _find(s: Session, said: DisbursementEvent) -> d.DisbursementRow | None:
    r = d.DisbursementRow
    if said.key:
        return s.scalar(select(r).where(r.key == said.key))
    return s.scalar(select(r).where(r.partner_id == said.partner_id))


def _bank_of(s: Session, account: str, settled_since: datetime) -> BankDetails | None:
    """The payee's bank account (merchants and creators register theirs), if it has one and it
    was not replaced after `settled_since` (a replaced account cools off before it is paid)."""
    prefix, _, payee = account.partition(":")
    kind = PAYEES.get(prefix + ":")
    tables = {"merchant": MERCHANTS, "creator": CREATORS}.get(kind or "")
    if tables is None:
        return None
    found = cast(AccountRow | None, s.get(tables.account, int(payee)))
    if found is None:
        return None
    c = tables.change
    cooling = select(c.id).where(
        getattr(c, tables.key) == int(payee),
        c.old_account_number != "",
        c.at > settled_since,
    )
    if s.scalar(cooling.limit(1)) is not None:
        return None
    return BankDetails(found.bank_code, found.account_number, found.holder_name)


def _transfer(s: Session, row: d.DisbursementRow) -> Transfer:
    payout = s.get(money_db.PayoutRow, row.payout_id)
    assert payout is not None
    to = BankDetails(row.bank_code, row.account_number, row.holder_name)
    return Transfer(row.key, payout.amount_idr, to, f"Keranjang payout {payout.id}")


def _view(s: Session, row: d.DisbursementRow) -> Disbursement:
    payout = s.get(money_db.PayoutRow, row.payout_id)
    assert payout is not None
    return Disbursement(row.payout_id, row.key, row.status, payout.amount_idr, row.failure)

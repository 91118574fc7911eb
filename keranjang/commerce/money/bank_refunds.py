"""Refunds of bank-transfer (virtual account) payments, sent back by disbursement.

Midtrans and Xendit return a virtual-account payment only by a transfer to the buyer's bank
account, which commerce does not know. So such a refund, once reserved (`refunding`), waits for
the buyer: a page shows the amount and the reason and asks for the account, checked with the
partner's account validation where offered. Then the money is sent under the key
`refund-<refund id>-<attempt>` (sent again under it after a crash: one transfer), and the refund
succeeds, with its ledger reversal, only when the partner confirms the transfer completed. A
failed transfer asks the buyer again, and the next attempt goes under a new key.
"""

from dataclasses import dataclass

import structlog
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import Conflict, NotFound, PaymentUnavailable
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import disbursements_db as d
from keranjang.commerce.money import transfers
from keranjang.commerce.money.domain import BankAccount, RefundView, checked_bank_account
from keranjang.commerce.money.payout_accounts import check_with_bank
from keranjang.commerce.money.refunding import RefundService
from keranjang.commerce.orders import db as order_db
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
class RefundTransfer:
    """A refund going back by bank transfer, as its buyer sees it."""

    refund_id: int
    order_id: int
    order_number: str
    amount_idr: int
    reason: str
    status: str
    failure: str
    key: str


class BankRefundService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        partner: DisbursementPartner,
        refunds: RefundService,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner = partner
        self.refunds = refunds

    def take(self, refund_id: int) -> RefundView:
        """The refund service hands over a virtual-account refund (again, when reconciling)."""
        with transaction(self.sessions) as s:
            row = s.get(d.RefundTransferRow, refund_id, with_for_update=True)
            if row is None:
                row = d.RefundTransferRow(
                    refund_id=refund_id,
                    attempt=1,
                    partner=self.partner.name,
                    status=d.AWAITING_ACCOUNT,
                    updated_at=self.clock.now(),
                )
                s.add(row)
            status, partner_id = row.status, row.partner_id
        if status == d.NEW:
            self._send(refund_id)
        elif status == d.COMPLETED and partner_id:  # confirmed, but the refund not yet settled
            return self.refunds.transferred(refund_id, partner_id)
        return self.refunds.view(refund_id)

    def waiting(self, buyer_id: int) -> list[RefundTransfer]:
        """The buyer's refunds that wait for a bank account."""
        with self.sessions() as s:
            rows = s.execute(_of_buyer(buyer_id).where(d.RefundTransferRow.status == "awaiting"))
            return [_view(*r) for r in rows]

    def of_buyer(self, buyer_id: int, refund_id: int) -> RefundTransfer:
        with self.sessions() as s:
            found = s.execute(
                _of_buyer(buyer_id).where(d.RefundTransferRow.refund_id == refund_id)
            ).first()
            if found is None:
                raise NotFound(
                    "no such refund in your account",
                    code="not_your_refund",
                    params={"id": refund_id},
                )
            return _view(*found)

    def give_account(self, buyer_id: int, refund_id: int, bank: BankAccount) -> RefundTransfer:
        """The buyer's account for a waiting refund: checked, stored, and the money sent."""
        self.of_buyer(buyer_id, refund_id)
        bank = checked_bank_account(bank)
        check_with_bank(self.partner, bank)
        with transaction(self.sessions) as s:
            row = s.get_one(d.RefundTransferRow, refund_id, with_for_update=True)
            if row.status != d.AWAITING_ACCOUNT:
                raise Conflict(
                    "the account for this refund was received already",
                    code="refund_account_given",
                )
            row.bank_code, row.account_number = bank.bank_code, bank.account_number
            row.holder_name, row.status = bank.holder_name, d.NEW
            row.updated_at = self.clock.now()
        self._send(refund_id)
        return self.of_buyer(buyer_id, refund_id)

    def settle_event(self, said: DisbursementEvent) -> RefundTransfer | None:
        """A verified callback naming one of our refund transfers (None if none), believed as
        the partner's look-up states it."""
        r = d.RefundTransferRow
        with self.sessions() as s:
            which = r.partner_id == said.partner_id
            row = s.scalar(select(r).where(which))
            if row is None or row.partner_id is None:
                return None
            refund_id, partner_id = row.refund_id, row.partner_id
        return self._settle(refund_id, transfers.look_up(self.partner, partner_id))

    def reconcile(self) -> list[RefundTransfer]:
        r = d.RefundTransferRow
        with self.sessions() as s:
            due = s.execute(
                select(r.refund_id, r.partner_id, r.status).where(r.status.in_((d.NEW, d.SENT)))
            ).all()
        done = []
        for refund_id, partner_id, status in due:
            try:
                if status == d.NEW or partner_id is None:
                    done.append(self._send(refund_id))
                else:
                    done.append(
                        self._settle(refund_id, transfers.look_up(self.partner, partner_id))
                    )
            except (PaymentUnavailable, Conflict) as exc:  # the next round asks again
                log.warning("refund_transfer_lookup_failed", refund=refund_id, error=str(exc))
        return done

    # ------------------------------------------------------------------------------------------
    def _send(self, refund_id: int) -> RefundTransfer:
        with self.sessions() as s:
            row = s.get_one(d.RefundTransferRow, refund_id)
            refund = s.get_one(money_db.RefundRow, refund_id)
            order = s.get_one(order_db.OrderRow, refund.order_id)
            to = BankDetails(row.bank_code, row.account_number, row.holder_name)
            what = f"Pengembalian dana pesanan {order.number}"
            transfer = Transfer(row.key, refund.amount_idr, to, what)
        answer = transfers.send(self.partner, transfer, self.clock.now())
        if answer is None:
            return self._view_of(refund_id)  # still `new`: sent again under its key later
        return self._settle(refund_id, answer, sent=True)

    def _settle(
        self, refund_id: int, said: DisbursementEvent, sent: bool = False
    ) -> RefundTransfer:
        """Apply the partner's word to the current attempt only (a stale attempt's is ignored);
        once completed, the refund itself succeeds (its own transaction: redone if killed)."""
        with transaction(self.sessions) as s:
            row = s.get_one(d.RefundTransferRow, refund_id, with_for_update=True)
            refund = s.get_one(money_db.RefundRow, refund_id)
            current = sent or said.partner_id == row.partner_id
            if row.status in (d.NEW, d.SENT) and current:
                if said.amount != refund.amount_idr:
                    raise Conflict(
                        f"{self.partner.name} says refund transfer {row.key} is {said.amount} "
                        f"rupiah, not the {refund.amount_idr} sent: not believed",
                        code="partner_amount_differs",
                    )
                if sent and said.partner_id:
                    row.partner_id, row.status = said.partner_id, d.SENT
                _apply(row, said)
                row.updated_at = self.clock.now()
            completed, partner_id = row.status == d.COMPLETED, row.partner_id
        if completed and partner_id:
            self.refunds.transferred(refund_id, partner_id)
        return self._view_of(refund_id)

    def _view_of(self, refund_id: int) -> RefundTransfer:
        with self.sessions() as s:
            found = s.execute(_joined().where(d.RefundTransferRow.refund_id == refund_id)).one()
            return _view(*found)


def _apply(row: d.RefundTransferRow, said: DisbursementEvent) -> None:
    """Completed; or failed: the buyer is asked again, the next attempt under a new key."""
    if said.status is DisbursementStatus.COMPLETED:
        row.status = d.COMPLETED
    elif said.status is DisbursementStatus.FAILED:
        row.status, row.failure = d.AWAITING_ACCOUNT, (said.failure or said.partner_status)[:300]
        row.attempt, row.partner_id = row.attempt + 1, None


Joined = Select[d.RefundTransferRow, money_db.RefundRow, order_db.OrderRow]


def _joined() -> Joined:
    t, r, o = d.RefundTransferRow, money_db.RefundRow, order_db.OrderRow
    return (
        select(t, r, o)
        .join(r, r.id == t.refund_id)
        .join(o, o.id == r.order_id)
        .order_by(t.refund_id)
    )


def _of_buyer(buyer_id: int) -> Joined:
    return _joined().where(order_db.OrderRow.buyer_id == buyer_id)


def _view(t: d.RefundTransferRow, r: money_db.RefundRow, o: order_db.OrderRow) -> RefundTransfer:
    return RefundTransfer(
        t.refund_id, o.id, o.number, r.amount_idr, r.reason, t.status, t.failure, t.key
    )

"""Payouts, and the statements sellers read of their money.

A payout batch pays every merchant and creator whose payable balance has reached the minimum:
for each, a payout row and a ledger `payout` entry (payable -> the partner's clearing account)
of exactly that balance, all in one transaction. A balance is always a sum over the ledger's
postings, never a number kept beside them, so a batch run right after another finds nothing
left to pay.

Batches run one at a time, so no balance is paid twice: on PostgreSQL a batch first takes a
lock on the batch table in a mode that conflicts with itself and not with reads; on SQLite one
writer is let in at a time, and a batch writes its own row before it reads a balance. Either
way a second batch reads the balances after the first has committed.

A statement is a merchant's two accounts (pending: completed orders still refundable; payable:
paid out next) over a period of calendar days in Western Indonesian Time: the opening balances,
every movement (completion, refund, release, payout), and the closing balances, which are the
opening ones plus the movements, to the rupiah.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import Invalid, NotFound
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger, transit
from keranjang.commerce.money.domain import (
    Balances,
    Books,
    CreatorCommissions,
    Movement,
    PayoutBatch,
    PayoutLine,
    Statement,
)
from keranjang.commerce.orders import db as order_db
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction

WIB = ZoneInfo("Asia/Jakarta")  # Western Indonesian Time, UTC+7 all year
# Whose payable an account is, by its prefix.
PAYEES = {"merchant_payable:": "merchant", "commission_payable:": "creator"}


class PayoutService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, partner_name: str) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner_name = partner_name

    def books(self) -> Books:
        with self.sessions() as s:
            debits, credits = money_db.totals(s)
            return Books(debits, credits, dict(sorted(money_db.balances(s).items())))

    def run_batch(self, minimum_idr: int = 10_000) -> PayoutBatch:
        """Pay out every payable balance of at least `minimum_idr`, in one transaction."""
        if minimum_idr < 1:
            raise Invalid("the minimum payout must be at least 1 rupiah", code="minimum_payout")
        now = self.clock.now()
        with transaction(self.sessions) as s:
            one_batch_at_a_time(s)
            batch = money_db.PayoutBatchRow(
                partner=self.partner_name, payouts=0, total_idr=0, created_at=now
            )
            s.add(batch)
            s.flush()
            rows = [self._pay(s, batch, a, n) for a, n in payables(s, minimum_idr)]
            batch.payouts, batch.total_idr = len(rows), sum(r.amount_idr for r in rows)
            return batch_view(batch, rows)

    def batch(self, batch_id: int) -> PayoutBatch:
        with self.sessions() as s:
            batch = s.get(money_db.PayoutBatchRow, batch_id)
            if batch is None:
                raise NotFound(
                    f"no payout batch with id {batch_id}",
                    code="no_payout_batch",
                    params={"id": batch_id},
                )
            rows = s.scalars(
                select(money_db.PayoutRow)
                .where(money_db.PayoutRow.batch_id == batch_id)
                .order_by(money_db.PayoutRow.id)
            )
            return batch_view(batch, list(rows))

    def statement(
        self, merchant_id: int, since: date | None = None, until: date | None = None
    ) -> Statement:
        """A merchant's pending and payable accounts over the days `since`..`until` (both
        included, Western Indonesian Time; either open)."""
        start, end = period(since, until)
        accounts = {
            ledger.merchant_pending(merchant_id): "pending",
            ledger.merchant_payable(merchant_id): "payable",
        }
        with self.sessions() as s:
            held = _held_before(s, accounts, start) if start else {}
            movements = _movements(s, accounts, start, end)
            sending = money_db.owed(s, transit.in_transit(ledger.merchant_payable(merchant_id)))
        opening = {name: held.get(account, 0) for account, name in accounts.items()}
        closing = dict(opening)
        for m in movements:
            closing[m.account] += m.in_idr - m.out_idr
        # Sent is not paid: what is still in transit, or came back failed, was not paid out.
        sent = sum(m.out_idr for m in movements if m.kind == "payout")
        paid_out = sent - sum(m.in_idr for m in movements if m.kind == "payout_failed") - sending
        return Statement(
            merchant_id=merchant_id,
            since=since,
            until=until,
            opening=_balances(opening),
            movements=tuple(movements),
            closing=_balances(closing),
            paid_out_idr=paid_out,
            in_transit_idr=sending,
        )

    def creator_commissions(self, creator_id: int) -> CreatorCommissions:
        """A creator's commission totals (aggregates only)."""
        with self.sessions() as s:
            c = money_db.creator_commission(s, creator_id)
        return CreatorCommissions(creator_id, c.pending_idr, c.payable_idr, c.paid_out_idr)

    def _pay(
        self, s: Session, batch: money_db.PayoutBatchRow, account: str, amount: int
    ) -> money_db.PayoutRow:
        row = payout_row(s, batch, account, amount)
        money_db.post(
            s, ledger.payout(row.id, account, self.partner_name, amount), batch.created_at
        )
        return row


def period(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """The calendar days `since`..`until` (both included) in Western Indonesian Time, as the
    UTC instants [start, end)."""
    if since and until and until < since:
        raise Invalid(
            f"until ({until}) is before since ({since}): swap them",
            code="period_reversed",
            params={"since": since, "until": until},
        )
    start = datetime.combine(since, time(), WIB).astimezone(UTC) if since else None
    end = None
    if until:
        end = datetime.combine(until + timedelta(days=1), time(), WIB).astimezone(UTC)
    return start, end


def payout_row(
    s: Session, batch: money_db.PayoutBatchRow, account: str, amount: int
) -> money_db.PayoutRow:
    """The batch's payout of `amount` to the payee whose payable ledger account is `account`,
    stored (with its id) for the caller to post the money."""
    prefix, _, payee = account.partition(":")
    row = money_db.PayoutRow(
        batch_id=batch.id,
        payee_kind=PAYEES[prefix + ":"],
        payee_id=int(payee),
        account=account,
        amount_idr=amount,
        created_at=batch.created_at,
    )
    s.add(row)
    s.flush()
    return row


def one_batch_at_a_time(s: Session) -> None:
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("LOCK TABLE payout_batches IN SHARE ROW EXCLUSIVE MODE"))


def payables(s: Session, minimum_idr: int) -> list[tuple[str, int]]:
    """Every merchant's and creator's payable account holding at least the minimum."""
    p = money_db.LedgerPostingRow
    held = func.sum(p.credit_idr) - func.sum(p.debit_idr)
    query = (
        select(p.account, held)
        .where(or_(*(p.account.startswith(prefix, autoescape=True) for prefix in PAYEES)))
        .group_by(p.account)
        .having(held >= minimum_idr)
        .order_by(p.account)
    )
    return [(account, int(n)) for account, n in s.execute(query)]


def _held_before(s: Session, accounts: Iterable[str], before: datetime) -> dict[str, int]:
    e, p = money_db.LedgerEntryRow, money_db.LedgerPostingRow
    query = (
        select(p.account, func.sum(p.credit_idr) - func.sum(p.debit_idr))
        .join(e, e.id == p.entry_id)
        .where(p.account.in_(list(accounts)), e.at < before)
        .group_by(p.account)
    )
    return {account: int(n) for account, n in s.execute(query)}


def _movements(
    s: Session, accounts: dict[str, str], start: datetime | None, end: datetime | None
) -> list[Movement]:
    e, p, o = money_db.LedgerEntryRow, money_db.LedgerPostingRow, order_db.OrderRow
    query = (
        select(e.at, e.kind, e.memo, e.order_id, o.number, p.account, p.debit_idr, p.credit_idr)
        .join(p, p.entry_id == e.id)
        .outerjoin(o, o.id == e.order_id)
        .where(p.account.in_(list(accounts)))
        .order_by(e.id, p.id)
    )
    if start is not None:
        query = query.where(e.at >= start)
    if end is not None:
        query = query.where(e.at < end)
    return [
        Movement(
            r.at,
            r.order_id,
            r.number,
            r.kind,
            r.memo,
            accounts[r.account],
            int(r.credit_idr),
            int(r.debit_idr),
        )
        for r in s.execute(query)
    ]


def _balances(held: dict[str, int]) -> Balances:
    return Balances(pending_idr=held["pending"], payable_idr=held["payable"])


def batch_view(batch: money_db.PayoutBatchRow, rows: list[money_db.PayoutRow]) -> PayoutBatch:
    return PayoutBatch(
        id=batch.id,
        partner=batch.partner,
        created_at=batch.created_at,
        payout_count=batch.payouts,
        total_idr=batch.total_idr,
        payouts=tuple(
            PayoutLine(r.id, r.payee_kind, r.payee_id, r.account, r.amount_idr) for r in rows
        ),
    )

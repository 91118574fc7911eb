"""Commerce's side of the way back: the money it holds for the merchant handed back against
`migration_clearing` (see `rollback` for the protocol).

Per order: its escrow, the commission it still gives each creator who brought one of its lines
(pending, or payable once its refund window closed), and the platform's fee it still gives.
Per merchant: its pending and payable balances. Per creator: what commerce had already paid
it of these orders' commission (a payout pays a creator's whole payable), which commerce paid
for the app: off what commerce owes the app, and off what the app owes the creator.

Who owns an order's money after the way back: the app, always. The app takes every order back
with its lines and their creators (`mapping.back_line`) and its escrow journal books the order's
payment and completion itself (`way_back`): the seller's payable, each creator's commission and
the platform's fee. So commerce hands back everything the order still gives anyone, the fee
included: the platform's fee income from an order completed in commerce before the rollback is
then booked once in total, in the app's journal (commerce's completion credit is cancelled by
its closing debit), and a refund the app makes later reverses the fee where it is booked.
Commerce keeps only what it bore itself: the partner's fee on the payment it took.

Commerce's copies of the orders are closed too, in the same transaction: every one not already
ended becomes `returned` (a final state). An unpaid one left `awaiting_payment` would be expired
by commerce's hold sweeper or cancelled by its buyer there, and either writes a payment-end
request that cancels at the partner the payment the app now owns (the same partner ids), so
its buyer could no longer pay it in the app; closing writes no such request, moves no stock and
books nothing (the money was handed back above)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.money.payouts import one_batch_at_a_time
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.migration import way_back_money
from keranjang.migration.errors import Unsettled
from keranjang.migration.sync import Ctx

COMMISSIONS = ("commission_pending:", "commission_payable:")  # ledger.commission_pending(c)…
OWNED_BY_THE_ORDER = (ledger.ESCROW, ledger.PLATFORM_FEES)
ENDED = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REFUNDED, OrderStatus.RETURNED)


@dataclass(frozen=True)
class Closed:
    """What commerce paid out of what it handed back: the merchant's payouts (payout id ->
    rupiah), and each creator's commission of these orders already paid to the creator
    (creator id -> rupiah)."""

    paid_out: dict[int, int]
    creators_paid: dict[int, int]


def close_books(ctx: Ctx, round_: int) -> Closed:
    """Each order's escrow and creators' commission, the merchant's pending and payable
    balances, handed back; each entry posted once under its name. Answers what of it commerce
    had already paid out, read under the payout batch's lock in the same transaction, so none
    is paid between them and the balances handed back. A payout or refund still unsettled
    refuses with nothing written (`way_back_money`)."""
    with Session(ctx.commerce) as s, s.begin():
        one_batch_at_a_time(s)
        of_orders = select(order_db.OrderRow.id).where(
            order_db.OrderRow.merchant_id == ctx.merchant_id
        )
        if problems := way_back_money.unsettled(s, ctx.merchant_id, of_orders):
            raise Unsettled(f"the way back waits: {problems[0]}; roll back again once it settles")
        paid_out = way_back_money.payouts(s, ctx.merchant_id)
        close_orders(s, ctx.merchant_id, ctx.clock.now())
        creators: set[str] = set()
        for order_id, held in _held_per_order(s, ctx.merchant_id).items():
            creators.update(a for a in held if a.startswith(COMMISSIONS[1]))
            head = ledger.Head(
                "closing", f"closing:{round_}:{order_id}", "back to the old shop", order_id
            )
            clearing = {ledger.MIGRATION_CLEARING: sum(held.values())}
            money_db.post(s, ledger.entry(head, held, clearing), ctx.clock.now())
        for what, account in (
            ("pending", ledger.merchant_pending),
            ("payable", ledger.merchant_payable),
        ):
            amount = money_db.owed(s, account(ctx.merchant_id))
            if amount:
                head = ledger.Head(
                    "closing",
                    f"closing:{round_}:{ctx.merchant_id}:{what}",
                    f"{what} back to the old shop",
                )
                debits = {account(ctx.merchant_id): amount}
                clearing = {ledger.MIGRATION_CLEARING: amount}
                money_db.post(s, ledger.entry(head, debits, clearing), ctx.clock.now())
        prefix = f"closing:{round_}:{ctx.merchant_id}:creator:"
        _paid_for_the_app(s, prefix, sorted(creators), ctx.clock.now())
        return Closed(paid_out, _creators_paid(s, prefix))


def _paid_for_the_app(s: Session, prefix: str, accounts: list[str], now: datetime) -> None:
    """A creator's payable the hand-back left below zero: commerce had already paid the
    creator that part of these orders' commission (a payout batch pays a creator's whole
    payable, whichever orders it came from). It paid it for the app, which owns the orders
    now: commerce owes the app that much less, and the creator's payable is back at zero
    (`way_back` tells the app the creator was paid it)."""
    for account in accounts:
        short = -money_db.owed(s, account)
        if short > 0:
            creator = account.removeprefix(COMMISSIONS[1])
            head = ledger.Head("closing", f"{prefix}{creator}", "commission paid for the old shop")
            debits = {ledger.MIGRATION_CLEARING: short}
            money_db.post(s, ledger.entry(head, debits, {account: short}), now)


def _creators_paid(s: Session, prefix: str) -> dict[int, int]:
    """creator id -> what commerce paid it for the app, as this round's closing says (so a
    rollback repeated after a crash tells the app the same)."""
    e, p = money_db.LedgerEntryRow, money_db.LedgerPostingRow
    query = (
        select(e.ref, p.credit_idr)
        .join(p, p.entry_id == e.id)
        .where(e.ref.startswith(prefix, autoescape=True), p.credit_idr > 0)
    )
    return {int(ref.removeprefix(prefix)): int(n) for ref, n in s.execute(query)}


def close_orders(s: Session, merchant_id: int, now: datetime) -> int:
    """The merchant's orders not ended yet become `returned`: the app owns them now. No
    payment-end request, no stock moved, no event for the buyer (the app shows the order).
    Answers how many were closed (none the second time)."""
    o = order_db.OrderRow
    closed = s.execute(
        update(o)
        .where(o.merchant_id == merchant_id, o.status.not_in([e.value for e in ENDED]))
        .values(status=OrderStatus.RETURNED.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(closed.rowcount)  # type: ignore[attr-defined]


def _held_per_order(s: Session, merchant_id: int) -> dict[int, dict[str, int]]:
    """order id -> account -> what the order's entries leave in it (escrow, creators'
    commission, the platform's fee), non-zero only."""
    e, p, co = money_db.LedgerEntryRow, money_db.LedgerPostingRow, order_db.OrderRow
    accounts = or_(
        p.account.in_(OWNED_BY_THE_ORDER), *(p.account.startswith(c) for c in COMMISSIONS)
    )
    rows = s.execute(
        select(e.order_id, p.account, money_sum(p))
        .join(p, p.entry_id == e.id)
        .join(co, co.id == e.order_id)
        .where(co.merchant_id == merchant_id, accounts)
        .group_by(e.order_id, p.account)
        .order_by(e.order_id, p.account)
    ).all()
    held: dict[int, dict[str, int]] = defaultdict(dict)
    for order_id, account, amount in rows:
        if amount:
            held[int(order_id)][str(account)] = int(amount)
    return held


def money_sum(p: Any) -> Any:
    """Credits minus debits: what a credit-side account holds."""
    return func.sum(p.credit_idr) - func.sum(p.debit_idr)

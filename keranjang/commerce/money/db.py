"""Money's tables: payments and their partner news, the ledger's entries and postings, refunds,
payout batches and the merchants' payout accounts; and the few statements every money use case
shares (posting an entry once, balances)."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Connection,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    case,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from keranjang.commerce.attribution.db import AttributionRow
from keranjang.commerce.attribution.domain import Commission
from keranjang.commerce.buying.db import BuyerRow
from keranjang.commerce.catalog.db import MerchantRow
from keranjang.commerce.money import ledger, transit
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.db import (
    InvoiceRow,
    OrderLineRow,
    OrderRow,
    invoice_number,
    line_view,
)
from keranjang.commerce.tables import Base
from keranjang.infra.bulk import insert_rows, next_ids, one_of, postgresql
from keranjang.infra.types import Id, UtcDateTime


class PaymentRow(Base):
    """The payment an order is paid through: one per order, created at the partner; a new
    attempt replaces one the partner ended (expired, failed, cancelled)."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    # Which try this is (the partner knows it as `paying.partner_order_id(number, attempt)`).
    attempt: Mapped[int] = mapped_column(Integer, server_default="1")
    partner: Mapped[str] = mapped_column(String(30))
    partner_transaction_id: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(30))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(30))
    instructions: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CheckoutPaymentRow(Base):
    """One payment at the partner for the orders of one checkout across shops: the partner
    knows it by `number` (`KRG-…`, with an attempt suffix after the first), each order's
    payment row holds the order's share of it."""

    __tablename__ = "checkout_payments"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    total_idr: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CheckoutPaymentOrderRow(Base):
    """An order paid through a checkout's one payment (an order belongs to one at most)."""

    __tablename__ = "checkout_payment_orders"
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    checkout_payment_id: Mapped[int] = mapped_column(ForeignKey("checkout_payments.id"), index=True)


class PaymentEventRow(Base):
    """Every verified partner notification, once: the unique key makes handling idempotent."""

    __tablename__ = "payment_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    order_number: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(30))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


def issue_invoice(s: Session, order: OrderRow, now: datetime) -> InvoiceRow:
    """The order's invoice, written once as it becomes paid, with everything it says frozen."""
    merchant = s.get_one(MerchantRow, order.merchant_id)
    buyer = s.get_one(BuyerRow, order.buyer_id)
    payment = s.scalar(select(PaymentRow).where(PaymentRow.order_id == order.id))
    lines = s.scalars(select(OrderLineRow).where(OrderLineRow.order_id == order.id))
    body = {
        "order_id": order.id,
        "order_number": order.number,
        "seller": {"name": merchant.name, "slug": merchant.slug, "city": merchant.city},
        "buyer": {"name": buyer.name, "email": buyer.email},
        "shipping_address": json.loads(order.shipping_address),
        "lines": [asdict(line_view(x)) for x in lines],
        "subtotal_idr": order.subtotal_idr,
        "shipping_idr": order.shipping_idr,
        "total_idr": order.total_idr,
        "payment": None
        if payment is None
        else {
            "partner": payment.partner,
            "method": payment.method,
            "reference": payment.partner_transaction_id,
        },
    }
    invoice = InvoiceRow(
        order_id=order.id,
        number=invoice_number(order, now),
        issued_at=now,
        body=json.dumps(body),
    )
    s.add(invoice)
    return invoice


class LedgerEntryRow(Base):
    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # Names the movement (`payment:<order id>`…): the same movement is never posted twice.
    ref: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    memo: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerPostingRow(Base):
    __tablename__ = "ledger_postings"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(60), index=True)
    debit_idr: Mapped[int] = mapped_column(BigInteger)
    credit_idr: Mapped[int] = mapped_column(BigInteger)


class RefundRow(Base):
    """A refund asked of the partner. While `requested`, its goods are reserved (counted as
    refunded) so no second refund can take them; `failed` gives them back."""

    __tablename__ = "refunds"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    refund_key: Mapped[str] = mapped_column(String(64), unique=True)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    shipping_idr: Mapped[int] = mapped_column(BigInteger)
    # {product id: quantity} refunded, as JSON.
    lines: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(40))
    # Where the money is taken back from: "escrow" before completion, "shares" after, "stray"
    # for a second payment of the order (returned whole, under its own partner order id).
    stage: Mapped[str] = mapped_column(String(10))
    partner_order_id: Mapped[str | None] = mapped_column(String(50))
    # What the order becomes once this refund succeeds, if it ends the order.
    then_status: Mapped[str | None] = mapped_column(String(20))
    # How a late payment (one that landed after its order ended) being returned was paid: a
    # virtual account's goes back by bank transfer, like the order's own refunds.
    paid_with: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), index=True)
    partner_refund_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def quantities(self) -> dict[int, int]:
        return {int(k): int(v) for k, v in json.loads(self.lines).items()}


class PayoutBatchRow(Base):
    __tablename__ = "payout_batches"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    partner: Mapped[str] = mapped_column(String(30))
    payouts: Mapped[int] = mapped_column(Integer)
    total_idr: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PayoutRow(Base):
    """One payee's payout in a batch: everything payable on its account when the batch ran."""

    __tablename__ = "payouts"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    payee_kind: Mapped[str] = mapped_column(String(10))
    payee_id: Mapped[int] = mapped_column(BigInteger)
    account: Mapped[str] = mapped_column(String(60), index=True)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PayoutAccountRow(Base):
    """Where a merchant's payouts go: one bank account per merchant, replaced when it changes."""

    __tablename__ = "payout_accounts"
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(10))
    account_number: Mapped[str] = mapped_column(String(20))
    holder_name: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


# RETURNING makes SQLAlchemy send an executemany of postings as multi-row INSERTs
# ("insertmanyvalues"); without it psycopg 3 pipelines one INSERT per posting, each parsed,
# planned and executed on the server (the cutover posts thousands inside its pause).
_POSTINGS: Table = LedgerPostingRow.__table__  # type: ignore[assignment]
_INSERT_POSTINGS = insert(_POSTINGS).returning(_POSTINGS.c.id)
_ENTRIES: Table = LedgerEntryRow.__table__  # type: ignore[assignment]
_INSERT_ENTRIES = insert(_ENTRIES).returning(_ENTRIES.c.ref, _ENTRIES.c.id)


def post(s: Session, e: ledger.Entry, at: datetime) -> bool:
    """Write a balanced entry; False (and nothing written) if its movement was posted before.
    A concurrent second posting of the same `ref` fails on the unique key and rolls back."""
    if posted(s, e.ref):
        return False
    row = LedgerEntryRow(ref=e.ref, kind=e.kind, order_id=e.order_id, memo=e.memo, at=at)
    s.add(row)
    s.flush()
    s.execute(
        _INSERT_POSTINGS,
        [
            {"entry_id": row.id, "account": p.account, "debit_idr": p.debit, "credit_idr": p.credit}
            for p in e.postings
        ],
    )
    return True


def post_many(s: Session, entries: Sequence[ledger.Entry], at: datetime) -> int:
    """Write many balanced entries in bulk, in the caller's transaction: one query for the refs
    posted before (skipped, as `post` skips them), then the rest in a few statements whatever
    their number (the cutover posts a moved merchant's opening entries inside its pause, and
    rehearses that before it). Answers how many were posted.
    A concurrent posting of one of the refs fails the whole write on the unique key."""
    fresh = {e.ref: e for e in entries}
    for ref in s.scalars(select(LedgerEntryRow.ref).where(one_of(LedgerEntryRow.ref, fresh))):
        del fresh[ref]
    todo = list(fresh.values())
    if todo and postgresql(s):
        _copy_entries(s.connection(), todo, at)
        return len(todo)
    for start in range(0, len(todo), BULK_ROWS):
        _insert_entries(s, todo[start : start + BULK_ROWS], at)
    return len(todo)


BULK_ROWS = 200  # entries per statement on SQLite: their postings' parameters under its limit


def _copy_entries(c: Connection, entries: Sequence[ledger.Entry], at: datetime) -> None:
    # PostgreSQL: the entries' ids drawn from their sequence first, then entries and postings
    # each in one COPY. Multi-row INSERT … RETURNING pages (below) were parsed again by psycopg
    # on every page (its cache keeps short statements only): a tenth of the migration's CPU.
    ids = next_ids(c, _ENTRIES, len(entries))
    heads = [
        {"id": i, "ref": x.ref, "kind": x.kind, "order_id": x.order_id, "memo": x.memo, "at": at}
        for i, x in zip(ids, entries, strict=True)
    ]
    insert_rows(c, _ENTRIES, heads)
    insert_rows(c, _POSTINGS, _postings(zip(ids, entries, strict=True)))


def _insert_entries(s: Session, entries: Sequence[ledger.Entry], at: datetime) -> None:
    # Executemany of one cached statement: SQLAlchemy's "insertmanyvalues" sends it as one
    # multi-row INSERT … RETURNING per page (not one statement per row), and compiles it once.
    heads = [
        {"ref": x.ref, "kind": x.kind, "order_id": x.order_id, "memo": x.memo, "at": at}
        for x in entries
    ]
    returned = s.execute(_INSERT_ENTRIES, heads)
    ids: dict[str, int] = {str(ref): int(i) for ref, i in returned}
    s.execute(_INSERT_POSTINGS, _postings((ids[x.ref], x) for x in entries))


def _postings(entries: Iterable[tuple[int, ledger.Entry]]) -> list[dict[str, object]]:
    return [
        {"entry_id": i, "account": p.account, "debit_idr": p.debit, "credit_idr": p.credit}
        for i, x in entries
        for p in x.postings
    ]


def post_opening(s: Session, o: ledger.Opening, at: datetime) -> int:
    """Post a moved merchant's opening entries (`ledger.opening`) in the caller's transaction,
    in bulk (`post_many`); any posted before is skipped, so a repeat after a crash posts only
    what is missing. An open order already paid here (its `payment:<order id>` booked) keeps
    that payment. Answers how many entries were posted now."""
    return post_many(s, ledger.opening(o), at)


def posted(s: Session, ref: str) -> bool:
    return s.scalar(select(LedgerEntryRow.id).where(LedgerEntryRow.ref == ref)) is not None


def balances(s: Session, accounts: Iterable[str] | None = None) -> dict[str, int]:
    """Debits minus credits per account (credit-side accounts come out negative)."""
    p = LedgerPostingRow
    query = select(p.account, func.sum(p.debit_idr) - func.sum(p.credit_idr)).group_by(p.account)
    if accounts is not None:
        query = query.where(p.account.in_(list(accounts)))
    return {account: int(n) for account, n in s.execute(query)}


def owed(s: Session, account: str) -> int:
    """What a credit-side account (a payable, escrow) holds: credits minus debits."""
    return -balances(s, [account]).get(account, 0)


def totals(s: Session) -> tuple[int, int]:
    """All debits and all credits ever posted: equal, always."""
    p = LedgerPostingRow
    debits, credits = s.execute(
        select(func.coalesce(func.sum(p.debit_idr), 0), func.coalesce(func.sum(p.credit_idr), 0))
    ).one()
    return int(debits), int(credits)


def attributed_orders(s: Session, creator_id: int) -> int:
    """How many paid orders (the ledger took their payment) have a line the creator brought."""
    line, came = order_db.OrderLineRow, AttributionRow
    paid = select(LedgerEntryRow.order_id).where(
        LedgerEntryRow.kind.in_(ledger.PAYMENT_KINDS), LedgerEntryRow.order_id.is_not(None)
    )
    count = (
        select(func.count(func.distinct(line.order_id)))
        .join(came, line.attribution_id == came.id)
        .where(came.creator_id == creator_id, line.order_id.in_(paid))
    )
    return int(s.scalar(count) or 0)


def creator_commission(s: Session, creator_id: int) -> Commission:
    """A creator's commission as the postings have it: what its pending and payable accounts
    hold, and what payouts have taken out of the payable one. Sent is not paid: what is still
    in transit at a disbursement partner, or came back failed, is not paid out."""
    payable = ledger.commission_payable(creator_id)
    p, e = LedgerPostingRow, LedgerEntryRow
    moved = (
        select(
            func.coalesce(func.sum(case((e.kind == "payout", p.debit_idr), else_=0)), 0),
            func.coalesce(func.sum(case((e.kind == "payout_failed", p.credit_idr), else_=0)), 0),
        )
        .join(e, e.id == p.entry_id)
        .where(p.account == payable)
    )
    sent, returned = s.execute(moved).one()
    sending = owed(s, transit.in_transit(payable))
    return Commission(
        pending_idr=owed(s, ledger.commission_pending(creator_id)),
        payable_idr=owed(s, payable),
        paid_out_idr=int(sent) - int(returned) - sending,
    )


def postings_of(s: Session, accounts: Iterable[str], limit: int = 500) -> list[dict[str, object]]:
    """The postings on these accounts, oldest first, with their entry and its order."""
    e, p = LedgerEntryRow, LedgerPostingRow
    rows = s.execute(
        select(e.id, e.kind, e.ref, e.memo, e.order_id, e.at, p.account, p.debit_idr, p.credit_idr)
        .join(p, p.entry_id == e.id)
        .where(p.account.in_(list(accounts)))
        .order_by(e.id, p.id)
        .limit(limit)
    )
    return [
        {
            "entry_id": r.id,
            "kind": r.kind,
            "ref": r.ref,
            "memo": r.memo,
            "order_id": r.order_id,
            "at": r.at.isoformat(),
            "account": r.account,
            "debit_idr": r.debit_idr,
            "credit_idr": r.credit_idr,
        }
        for r in rows
    ]

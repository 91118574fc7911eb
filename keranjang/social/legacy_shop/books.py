"""The escrow journal in the database: posting an entry once, completing an order (its shares
move from escrow to the seller, the platform and creators), and reading balances."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keranjang.social.legacy_shop import db, domain, ledger
from keranjang.social.legacy_shop.ledger import Account

PARTLY = "commerce"  # a refund of part of an order, made in commerce before a rollback


def post(s: Session, entry: ledger.Entry, at: datetime) -> bool:
    """Post a balanced entry once: False if one of that name is already posted. Callers hold
    the order's row lock (or SQLite's one writer), so two posts of one name never race; if
    they did, the unique name would refuse the second transaction."""
    if posted(s, entry.name):
        return False
    row = db.LedgerEntryRow(name=entry.name, order_id=entry.order_id, at=at)
    s.add(row)
    s.flush()
    s.add_all(
        db.LedgerPostingRow(
            entry_id=row.id,
            account=p.account.value,
            seller_id=p.seller_id,
            creator_id=p.creator_id,
            amount_idr=p.amount_idr,
        )
        for p in entry.postings
    )
    return True


def posted(s: Session, name: str) -> bool:
    return s.scalar(select(db.LedgerEntryRow.id).where(db.LedgerEntryRow.name == name)) is not None


def order_shares(s: Session, order: db.OrderRow) -> ledger.Shares:
    """How what is left of the order divides: the units not refunded, the total less what was
    refunded (an order a rollback brought back from commerce may have been refunded in part)."""
    lines = s.scalars(select(db.OrderLineRow).where(db.OrderLineRow.order_id == order.id))
    share_lines = [
        ledger.ShareLine(
            x.unit_price_idr * (x.quantity - x.refunded_quantity), x.commission_bp, x.creator_id
        )
        for x in lines
    ]
    return ledger.shares(share_lines, left_of(s, order), order.platform_fee_bp)


def left_of(s: Session, order: db.OrderRow) -> int:
    """The order's total less the refunds that already took part of it (in commerce, before a
    rollback; the app itself refunds whole orders)."""
    r = db.RefundRow
    taken = s.scalar(
        select(func.coalesce(func.sum(r.amount_idr), 0)).where(
            r.order_id == order.id, r.kind == PARTLY, r.status == "succeeded"
        )
    )
    return order.total_idr - int(taken or 0)


def complete(s: Session, order: db.OrderRow, actor: str, at: datetime) -> None:
    """Delivered → completed: the escrow is divided (seller payable, fee, commissions)."""
    db.move_order(s, order, domain.Move(domain.OrderStatus.COMPLETED, actor, "", at))
    order.completed_at = at
    entry = ledger.completion(order.id, order.seller_id, left_of(s, order), order_shares(s, order))
    post(s, entry, at)


def balance(s: Session, seller_id: int) -> tuple[int, int]:
    """(escrow, payable) of a seller: liabilities, so the credits' sum."""
    query = (
        select(
            db.LedgerPostingRow.account, func.coalesce(func.sum(db.LedgerPostingRow.amount_idr), 0)
        )
        .where(db.LedgerPostingRow.seller_id == seller_id)
        .where(db.LedgerPostingRow.account.in_([Account.ESCROW, Account.SELLER_PAYABLE]))
        .group_by(db.LedgerPostingRow.account)
    )
    sums = {account: int(total) for account, total in s.execute(query)}
    return -sums.get(Account.ESCROW, 0), -sums.get(Account.SELLER_PAYABLE, 0)

"""Reading a legacy seller out of social's database: the seller, its consent to the move, its
payout account and its books (the escrow of its open orders, its payable balance), for one
seller or a batch of them (`source.Sellers`). Reads only, on the caller's connection."""

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import RowMapping

from keranjang.infra.bulk import one_of
from keranjang.migration.source import Sellers, ids_of, o
from keranjang.social.legacy_shop import db as legacy
from keranjang.social.legacy_shop import ledger as legacy_ledger
from keranjang.social.legacy_shop import moving


def seller(c: Connection, seller_id: int) -> RowMapping | None:
    return sellers_of(c, seller_id).get(seller_id)


def sellers_of(c: Connection, sellers: Sellers) -> dict[int, RowMapping]:
    query = select(legacy.SellerRow).where(one_of(legacy.SellerRow.id, ids_of(sellers)))
    return {int(r["id"]): r for r in c.execute(query).mappings()}


def payout_account(c: Connection, seller_id: int) -> RowMapping | None:
    return payout_accounts(c, seller_id).get(seller_id)


def payout_accounts(c: Connection, sellers: Sellers) -> dict[int, RowMapping]:
    a = legacy.PayoutAccountRow
    query = select(a).where(one_of(a.seller_id, ids_of(sellers)))
    return {int(r["seller_id"]): r for r in c.execute(query).mappings()}


def consented(c: Connection, seller_id: int) -> bool:
    return seller_id in consenting(c, seller_id)


def consenting(c: Connection, sellers: Sellers) -> set[int]:
    """Of the sellers, those who confirmed the move in the seller tools."""
    row = moving.MoveConsentRow
    return {
        int(i)
        for i in c.scalars(select(row.seller_id).where(one_of(row.seller_id, ids_of(sellers))))
    }


Escrow = list[tuple[int, str, int]]


def open_escrow(c: Connection, seller_id: int) -> Escrow:
    return escrow_of(c, seller_id).get(seller_id, [])


def escrow_of(c: Connection, sellers: Sellers) -> dict[int, Escrow]:
    """Per seller: (order id, number, rupiah) the app's escrow holds for each of its orders that
    holds any (its open paid orders): escrow is credited, so a holding is minus the sum.

    The sellers' escrow postings are read by seller, each one's order and each total's number
    looked up by key (scalar subqueries): joined, PostgreSQL expected 80 postings a seller
    (the giants' share) where a batch of 500 small sellers has 3, and read all 670,000 ledger
    entries to hash them, 40 ms a batch at 100,000 merchants (bench/README.md)."""
    post, entry = legacy.LedgerPostingRow, legacy.LedgerEntryRow
    order_of = select(entry.order_id).where(entry.id == post.entry_id).scalar_subquery()
    postings = (
        select(post.seller_id, order_of.label("order_id"), post.amount_idr)
        .where(
            one_of(post.seller_id, ids_of(sellers)),
            post.account == legacy_ledger.Account.ESCROW.value,
        )
        .subquery()
    )
    held = func.sum(postings.c.amount_idr)
    totals = (
        select(postings.c.seller_id, postings.c.order_id, held.label("held"))
        .where(postings.c.order_id.is_not(None))  # an order's entries only, as joined before
        .group_by(postings.c.seller_id, postings.c.order_id)
        .having(held != 0)
        .subquery()
    )
    number = select(o.number).where(o.id == totals.c.order_id).scalar_subquery()
    query = select(totals.c.seller_id, totals.c.order_id, number, totals.c.held).order_by(
        totals.c.order_id
    )
    found: dict[int, Escrow] = {}
    for seller_id, i, n, amount in c.execute(query):
        found.setdefault(int(seller_id or 0), []).append((int(i), str(n), -int(amount)))
    return found


def payable(c: Connection, seller_id: int) -> int:
    return payables(c, seller_id).get(seller_id, 0)


def payables(c: Connection, sellers: Sellers) -> dict[int, int]:
    """Per seller, its payable balance in the app's books (sellers with none: absent)."""
    post = legacy.LedgerPostingRow
    query = (
        select(post.seller_id, func.sum(post.amount_idr))
        .where(
            one_of(post.seller_id, ids_of(sellers)),
            post.account == legacy_ledger.Account.SELLER_PAYABLE.value,
        )
        .group_by(post.seller_id)
    )
    return {int(s or 0): -int(n or 0) for s, n in c.execute(query)}

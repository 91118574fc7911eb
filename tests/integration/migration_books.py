"""What the migration's money tests read of both books: the app's journal (per seller, per
order) and commerce's ledger (per account, per order), and the check that each balances."""

from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from tests.integration.test_migration_engine import Moving, one, rows


def app_balance(moving: Moving) -> tuple[int, int]:
    """The seller's (escrow, payable) in the app's journal: what the app holds and owes it."""
    held = dict(
        rows(
            moving.social,
            "SELECT account, coalesce(sum(amount_idr), 0) FROM legacy_ledger_postings"
            " WHERE seller_id = :s AND account IN ('escrow', 'seller_payable') GROUP BY account",
            s=moving.seller_id,
        )
    )
    return -held.get("escrow", 0), -held.get("seller_payable", 0)


def order_money_in_app(moving: Moving, legacy_order: int) -> dict[str, int]:
    """The app's journal for one of its orders: the sum posted to each account (a credit is
    negative)."""
    return dict(
        rows(
            moving.social,
            "SELECT p.account, sum(p.amount_idr) FROM legacy_ledger_postings p JOIN"
            " legacy_ledger_entries e ON e.id = p.entry_id WHERE e.order_id = :o"
            " GROUP BY p.account",
            o=legacy_order,
        )
    )


def legacy_order_numbered(moving: Moving, number: str) -> int:
    """The app's id of the order commerce shows under `number` (after a rollback)."""
    return int(one(moving.social, "SELECT id FROM legacy_orders WHERE number = :n", n=number))


def credited_in_commerce(moving: Moving, account: str, *, order: int | None = None,
                         kind: str | None = None) -> int:  # fmt: skip
    """Credits less debits on `account` in commerce's ledger, for one order's entries and/or
    one kind of entry."""
    query = (
        "SELECT coalesce(sum(p.credit_idr - p.debit_idr), 0) FROM ledger_postings p JOIN"
        " ledger_entries e ON e.id = p.entry_id WHERE p.account = :a"
    )
    params: dict[str, object] = {"a": account}
    if order is not None:
        query, params["o"] = query + " AND e.order_id = :o", order
    if kind is not None:
        query, params["k"] = query + " AND e.kind = :k", kind
    return int(one(moving.commerce, query, **params))


def owed_in_commerce(moving: Moving, merchant: int) -> int:
    """What commerce owes the merchant now: its pending and payable balances."""
    with Session(moving.commerce) as s:
        return money_db.owed(s, f"merchant_pending:{merchant}") + money_db.owed(
            s, f"merchant_payable:{merchant}"
        )


def both_books_balance(moving: Moving) -> None:
    """Commerce's ledger: debits equal credits; the app's journal: its postings sum to zero."""
    with Session(moving.commerce) as s:
        debits, credits = money_db.totals(s)
    assert debits == credits
    assert (
        one(moving.social, "SELECT coalesce(sum(amount_idr), 0) FROM legacy_ledger_postings") == 0
    )

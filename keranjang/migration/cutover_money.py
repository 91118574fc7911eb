"""The money at the cutover: each seller's escrow per open order and its payable balance, read
from the app's books, become opening entries against `migration_clearing` in commerce's ledger.

The balances are read once before the fence (the prediction's rehearsal reads them anyway) and
read again inside the pause only for the sellers the drain brought changes of. That is safe
because every write that moves escrow or a payable (a payment, a completion, a refund) writes
the change log in its own transaction, and the log's cursor never skips a change committed out
of order: a seller whose log had nothing between the catch-up's cursor and the fence (the drain
found nothing of it) wrote nothing since before the balances were read, so they still hold; one
that wrote anything is read again while fenced, when nothing can move them.
"""

from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.money import ledger
from keranjang.infra.bulk import update_rows
from keranjang.migration import source_books
from keranjang.migration.sync import Ctx


@dataclass
class Maps:
    """The id map the pause needs, read before the fence (and again after a drain that applied
    anything, since it may have mapped new rows): orders legacy -> commerce, products
    commerce -> legacy."""

    orders: dict[int, int]
    products: dict[int, int]
    rounds: dict[int, int] = field(default_factory=dict)  # seller -> its move's round


@dataclass
class Balances:
    """The app's books for the batch's sellers: per seller, (order id, number, rupiah) held in
    escrow for each open paid order, and its payable balance."""

    held: dict[int, source_books.Escrow] = field(default_factory=dict)
    payable: dict[int, int] = field(default_factory=dict)

    def updated(self, fresher: "Balances", sellers: list[int]) -> "Balances":
        """These balances with `sellers`' replaced by `fresher`'s."""
        held = {s: v for s, v in self.held.items() if s not in sellers} | fresher.held
        payable = {s: v for s, v in self.payable.items() if s not in sellers} | fresher.payable
        return Balances(held, payable)


def read_balances(ctx: Ctx) -> Balances:
    """The app's books for `ctx`'s sellers, now."""
    with ctx.social.connect() as c:
        return Balances(
            source_books.escrow_of(c, ctx.sellers), source_books.payables(c, ctx.sellers)
        )


def openings(ctx: Ctx, ids: Maps, books: Balances) -> dict[int, ledger.Opening]:
    """Each seller's opening balances in commerce's terms."""
    unknown = [i for orders in books.held.values() for i, _, _ in orders if i not in ids.orders]
    if unknown:  # not mapped when the maps were read
        ids.orders.update(ctx.mapped("order", unknown))
    return {
        seller: ledger.Opening(
            merchant_id,
            tuple(
                ledger.OpenOrder(ids.orders[i], number, amount)
                for i, number, amount in books.held.get(seller, [])
            ),
            payable_idr=books.payable.get(seller, 0),
            round=ids.rounds.get(seller, 1),
        )
        for seller, merchant_id in ctx.merchants.items()
    }


def open_shops(s: Session, ctx: Ctx, digests: dict[int, str]) -> None:
    """In the caller's commerce transaction: each seller's tools opened (its own token) and
    the shops put on sale, one statement (`update_rows`)."""
    merchants = cast(Table, catalog_db.MerchantRow.__table__)
    tools = [
        {"id": ctx.merchants[seller], "token_hash": digest}
        for seller, digest in sorted(digests.items())
    ]
    update_rows(s.connection(), merchants, "id", tools, {"selling": True})

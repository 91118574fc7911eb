"""The app's escrow journal on the way back: each order brought level with its state in commerce
(see `rollback` for the protocol, `closing` for commerce's side).

The app owns the money of every order it takes back, so its journal books each order's
payment, completion and refund itself, each once under its name. An order that completed in
commerce is booked with the division commerce made at its completion (its `completion:<id>`
entry): the platform's fee and each creator's commission as commerce took them, line by line
and rounded down on each, and the seller the rest of what escrow still held (the total less
the refunds commerce made before completion). Refunds made in commerce are booked as commerce
booked them (`way_back_money`); an order refunded in the app before the cutover keeps the
app's own whole refund. Computing the shares again on the app's rule (the fee on the goods'
sum) could differ by a rupiah per line, and the seller's payable in the app would no longer be
what commerce showed it. Commerce hands the same fee and commissions back (`closing`), so
across both books each is booked once.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.infra.bulk import one_of
from keranjang.migration import way_back_money
from keranjang.social.legacy_shop import books as books_
from keranjang.social.legacy_shop import db as legacy
from keranjang.social.legacy_shop import ledger as legacy_ledger

MONEY_IN = ("paid", "shipped", "delivered", "completed")
COMMISSION = "commission_pending:"  # ledger.commission_pending(creator), as completion credits


@dataclass
class Division:
    """How commerce's completion divided an order: the platform's fee, each creator's
    commission (creator id -> rupiah)."""

    fee_idr: int = 0
    commissions: dict[int, int] = field(default_factory=dict)

    def shares(self, total_idr: int) -> legacy_ledger.Shares:
        """The app's shares of the order: the fee and commissions as commerce took them, the
        seller the rest of the total."""
        taken = self.fee_idr + sum(self.commissions.values())
        return legacy_ledger.Shares(
            total_idr - taken, self.fee_idr, tuple(sorted(self.commissions.items()))
        )


def divisions(c: Connection, of_orders: Any) -> dict[int, Division]:
    """commerce order id -> how its completion divided it, for the orders (a query of their
    ids) that completed in commerce."""
    e, p = money_db.LedgerEntryRow, money_db.LedgerPostingRow
    query = (
        select(e.order_id, p.account, p.credit_idr - p.debit_idr)
        .join(p, p.entry_id == e.id)
        .where(
            e.kind == "completion",
            one_of(e.order_id, of_orders),
            or_(p.account == ledger.PLATFORM_FEES, p.account.startswith(COMMISSION)),
        )
    )
    found: dict[int, Division] = {}
    for order_id, account, amount in c.execute(query):
        if order_id is None:  # never: a completion belongs to its order
            continue
        division = found.setdefault(order_id, Division())
        if account == ledger.PLATFORM_FEES:
            division.fee_idr += int(amount)
        else:
            creator = int(account.removeprefix(COMMISSION))
            division.commissions[creator] = division.commissions.get(creator, 0) + int(amount)
    return found


@dataclass(frozen=True)
class Books:
    """What the app's journal is brought level with: the merchant's orders in commerce, the
    app's id of each (commerce id -> legacy id), commerce's divisions of completed ones, and
    the refunds commerce made of them (commerce order id -> its refunds)."""

    seller_id: int
    commerce_orders: Sequence[RowMapping]
    orders: dict[int, int]
    divided: dict[int, Division]
    refunds: dict[int, list[way_back_money.CarriedRefund]] = field(default_factory=dict)


def bring_level(s: Session, books: Books, at: datetime) -> None:
    """The app's escrow journal brought level with each order's state: its payment, its
    completion, its refunds, each posted once under its name. An order refunded in commerce
    (in part or whole) carries commerce's refunds; one refunded in the app before the cutover
    keeps the app's own refund."""
    seller_id = books.seller_id
    for o in books.commerce_orders:
        order_id, status, total = books.orders[o["id"]], o["status"], o["total_idr"]
        carried = books.refunds.get(o["id"], [])
        refunded_here = status == "refunded" and _posted(s, f"payment:{order_id}")
        if status in MONEY_IN or carried or refunded_here:
            books_.post(s, legacy_ledger.payment(order_id, seller_id, total), at)
        shares = None
        if status == "completed" or _posted(s, f"completion:{order_id}"):
            left = total - way_back_money.from_escrow(carried)
            division = books.divided.get(o["id"])
            if division is None:  # completed in the app before the cutover, or never divided
                shares = _shares(s, order_id, left, o["platform_fee_bp"])
            else:
                shares = division.shares(left)
            books_.post(s, legacy_ledger.completion(order_id, seller_id, left, shares), at)
        for x in carried:
            books_.post(s, way_back_money.refund_entry(x, order_id, seller_id), at)
        if refunded_here and not carried:
            books_.post(s, legacy_ledger.refund(order_id, seller_id, total, shares), at)


def _shares(s: Session, order_id: int, total: int, fee_bp: int) -> legacy_ledger.Shares:
    x = legacy.OrderLineRow
    lines = s.execute(
        select(x.unit_price_idr, x.quantity, x.commission_bp, x.creator_id).where(
            x.order_id == order_id
        )
    )
    return legacy_ledger.shares(
        [legacy_ledger.ShareLine(p * q, bp, c) for p, q, bp, c in lines], total, fee_bp
    )


def _posted(s: Session, name: str) -> bool:
    return books_.posted(s, name)

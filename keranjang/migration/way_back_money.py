"""Refunds and payouts made in commerce between the cutover and the rollback, carried back to
the app (see `rollback` for the protocol, `way_back_books` for the orders' own entries).

Refunds: every refund commerce made of one of the merchant's orders (partial or whole: goods
lines and shipping) goes back as a succeeded refund row on the app's order, its lines and
shipping in its reason, and as an entry in the app's journal that mirrors commerce's own
posting by posting: out of escrow before the order completed, out of the seller's, the
platform's and the creators' shares after. So the app's escrow and the seller's payable are
what commerce left them, to the rupiah, and the partner's clearing in the app falls by what
went back to the buyer. A second payment returned whole (stage `stray`) is commerce's own
business and is not carried.

Payouts: what commerce paid the seller out of its payable goes back as `payout-commerce:<id>`
(seller payable -> partner clearing): the money left the partner, so it is neither owed to the
seller any more nor held by the partner for the app. A payout still in transit (sent, not yet
confirmed or failed by the disbursement partner), or a refund still asked of the partner, stops
the rollback with nothing written, until it settles: carrying it as in transit would need the
app to learn its outcome later from commerce's partner, a channel the separation rules leave
out; payouts and refunds settle within hours, the rollback window is days. Commerce's payouts
are read in the transaction that hands the payable back, under the payout batch's lock, so a
batch run meanwhile either pays before (and is carried) or finds nothing left to pay.
"""

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, aliased

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger, transit
from keranjang.commerce.money.domain import RefundStage, RefundStatus
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.infra.bulk import one_of
from keranjang.migration.errors import MigrationError
from keranjang.social.legacy_shop import books
from keranjang.social.legacy_shop import db as legacy
from keranjang.social.legacy_shop import ledger as legacy_ledger
from keranjang.social.legacy_shop.ledger import Account, Posting

PAYOUT = "payout-commerce:"
CREATOR_PAID = "creator-paid-commerce:"
CREATOR_PAYABLE = "commission_payable:"  # ledger.commission_payable(creator)


@dataclass(frozen=True)
class CarriedRefund:
    """A refund commerce made, and its entry as commerce posted it (account, debit - credit)."""

    refund_id: int
    order_id: int  # commerce's
    stage: str
    amount_idr: int
    shipping_idr: int
    lines: dict[int, int]  # commerce product id -> quantity
    reason: str
    partner_order_id: str | None
    postings: tuple[tuple[str, int], ...]


def refunds(c: Connection, of_orders: Any) -> dict[int, list[CarriedRefund]]:
    """commerce order id -> its succeeded refunds (not strays), in the order they were made."""
    r, e, p = money_db.RefundRow, money_db.LedgerEntryRow, money_db.LedgerPostingRow
    made = c.execute(
        select(r)
        .where(
            one_of(r.order_id, of_orders),
            r.status == RefundStatus.SUCCEEDED.value,
            r.stage != RefundStage.STRAY.value,
        )
        .order_by(r.id)
    ).mappings()
    found: dict[int, list[CarriedRefund]] = defaultdict(list)
    for row in list(made):
        postings = c.execute(
            select(p.account, p.debit_idr - p.credit_idr)
            .join(e, e.id == p.entry_id)
            .where(e.ref == f"refund:{row['id']}")
            .order_by(p.id)
        ).all()
        found[row["order_id"]].append(
            CarriedRefund(
                row["id"], row["order_id"], row["stage"], row["amount_idr"], row["shipping_idr"],
                {int(k): int(v) for k, v in json.loads(row["lines"]).items()}, row["reason"],
                row["partner_order_id"], tuple((str(a), int(n)) for a, n in postings),
            )
        )  # fmt: skip
    return dict(found)


def from_escrow(carried: Sequence[CarriedRefund]) -> int:
    """What the refunds took out of the order's escrow (those made before it completed)."""
    return sum(x.amount_idr for x in carried if x.stage == RefundStage.ESCROW.value)


def refund_entry(x: CarriedRefund, order_id: int, seller_id: int) -> legacy_ledger.Entry:
    """Commerce's refund entry in the app's accounts, posting by posting."""
    postings = [_posting(account, amount, seller_id) for account, amount in x.postings]
    return legacy_ledger.Entry(
        f"refund:{order_id}:commerce:{x.refund_id}", order_id, tuple(postings)
    )


def _posting(account: str, amount: int, seller_id: int) -> Posting:
    if account == ledger.ESCROW:
        return Posting(Account.ESCROW, amount, seller_id=seller_id)
    if account.startswith(("merchant_pending:", "merchant_payable:")):
        return Posting(Account.SELLER_PAYABLE, amount, seller_id=seller_id)
    if account.startswith(("commission_pending:", "commission_payable:")):
        creator = int(account.rsplit(":", 1)[1])
        return Posting(Account.CREATOR_COMMISSION, amount, seller_id, creator_id=creator)
    if account == ledger.PLATFORM_FEES:
        return Posting(Account.PLATFORM_FEES, amount, seller_id=seller_id)
    if account.startswith("partner_clearing:"):
        return Posting(Account.PARTNER_CLEARING, amount)
    raise MigrationError(f"a refund in commerce moved {account}: the app has no such account")


@dataclass(frozen=True)
class Where:
    """The app's order a refund goes back to: its id, the payment that paid it, and when."""

    order_id: int
    paid_by: str
    at: datetime


def refund_row(
    x: CarriedRefund, on: Where, titles: dict[int, str], products: dict[int, int]
) -> legacy.RefundRow:
    """The app's record of the refund: succeeded, its goods and shipping in words, and kept as
    figures (`products`: commerce product id -> the app's) for a later move."""
    goods = ", ".join(f"{n} x {titles.get(p, f'produk {p}')}" for p, n in sorted(x.lines.items()))
    what = "; ".join(
        w for w in (goods, f"ongkir Rp{x.shipping_idr}" if x.shipping_idr else "") if w
    )
    return legacy.RefundRow(
        order_id=on.order_id,
        refund_key=f"commerce-{x.refund_id}",
        partner_order_id=(x.partner_order_id or on.paid_by)[:50],
        kind=books.PARTLY,
        amount_idr=x.amount_idr,
        reason=f"{x.reason} (dikembalikan di commerce: {what or 'tanpa barang'})"[:500],
        lines=json.dumps({str(products[p]): n for p, n in sorted(x.lines.items())}),
        shipping_idr=x.shipping_idr,
        status="succeeded",
        created_at=on.at,
        updated_at=on.at,
    )


def carry_refunds(
    s: Session,
    on: Where,
    carried: Sequence[CarriedRefund],
    titles: dict[int, str],
    products: dict[int, int],
) -> dict[int, int]:
    """Each refund's row on the app's order, once (by its key); answers legacy refund id ->
    commerce refund id of every one of them."""
    r = legacy.RefundRow
    found = s.execute(select(r.refund_key, r.id).where(r.order_id == on.order_id))
    have = {str(key): int(i) for key, i in found}
    fresh = [x for x in carried if f"commerce-{x.refund_id}" not in have]
    rows = {x.refund_id: refund_row(x, on, titles, products) for x in fresh}
    s.add_all(rows.values())
    s.flush()
    have |= {row.refund_key: row.id for row in rows.values()}
    return {int(have[f"commerce-{x.refund_id}"]): x.refund_id for x in carried}


# payouts --------------------------------------------------------------------------------------


def unsettled(s: Session | Connection, merchant_id: int, of_orders: Any) -> list[str]:
    """What stops the rollback now: payouts in transit, refunds still asked of the partner,
    unpaid orders sharing a checkout's payment with another shop."""
    problems = []
    account = transit.in_transit(ledger.merchant_payable(merchant_id))
    if held := _owed(s, account):
        problems.append(f"a payout of Rp{held} to the seller is still in transit")
    problems += _creators_in_transit(s, of_orders)
    r = money_db.RefundRow
    asked = s.execute(
        select(r.id).where(one_of(r.order_id, of_orders), r.status == RefundStatus.REQUESTED.value)
    ).all()
    problems += [f"refund {i} is still being asked of the partner" for (i,) in asked]
    return problems + _shared_payments_open(s, of_orders)


def _shared_payments_open(s: Session | Connection, of_orders: Any) -> list[str]:
    """Unpaid orders whose payment is a checkout's one payment (`KRG-…`) shared with another
    shop's order: paid after the way back, that money would land in commerce for an order the
    app then owns, so the rollback waits until it is paid or ends."""
    o, cp = order_db.OrderRow, money_db.CheckoutPaymentRow
    mine, other = (
        aliased(money_db.CheckoutPaymentOrderRow),
        aliased(money_db.CheckoutPaymentOrderRow),
    )
    shared = select(other.order_id).where(
        other.checkout_payment_id == mine.checkout_payment_id, other.order_id.not_in(of_orders)
    )
    query = (
        select(o.number, cp.number)
        .join(mine, mine.order_id == o.id)
        .join(cp, cp.id == mine.checkout_payment_id)
        .where(one_of(o.id, of_orders), o.status == OrderStatus.AWAITING_PAYMENT.value)
        .where(shared.exists())
        .order_by(o.id)
    )
    return [
        f"order {n} awaits payment {paid_by}, shared with another shop's order"
        for n, paid_by in s.execute(query)
    ]


def _creators_in_transit(s: Session | Connection, of_orders: Any) -> list[str]:
    """Payouts in transit to creators these orders owe commission: what of it commerce has
    paid is known once they settle (`closing`)."""
    e, p = money_db.LedgerEntryRow, money_db.LedgerPostingRow
    query = (
        select(p.account)
        .join(e, e.id == p.entry_id)
        .where(
            one_of(e.order_id, of_orders), p.account.startswith(CREATOR_PAYABLE, autoescape=True)
        )
        .distinct()
        .order_by(p.account)
    )
    problems = []
    for account in s.execute(query).scalars():
        if held := _owed(s, transit.in_transit(account)):
            creator = account.removeprefix(CREATOR_PAYABLE)
            problems.append(f"a payout of Rp{held} to creator {creator} is still in transit")
    return problems


def _owed(s: Session | Connection, account: str) -> int:
    p = money_db.LedgerPostingRow
    rows = s.execute(select(p.credit_idr - p.debit_idr).where(p.account == account)).all()
    return sum(int(n) for (n,) in rows)


def payouts(s: Session, merchant_id: int) -> dict[int, int]:
    """payout id -> rupiah of every payout commerce made of the merchant's payable that did not
    fail (with nothing in transit, every one of them left the partner)."""
    e, p = money_db.LedgerEntryRow, money_db.LedgerPostingRow
    made = s.execute(
        select(e.ref, p.debit_idr)
        .join(p, p.entry_id == e.id)
        .where(e.kind == "payout", p.account == ledger.merchant_payable(merchant_id))
    ).all()
    found = {int(ref.removeprefix("payout:")): int(n) for ref, n in made if n}
    failed = set(
        s.scalars(select(e.ref).where(one_of(e.ref, [f"payout_failed:{i}" for i in found])))
    )
    return {i: n for i, n in found.items() if f"payout_failed:{i}" not in failed}


def payout_entry(payout_id: int, seller_id: int, amount_idr: int) -> legacy_ledger.Entry:
    return legacy_ledger.Entry(
        f"{PAYOUT}{payout_id}",
        None,
        (
            Posting(Account.SELLER_PAYABLE, amount_idr, seller_id=seller_id),
            Posting(Account.PARTNER_CLEARING, -amount_idr),
        ),
    )


def creator_paid_entry(name: str, creator_id: int, amount_idr: int) -> legacy_ledger.Entry:
    """A creator's commission commerce paid out before the way back, off what the app owes the
    creator; the partner holds that much less for the app (`closing`)."""
    return legacy_ledger.Entry(
        f"{CREATOR_PAID}{name}",
        None,
        (
            Posting(Account.CREATOR_COMMISSION, amount_idr, creator_id=creator_id),
            Posting(Account.PARTNER_CLEARING, -amount_idr),
        ),
    )

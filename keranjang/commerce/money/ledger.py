"""The money ledger's rules in plain Python: accounts, balanced entries, and how an order's money
is split between its merchant, the creator who brought the buyer, and the platform.

Double entry: every entry's debits equal its credits, and a balance is only ever the sum of the
entries on an account, never a number kept beside them. Whole rupiah (int) throughout.

The accounts, with the side they normally carry::

    partner_clearing:<partner>    debit   what a payment partner holds for the platform
    partner_fees                  debit   what partners charge for taking payments
    escrow                        credit  buyers' money for orders not yet completed
    merchant_pending:<id>         credit  a merchant's share of completed orders, still refundable
    merchant_payable:<id>         credit  ... once the refund window has closed: paid out next
    commission_pending:<creator>  credit  a creator's commission, still refundable
    commission_payable:<creator>  credit  ... once the refund window has closed: paid out next
    platform_fees                 credit  the platform's fee on completed orders
    stray_payments                credit  money paid for an order already paid or ended, owed
                                          back to the buyer until its automatic refund succeeds
    migration_clearing            debit   what the old in-app shop owes commerce for the balances
                                          of the merchants moved from it (opening entries)

How money moves: a payment puts the order's total into escrow (less the partner's fee, which the
platform bears); completion moves escrow into the merchant's, the creator's and the platform's
shares, held while the order can still be refunded; when the refund window closes the held
shares become payable; a payout pays a payable out through the partner; a refund reverses what
the refunded goods had been given, back out through the partner.

A merchant moved from the old in-app shop opens here with what it had there (`opening`): the
escrow of each of its open paid orders, and its pending and payable balances, each credited
against `migration_clearing`. An open order's escrow is posted under the very name a payment
would have, `payment:<order id>` (kind `opening`), so every rule that asks whether an order's
payment was booked (a late notification of it, completion, refunds, attribution) treats a moved
order like any other, and a payment notification for it can never book it a second time; moved
again after a rollback, it opens anew under `<name>:move<n>` (`moved_again`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

BASIS_POINTS = 10_000
ESCROW = "escrow"
STRAY = "stray_payments"
MIGRATION_CLEARING = "migration_clearing"
# The kinds of entry that book an order's payment: a payment taken here, or an open order's
# escrow brought from the old in-app shop.
PAYMENT_KINDS = ("payment", "opening")
PARTNER_FEES = "partner_fees"
PLATFORM_FEES = "platform_fees"
# What a partner charges per payment, by method: (flat rupiah, basis points of the amount).
PARTNER_FEE_SCHEDULE: dict[str, tuple[int, int]] = {
    "virtual_account": (4_000, 0),
    "qris": (0, 70),
    "ewallet": (0, 200),
}


class UnbalancedEntry(ValueError):
    """An entry whose debits and credits differ: a bug, never a user's mistake."""


def partner_clearing(partner: str) -> str:
    return f"partner_clearing:{partner}"


def merchant_pending(merchant_id: int) -> str:
    return f"merchant_pending:{merchant_id}"


def merchant_payable(merchant_id: int) -> str:
    return f"merchant_payable:{merchant_id}"


def commission_pending(creator_id: int) -> str:
    return f"commission_pending:{creator_id}"


def commission_payable(creator_id: int) -> str:
    return f"commission_payable:{creator_id}"


# ----------------------------------------------------------------------------------------------
# Entries


@dataclass(frozen=True)
class Posting:
    account: str
    debit: int = 0
    credit: int = 0


@dataclass(frozen=True)
class Entry:
    """One balanced movement. `ref` names it uniquely (`payment:<order id>`…), so posting the
    same movement twice is impossible."""

    kind: str
    ref: str
    memo: str
    postings: tuple[Posting, ...]
    order_id: int | None = None

    def __post_init__(self) -> None:
        if not self.postings:
            raise UnbalancedEntry(f"{self.ref}: an entry moves some money")
        for p in self.postings:
            if p.debit < 0 or p.credit < 0 or (p.debit > 0) == (p.credit > 0):
                raise UnbalancedEntry(f"{self.ref}: {p} is not one positive debit or credit")
        if self.debits != self.credits:
            raise UnbalancedEntry(f"{self.ref}: debits {self.debits} != credits {self.credits}")

    @property
    def debits(self) -> int:
        return sum(p.debit for p in self.postings)

    @property
    def credits(self) -> int:
        return sum(p.credit for p in self.postings)


@dataclass(frozen=True)
class Head:
    """What an entry records: its kind, the name that keeps it from being posted twice, a memo
    for people, and the order it belongs to."""

    kind: str
    ref: str
    memo: str
    order_id: int | None = None


def entry(head: Head, debits: Mapping[str, int], credits: Mapping[str, int]) -> Entry:
    """An entry from amounts per account; zero amounts are left out, and a negative amount
    goes to the other side (a clawback's rounding can give a share back a rupiah)."""
    signed = [(a, n) for a, n in debits.items() if n] + [(a, -n) for a, n in credits.items() if n]
    postings = [Posting(a, debit=n) if n > 0 else Posting(a, credit=-n) for a, n in signed]
    return Entry(head.kind, head.ref, head.memo, tuple(postings), head.order_id)


# ----------------------------------------------------------------------------------------------
# Splitting an order's money


@dataclass(frozen=True)
class MoneyLine:
    """An order line as the ledger sees it: `quantity` is what is still not refunded."""

    product_id: int
    unit_price_idr: int
    quantity: int
    commission_bp: int = 0
    creator_id: int | None = None

    @property
    def amount_idr(self) -> int:
        return self.unit_price_idr * self.quantity

    @property
    def commission_idr(self) -> int:
        if self.creator_id is None:
            return 0
        return self.amount_idr * self.commission_bp // BASIS_POINTS


@dataclass(frozen=True)
class Split:
    """Who gets what of an order's money. The shares add up to `total_idr` exactly: rounding
    goes down on the commissions and the fee, and the merchant gets the rest."""

    merchant_idr: int
    commissions: Mapping[int, int] = field(default_factory=dict)
    platform_fee_idr: int = 0

    @property
    def total_idr(self) -> int:
        return self.merchant_idr + sum(self.commissions.values()) + self.platform_fee_idr

    def minus(self, other: "Split") -> "Split":
        creators = set(self.commissions) | set(other.commissions)
        return Split(
            self.merchant_idr - other.merchant_idr,
            {c: self.commissions.get(c, 0) - other.commissions.get(c, 0) for c in creators},
            self.platform_fee_idr - other.platform_fee_idr,
        )


def split(lines: Iterable[MoneyLine], shipping_idr: int, platform_fee_bp: int) -> Split:
    """The shares of what is left of an order. Commission and fee are taken per line on the
    goods (never on shipping, which is the merchant's cost to carry)."""
    commissions: dict[int, int] = {}
    fee = goods = 0
    for line in lines:
        goods += line.amount_idr
        fee += line.amount_idr * platform_fee_bp // BASIS_POINTS
        if line.creator_id is not None and line.commission_idr:
            commissions[line.creator_id] = commissions.get(line.creator_id, 0) + line.commission_idr
    merchant = goods + shipping_idr - fee - sum(commissions.values())
    return Split(merchant, commissions, fee)


def partner_fee(method: str, gross_idr: int) -> int:
    flat, bp = PARTNER_FEE_SCHEDULE.get(method, (0, 0))
    return min(gross_idr, flat + gross_idr * bp // BASIS_POINTS)


# ----------------------------------------------------------------------------------------------
# The movements


def payment(order_id: int, number: str, partner: str, gross_idr: int, fee_idr: int) -> Entry:
    return entry(
        Head("payment", f"payment:{order_id}", f"payment for order {number}", order_id),
        {partner_clearing(partner): gross_idr - fee_idr, PARTNER_FEES: fee_idr},
        {ESCROW: gross_idr},
    )


def completion(order_id: int, number: str, merchant_id: int, shares: Split) -> Entry:
    credits = {merchant_pending(merchant_id): shares.merchant_idr}
    credits |= {commission_pending(c): n for c, n in shares.commissions.items()}
    credits |= {PLATFORM_FEES: shares.platform_fee_idr}
    return entry(
        Head("completion", f"completion:{order_id}", f"order {number} completed", order_id),
        {ESCROW: shares.total_idr},
        credits,
    )


def release(order_id: int, number: str, merchant_id: int, shares: Split) -> Entry:
    """The refund window has closed: the held shares become payable."""
    debits = {merchant_pending(merchant_id): shares.merchant_idr}
    debits |= {commission_pending(c): n for c, n in shares.commissions.items()}
    credits = {merchant_payable(merchant_id): shares.merchant_idr}
    credits |= {commission_payable(c): n for c, n in shares.commissions.items()}
    return entry(
        Head("release", f"release:{order_id}", f"refund window of order {number} closed", order_id),
        debits,
        credits,
    )


@dataclass(frozen=True)
class RefundMoney:
    """A refund as the ledger sees it. `clawback` is None before completion (the money is still
    in escrow); after, it is what the refunded goods had given each share."""

    refund_id: int
    order_id: int
    number: str
    merchant_id: int
    partner: str
    amount_idr: int
    clawback: Split | None = None


def refund(r: RefundMoney) -> Entry:
    if r.clawback is None:
        debits: dict[str, int] = {ESCROW: r.amount_idr}
    else:
        if r.clawback.total_idr != r.amount_idr:
            raise UnbalancedEntry(f"refund {r.refund_id}: the clawback is not the refund")
        debits = {merchant_pending(r.merchant_id): r.clawback.merchant_idr}
        debits |= {commission_pending(c): n for c, n in r.clawback.commissions.items()}
        debits[PLATFORM_FEES] = r.clawback.platform_fee_idr
    return entry(
        Head("refund", f"refund:{r.refund_id}", f"refund of order {r.number}", r.order_id),
        debits,
        {partner_clearing(r.partner): r.amount_idr},
    )


@dataclass(frozen=True)
class StrayPayment:
    """A payment the order did not need: its partner order id and transaction, the gross amount
    and the partner's fee on it."""

    order_id: int
    partner_order_id: str
    transaction: str
    partner: str
    gross_idr: int
    fee_idr: int


def stray_payment(p: StrayPayment) -> Entry:
    """A buyer paid an order that was already paid (another attempt) or had ended: the money is
    in, and owed back."""
    return entry(
        Head(
            "stray",
            _stray_ref(p),
            f"second payment {p.partner_order_id}, to be returned",
            p.order_id,
        ),
        {partner_clearing(p.partner): p.gross_idr - p.fee_idr, PARTNER_FEES: p.fee_idr},
        {STRAY: p.gross_idr},
    )


def _stray_ref(p: StrayPayment) -> str:
    """One name per order's money: a checkout's one payment (`KRG-…`) can be one for several
    of its orders, so its name carries the order too."""
    if p.partner_order_id.startswith("KRG-"):
        return f"stray:{p.partner_order_id}:{p.order_id}:{p.transaction}"[:80]
    return f"stray:{p.partner_order_id}:{p.transaction}"[:80]


def stray_refund(
    refund_id: int, order_id: int, partner_order_id: str, partner: str, amount: int
) -> Entry:
    return entry(
        Head(
            "refund", f"refund:{refund_id}", f"second payment {partner_order_id} returned", order_id
        ),
        {STRAY: amount},
        {partner_clearing(partner): amount},
    )


def payout(payout_id: int, payable_account: str, partner: str, amount_idr: int) -> Entry:
    """A payable paid out, through the partner's disbursement, from what the partner holds."""
    return entry(
        Head("payout", f"payout:{payout_id}", f"payout {payout_id} of {payable_account}"),
        {payable_account: amount_idr},
        {partner_clearing(partner): amount_idr},
    )


# -- Opening balances of a merchant moved from the old in-app shop ------------------------------


@dataclass(frozen=True)
class OpenOrder:
    """An open paid order moved with its merchant, and the old shop's escrow for it (its total
    less what had been refunded of it there)."""

    order_id: int
    number: str
    escrow_idr: int


@dataclass(frozen=True)
class Opening:
    """Everything a moved merchant opens with: escrow per open paid order, and its balances
    (`pending_idr`: shares of completed orders still refundable; `payable_idr`: due to it)."""

    merchant_id: int
    orders: tuple[OpenOrder, ...] = ()
    pending_idr: int = 0
    payable_idr: int = 0
    round: int = 1  # its move: 2 after a rollback and a move again (names its entries anew)

    @property
    def total_idr(self) -> int:
        """What `migration_clearing` is debited in all: the sum of every opening credit."""
        return sum(o.escrow_idr for o in self.orders) + self.pending_idr + self.payable_idr


def opening_escrow(merchant_id: int, order: OpenOrder, round_: int = 1) -> Entry | None:
    """An open order's escrow, booked as its payment (`payment:<order id>`, kind `opening`), so
    completion later takes it out of escrow as for any order. None when nothing is held."""
    if order.escrow_idr < 0:
        raise UnbalancedEntry(f"order {order.number}: escrow cannot be negative")
    if not order.escrow_idr:
        return None
    memo = f"order {order.number} paid in the old shop (merchant {merchant_id} moved)"
    head = Head("opening", moved_again(f"payment:{order.order_id}", round_), memo, order.order_id)
    return entry(head, {MIGRATION_CLEARING: order.escrow_idr}, {ESCROW: order.escrow_idr})


def opening_balance(merchant_id: int, what: str, amount_idr: int, round_: int = 1) -> Entry | None:
    """A merchant's `pending` or `payable` balance from the old shop, named
    `opening:<merchant id>:<what>`; None for zero. A negative balance (the merchant owed the old
    shop) is debited to the merchant's account instead."""
    accounts = {"pending": merchant_pending, "payable": merchant_payable}
    if what not in accounts:
        raise ValueError(f"an opening balance is 'pending' or 'payable', not {what!r}")
    if not amount_idr:
        return None
    memo = f"{what} balance from the old shop"
    head = Head("opening", moved_again(f"opening:{merchant_id}:{what}", round_), memo)
    return entry(head, {MIGRATION_CLEARING: amount_idr}, {accounts[what](merchant_id): amount_idr})


def moved_again(ref: str, round_: int) -> str:
    """An opening entry's name on the merchant's `round_`th move (after as many rollbacks)."""
    return ref if round_ == 1 else f"{ref}:move{round_}"


def opening(o: Opening) -> list[Entry]:
    """Every opening entry of a moved merchant, zero amounts left out; each balances, and
    together they debit `migration_clearing` by `o.total_idr`, to the rupiah."""
    escrows = [opening_escrow(o.merchant_id, order, o.round) for order in o.orders]
    balances = [
        opening_balance(o.merchant_id, what, amount, o.round)
        for what, amount in (("pending", o.pending_idr), ("payable", o.payable_idr))
    ]
    return [e for e in (*escrows, *balances) if e is not None]

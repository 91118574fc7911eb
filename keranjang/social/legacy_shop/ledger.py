"""The legacy shop's money, as a small double-entry journal in plain Python: every movement is one
balanced entry with a unique name (so it is never posted twice), and every balance is a sum of
postings. Simpler than commerce's ledger (no partner fees, no refund window, no payouts yet):

| when                               | debit                                   | credit                  |
| ---------------------------------- | --------------------------------------- | ----------------------- |
| the partner confirms a payment     | partner clearing                        | escrow (seller)         |
| the order completes                | escrow (seller)                         | seller payable, platform fees, creator commission |
| a refund succeeds, before completion | escrow (seller)                       | partner clearing        |
| a refund succeeds, after completion  | seller payable, platform fees, commission | partner clearing      |
| a payment of an ended order        | partner clearing                        | owed to buyers          |
| ... and its refund                 | owed to buyers                          | partner clearing        |

Amounts are whole rupiah; a debit is positive, a credit negative, and an entry sums to zero.
Rounding goes down on the fee and the commissions; the seller gets the rest, so the shares add up
to the order's total to the rupiah.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class Account(enum.StrEnum):
    PARTNER_CLEARING = "partner_clearing"
    ESCROW = "escrow"
    SELLER_PAYABLE = "seller_payable"
    PLATFORM_FEES = "platform_fees"
    CREATOR_COMMISSION = "creator_commission"
    OWED_TO_BUYERS = "owed_to_buyers"


@dataclass(frozen=True)
class Posting:
    account: Account
    amount_idr: int
    seller_id: int | None = None
    creator_id: int | None = None


@dataclass(frozen=True)
class Entry:
    name: str
    order_id: int | None
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        if sum(p.amount_idr for p in self.postings) != 0:
            raise ValueError(f"entry {self.name} does not balance")


@dataclass(frozen=True)
class ShareLine:
    amount_idr: int
    commission_bp: int
    creator_id: int | None


@dataclass(frozen=True)
class Shares:
    """How an order's total divides at completion."""

    seller_idr: int
    fee_idr: int
    commissions: tuple[tuple[int, int], ...]  # (creator id, rupiah)

    @property
    def commission_idr(self) -> int:
        return sum(amount for _, amount in self.commissions)


def shares(lines: Sequence[ShareLine], total_idr: int, fee_bp: int) -> Shares:
    """The platform's fee on the goods, each creator's commission on the lines they brought,
    both rounded down; the seller gets the rest (shipping included)."""
    goods = sum(line.amount_idr for line in lines)
    fee = goods * fee_bp // 10_000
    by_creator: dict[int, int] = {}
    for line in lines:
        if line.creator_id is not None and line.commission_bp:
            cut = line.amount_idr * line.commission_bp // 10_000
            by_creator[line.creator_id] = by_creator.get(line.creator_id, 0) + cut
    commissions = tuple(sorted((c, a) for c, a in by_creator.items() if a))
    seller = total_idr - fee - sum(a for _, a in commissions)
    return Shares(seller, fee, commissions)


def payment(order_id: int, seller_id: int, total_idr: int) -> Entry:
    return Entry(
        f"payment:{order_id}",
        order_id,
        (
            Posting(Account.PARTNER_CLEARING, total_idr),
            Posting(Account.ESCROW, -total_idr, seller_id=seller_id),
        ),
    )


def _share_postings(seller_id: int, s: Shares, sign: int) -> list[Posting]:
    """The completion's credits (sign -1), or their reversal (sign +1)."""
    postings = [Posting(Account.SELLER_PAYABLE, sign * s.seller_idr, seller_id=seller_id)]
    if s.fee_idr:
        postings.append(Posting(Account.PLATFORM_FEES, sign * s.fee_idr, seller_id=seller_id))
    for creator_id, amount in s.commissions:
        postings.append(
            Posting(Account.CREATOR_COMMISSION, sign * amount, seller_id, creator_id=creator_id)
        )
    return postings


def completion(order_id: int, seller_id: int, total_idr: int, s: Shares) -> Entry:
    debit = Posting(Account.ESCROW, total_idr, seller_id=seller_id)
    return Entry(f"completion:{order_id}", order_id, (debit, *_share_postings(seller_id, s, -1)))


def refund(order_id: int, seller_id: int, total_idr: int, completed: Shares | None) -> Entry:
    """Money back to the buyer: out of escrow, or out of the shares completion gave."""
    if completed is None:
        debits = [Posting(Account.ESCROW, total_idr, seller_id=seller_id)]
    else:
        debits = _share_postings(seller_id, completed, +1)
    credit = Posting(Account.PARTNER_CLEARING, -total_idr)
    return Entry(f"refund:{order_id}", order_id, (*debits, credit))


def stray_payment(order_id: int, partner_order_id: str, amount_idr: int) -> Entry:
    return Entry(
        f"stray:{partner_order_id}",
        order_id,
        (
            Posting(Account.PARTNER_CLEARING, amount_idr),
            Posting(Account.OWED_TO_BUYERS, -amount_idr),
        ),
    )


def stray_returned(order_id: int, partner_order_id: str, amount_idr: int) -> Entry:
    return Entry(
        f"stray-returned:{partner_order_id}",
        order_id,
        (
            Posting(Account.OWED_TO_BUYERS, amount_idr),
            Posting(Account.PARTNER_CLEARING, -amount_idr),
        ),
    )

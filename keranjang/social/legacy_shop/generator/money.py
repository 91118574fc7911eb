"""An order's money as the legacy shop's paying use cases leave it: payment attempts at the
partner (Midtrans, as the old app used), the partner's news of them, refunds, and the escrow
journal's entries, built by the shop's own ledger rules (`ledger.payment`, `completion`,
`refund`), so they balance by construction. Pure."""

import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from keranjang.social.legacy_shop import ledger
from keranjang.social.legacy_shop.domain import OrderStatus, partner_order_id
from keranjang.social.legacy_shop.generator.shops import Row
from keranjang.social.legacy_shop.generator.timeline import Life

COLUMNS: dict[str, tuple[str, ...]] = {
    "legacy_payments": (
        "id", "order_id", "attempt", "partner_order_id", "partner", "partner_transaction_id",
        "method", "amount_idr", "status", "instructions", "created_at", "updated_at",
    ),
    "legacy_payment_news": (
        "id", "dedupe_key", "partner_order_id", "status", "amount_idr", "outcome", "received_at",
    ),
    "legacy_refunds": (
        "id", "order_id", "refund_key", "partner_order_id", "kind", "amount_idr", "reason",
        "status", "last_error", "created_at", "updated_at", "lines", "shipping_idr",
    ),
    "legacy_ledger_entries": ("id", "name", "order_id", "at"),
    "legacy_ledger_postings": (
        "id", "entry_id", "account", "seller_id", "creator_id", "amount_idr",
    ),
}  # fmt: skip
PARTNER = "midtrans"
METHODS = ("virtual_account", "virtual_account", "virtual_account", "qris", "qris", "ewallet")
VA_BANKS = ("bca", "bni", "bri", "permata")
SECOND = timedelta(seconds=1)
# Midtrans' word for an attempt that ended unpaid, by the shop's status of it.
ENDED_NEWS = {"expired": "expire", "failed": "deny"}


@dataclass(frozen=True)
class OrderMoney:
    order_id: int
    number: str
    seller_id: int
    total_idr: int
    lines: tuple[ledger.ShareLine, ...]
    life: Life
    reason: str  # the last step's (a refund carries it)


@dataclass(frozen=True)
class Paid:
    """What the order row and its `pay` event need: the paying attempt and its transaction."""

    partner_order_id: str | None
    transaction_id: str | None


class Out:
    """The batch the rows go to, and the ids they take (one counter per table)."""

    def __init__(self, batch: dict[str, list[Row]], take: Callable[[str], int]) -> None:
        self.batch = batch
        self.take = take

    def add(self, table: str, row: Row) -> None:
        self.batch[table].append(row)


def transaction_id(rng: random.Random, order_id: int) -> str:
    """A Midtrans-style transaction id (a UUID), unique per order whatever the seed."""
    bits = (rng.getrandbits(96) << 32) | (order_id & 0xFFFFFFFF)
    return str(uuid.UUID(int=bits, version=4))


def money(rng: random.Random, order: OrderMoney, out: Out) -> Paid:
    """Every payment attempt of the order with its news; and if paid, the journal's entries
    and any refund."""
    life = order.life
    if not life.paid:
        _unpaid_attempt(rng, order, out)
        return Paid(None, None)
    attempt = 1
    if rng.random() < 0.1:  # a first attempt the partner declined, then paid with another
        _attempt(rng, order, (1, "failed", life.placed + 20 * SECOND), life.placed, out)
        attempt = 2
    paid_at = life.at("pay")
    assert paid_at is not None
    refunded = life.status in (OrderStatus.REFUNDED, OrderStatus.CANCELLED)
    answered = life.last + timedelta(seconds=rng.randint(1, 90))
    state = ("refunded", answered) if refunded else ("paid", paid_at)
    tx = _attempt(rng, order, (attempt, *state), life.placed + SECOND * attempt, out)
    paying = partner_order_id(order.number, attempt)
    _news(out, (tx, "settlement", 0), (paying, "paid", order.total_idr, "order paid"), paid_at)
    _post(out, ledger.payment(order.order_id, order.seller_id, order.total_idr), paid_at)
    shares = ledger.shares(order.lines, order.total_idr, PLATFORM_FEE_BP)
    completed_at = life.at("confirm") or life.at("auto")
    if completed_at is not None:
        entry = ledger.completion(order.order_id, order.seller_id, order.total_idr, shares)
        _post(out, entry, completed_at)
    if refunded:
        refund = Refund(paying, tx, answered, shares if completed_at else None)
        _refund(rng, order, refund, out)
    return Paid(paying, tx)


PLATFORM_FEE_BP = 500


@dataclass(frozen=True)
class Refund:
    partner_order_id: str
    transaction_id: str
    answered: datetime
    completed: ledger.Shares | None


def _unpaid_attempt(rng: random.Random, order: OrderMoney, out: Out) -> None:
    """An unpaid order: in flight, most have a pending payment; ended, some had one that
    lapsed with the hold; the rest never chose how to pay."""
    life = order.life
    if rng.random() >= (0.7 if life.status is OrderStatus.AWAITING_PAYMENT else 0.5):
        return
    at = life.placed + SECOND
    if life.status is OrderStatus.AWAITING_PAYMENT:
        _attempt(rng, order, (1, "pending", at), at, out)
    else:
        _attempt(rng, order, (1, "expired", life.hold_expires_at), at, out)


def _attempt(
    rng: random.Random, order: OrderMoney, state: tuple[int, str, datetime], at: datetime, out: Out
) -> str:
    """One attempt (number, status now, since when) asked for at `at`, and its news."""
    number, status, updated = state
    tx = transaction_id(rng, order.order_id)
    method = rng.choice(METHODS)
    expires = order.life.hold_expires_at - timedelta(seconds=30)
    how = _instructions(rng, method, tx, expires)
    pid = partner_order_id(order.number, number)
    out.add(
        "legacy_payments",
        (out.take("legacy_payments"), order.order_id, number, pid, PARTNER, tx, method,
         order.total_idr, status, how, at, updated),
    )  # fmt: skip
    _news(out, (tx, "pending", 0), (pid, "pending", order.total_idr, "recorded: pending"), at)
    if status in ENDED_NEWS:
        partner_status = ENDED_NEWS[status]
        what = (pid, status, order.total_idr, f"recorded: {status}")
        _news(out, (tx, partner_status, 0), what, updated)
    return tx


def _instructions(rng: random.Random, method: str, tx: str, expires: datetime) -> str:
    how: dict[str, object] = {"redirect_url": None, "virtual_account": None, "qris": None}
    if method == "virtual_account":
        how["virtual_account"] = {
            "bank": rng.choice(VA_BANKS),
            "number": f"{rng.randrange(10**11, 10**12)}{rng.randrange(10**5):05d}",
        }
    elif method == "qris":
        how["qris"] = f"00020101021226620014COM.GO-JEK.WWW0118936009140{tx[:18]}5303360"
    else:
        how["redirect_url"] = f"https://api.midtrans.com/v2/gopay/{tx}/deeplink"
    how["expires_at"] = expires.isoformat()
    return json.dumps(how)


def _news(
    out: Out, key: tuple[str, str, int], what: tuple[str, str, int, str], at: datetime
) -> None:
    """A partner notification as the shop keeps it once: `<transaction>:<status>:<refunded>`."""
    dedupe = f"{key[0]}:{key[1]}:{key[2]}"
    out.add("legacy_payment_news", (out.take("legacy_payment_news"), dedupe, *what, at))


def _refund(rng: random.Random, order: OrderMoney, refund: Refund, out: Out) -> None:
    """The money back through the partner, which answered: out of escrow, or out of the
    shares completion gave. Asked with the order's last step, for its reason."""
    key = f"lrf-{rng.getrandbits(64):016x}{order.order_id:08x}"
    out.add(
        "legacy_refunds",
        (out.take("legacy_refunds"), order.order_id, key, refund.partner_order_id, "order",
         order.total_idr, order.reason, "succeeded", None, order.life.last, refund.answered,
         None, None),
    )  # fmt: skip
    what = (refund.partner_order_id, "refunded", order.total_idr, "recorded: refunded")
    _news(out, (refund.transaction_id, "refund", order.total_idr), what, refund.answered)
    entry = ledger.refund(order.order_id, order.seller_id, order.total_idr, refund.completed)
    _post(out, entry, refund.answered)


def _post(out: Out, entry: ledger.Entry, at: datetime) -> None:
    entry_id = out.take("legacy_ledger_entries")
    out.add("legacy_ledger_entries", (entry_id, entry.name, entry.order_id, at))
    for p in entry.postings:
        out.add(
            "legacy_ledger_postings",
            (out.take("legacy_ledger_postings"), entry_id, p.account.value, p.seller_id,
             p.creator_id, p.amount_idr),
        )  # fmt: skip


def share_lines(lines: Sequence[tuple[int, int, int, int | None]]) -> tuple[ledger.ShareLine, ...]:
    """(unit price, quantity, commission, creator) per line, as the journal divides them."""
    return tuple(ledger.ShareLine(p * q, c, who) for p, q, c, who in lines)

"""What to make, from the sizes and the seed alone: how many of each thing, which ids they take,
how sales divide between sellers (a heavy tail), and the random streams every builder draws
from. Pure: no database, no clock (the moment `now` is given)."""

import hashlib
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from keranjang.social.legacy_shop.domain import OrderStatus

# Every table the generator fills, in an order that keeps foreign keys satisfied.
TABLES = (
    "legacy_sellers",
    "legacy_payout_accounts",
    "merchant_routes",
    "legacy_products",
    "viewers",
    "legacy_buyer_profiles",
    "legacy_addresses",
    "creators",
    "content",
    "legacy_catalog_cache",
    "pins",
    "legacy_cart_lines",
    "legacy_checkouts",
    "legacy_orders",
    "legacy_order_lines",
    "legacy_stock_holds",
    "legacy_order_events",
    "legacy_payments",
    "legacy_payment_news",
    "legacy_refunds",
    "legacy_ledger_entries",
    "legacy_ledger_postings",
)
# Tables whose `id` the generator assigns (the others are keyed by another table's id).
ID_TABLES = tuple(
    t
    for t in TABLES
    if t
    not in {
        "legacy_payout_accounts",
        "merchant_routes",
        "legacy_buyer_profiles",
        "legacy_catalog_cache",
    }
)

# Zipf's exponent for orders per seller: above 1, the top tenth of sellers takes most sales at
# every size from a few dozen sellers up.
SELLER_ZIPF = 1.1
S = OrderStatus
# How orders stand in an old marketplace at any moment (weights in per mille).
STATUS_MIX: tuple[tuple[OrderStatus, int], ...] = (
    (S.COMPLETED, 560),
    (S.EXPIRED, 110),
    (S.CANCELLED, 80),
    (S.REFUNDED, 60),
    (S.SHIPPED, 60),
    (S.DELIVERED, 50),
    (S.PAID, 40),
    (S.AWAITING_PAYMENT, 40),
)
FOREIGN_SHARE = 0.08
CREATORS_PER_SELLERS = 10
CONTENT_PER_CREATOR = 3
MAX_PINS = 4


class SizeError(ValueError):
    """Sizes the generator cannot honour; the message says which and why."""


@dataclass(frozen=True)
class Size:
    merchants: int
    products_per_merchant: int
    buyers: int
    orders: int
    seed: int = 2023

    def check(self) -> "Size":
        for name in ("merchants", "products_per_merchant", "buyers"):
            if getattr(self, name) < 1:
                raise SizeError(f"{name} must be at least 1")
        if self.orders < 0:
            raise SizeError("orders must be 0 or more")
        return self

    @property
    def products(self) -> int:
        return self.merchants * self.products_per_merchant

    @property
    def creators(self) -> int:
        return max(2, -(-self.merchants // CREATORS_PER_SELLERS))


@dataclass(frozen=True)
class Plan:
    """The sizes, the moment the marketplace stands at, the secret its tokens derive from, and
    the first id of each table (1 on an empty database, after the last one with `--append`)."""

    size: Size
    now: datetime
    key: bytes
    first_ids: Mapping[str, int] = field(default_factory=dict)

    def first(self, table: str) -> int:
        return self.first_ids.get(table, 1)

    def rng(self, stream: str) -> random.Random:
        """An independent random stream per concern: how one table is drawn never shifts
        another's, so the same seed gives the same rows whatever the batch sizes."""
        digest = hashlib.sha256(f"{self.size.seed}:{stream}".encode()).digest()
        # Reproducible, not secret: `tokens` derives every credential from the key instead.
        return random.Random(int.from_bytes(digest[:16], "big"))  # noqa: S311


def cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def seller_weights(plan: Plan) -> list[float]:
    """Each seller's share of the orders: Zipf over ranks, the ranks shuffled so a seller's id
    says nothing of its size. Cumulative, for `random.choices`."""
    n = plan.size.merchants
    ranks = list(range(1, n + 1))
    plan.rng("seller-ranks").shuffle(ranks)
    return cumulative([rank**-SELLER_ZIPF for rank in ranks])


def status_weights() -> tuple[list[OrderStatus], list[float]]:
    statuses = [status for status, _ in STATUS_MIX]
    return statuses, cumulative([weight for _, weight in STATUS_MIX])

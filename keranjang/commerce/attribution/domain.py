"""TODO docstring."""

from dataclasses import dataclass, field
from datetime import datetime

from keranjang.commerce.catalog.domain import Product
from keranjang.commerce.errors import HandoffRefused


@dataclass(frozen=True)
class Attribution:
    """What a redeemed hand-off leaves in commerce: exactly the allowed claims, nothing more."""

    jti: str
    creator_id: int
    content_id: int | None  # None: a line moved from the app (it knew only the creator)
    pin_id: int | None
    product_id: int
    merchant_id: int
    campaign: str | None
    at: datetime


@dataclass(frozen=True)
class Landing:
    """A redeemed hand-off: the product to show and the attribution it recorded."""

    product: Product
    attribution_id: int


@dataclass(frozen=True)
class Count:
    key: int
    handoffs: int


@dataclass(frozen=True)
class Commission:
    """A creator's commission in whole rupiah, from the ledger: still refundable (`pending`),
    paid out next (`payable`), and paid out so far."""

    pending_idr: int = 0
    payable_idr: int = 0
    paid_out_idr: int = 0


@dataclass(frozen=True)
class CreatorFigures:
    """Aggregates only: sums and counts, never a buyer's row. `orders` counts the paid orders
    with a line the creator brought."""

    creator_id: int
    handoffs: int
    by_content: tuple[Count, ...]
    by_product: tuple[Count, ...]
    first_at: datetime | None
    last_at: datetime | None
    orders: int = 0
    commission: Commission = field(default_factory=Commission)


def check_handoff_target(product: Product, claimed_merchant: int) -> None:
    if product.merchant.id != claimed_merchant:
        raise HandoffRefused(
            "merchant_mismatch",
            f"the link names merchant {claimed_merchant}, but product {product.id} "
            f"is sold by merchant {product.merchant.id}",
        )

"""TODO docstring."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from keranjang.commerce.errors import Conflict, EmptyCart, IdempotencyMismatch, Invalid

MAX_QUANTITY = 999
MAX_LINES = 50


def check_quantity(quantity: int) -> int:
    if not 0 <= quantity <= MAX_QUANTITY:
        raise Invalid(f"quantity must be from 0 (remove) to {MAX_QUANTITY}")
    return quantity


@dataclass(frozen=True)
class CartLine:
    product_id: int
    merchant_id: int
    title: str
    unit_price_idr: int
    quantity: int
    attribution_id: int | None = None
    commission_bp: int = 0
    creator_id: int | None = None

    @property
    def amount_idr(self) -> int:
        return self.unit_price_idr * self.quantity


@dataclass(frozen=True)
class OrderDraft:
    """One merchant's share of a checkout, with prices fixed at this moment."""

    merchant_id: int
    lines: tuple[CartLine, ...]
    shipping_idr: int

    @property
    def subtotal_idr(self) -> int:
        return sum(line.amount_idr for line in self.lines)

    @property
    def total_idr(self) -> int:
        return self.subtotal_idr + self.shipping_idr


def split_by_merchant(lines: Iterable[CartLine], shipping_idr: int) -> list[OrderDraft]:
    """A cart across merchants becomes one order per merchant, each with its own shipping."""
    lines = list(lines)
    if not lines:
        raise EmptyCart("the cart is empty: add products before checking out")
    if len(lines) > MAX_LINES:
        raise Invalid(f"a checkout holds at most {MAX_LINES} different products")
    merchants = sorted({line.merchant_id for line in lines})
    return [
        OrderDraft(m, tuple(line for line in lines if line.merchant_id == m), shipping_idr)
        for m in merchants
    ]


def hold_expiry(now: datetime, hold_minutes: int) -> datetime:
    return now + timedelta(minutes=hold_minutes)


def request_fingerprint(body: dict[str, Any]) -> str:
    """Same key and same body must give the same answer; this tells bodies apart."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_same_request(stored: str, given: str) -> None:
    if stored != given:
        raise IdempotencyMismatch(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a new checkout"
        )


def in_progress() -> Conflict:
    return Conflict("a checkout with this Idempotency-Key is still in progress; retry shortly")


@dataclass(frozen=True)
class SavedAddress:
    """A buyer's saved shipping address."""

    id: int
    label: str
    recipient: str
    phone: str
    street: str
    city: str
    postal_code: str

"""Buying's rules in plain Python: accounts (emails, passwords, claim links), cart quantities,
splitting a cart into orders per merchant, and the checkout's idempotency."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from keranjang.commerce.errors import (
    Conflict,
    EmptyCart,
    Gone,
    IdempotencyMismatch,
    Invalid,
    Unclaimed,
)

MAX_QUANTITY = 999
MAX_LINES = 50
MIN_PASSWORD = 10
MAX_PASSWORD = 200
CLAIM_DAYS = 7  # how long a claim link can be used


def checked_email(email: str) -> str:
    """An account's email as stored: trimmed and lowercased (one account per address)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise Invalid(
            "email must be an address like name@example.com",
            code="email_format",
            params={"field": "email"},
        )
    return email


def check_password(password: str) -> str:
    """The sign-up rule, the same for a claimed account."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            code="length",
            params={"field": "password", "min": MIN_PASSWORD, "max": MAX_PASSWORD},
        )
    return password


def unclaimed_account() -> Unclaimed:
    return Unclaimed(
        "an account with this email was made from purchases in the old in-app shop and has no "
        "password yet: ask for a claim link (POST /api/buyers/claims/request) and set the "
        "password through it",
    )


def claim_expiry(now: datetime) -> datetime:
    return now + timedelta(days=CLAIM_DAYS)


def check_claim_usable(used_at: datetime | None, expires_at: datetime, now: datetime) -> None:
    """A claim link works once, within its days; after that the buyer asks for a new one."""
    if used_at is not None:
        raise Gone(
            "this claim link was already used: log in, or ask for a new link", code="claim_used"
        )
    if now >= expires_at:
        raise Gone("this claim link has expired: ask for a new one", code="claim_expired")


def check_quantity(quantity: int) -> int:
    if not 0 <= quantity <= MAX_QUANTITY:
        raise Invalid(
            f"quantity must be from 0 (remove) to {MAX_QUANTITY}",
            code="quantity_range",
            params={"field": "quantity", "min": 0, "max": MAX_QUANTITY},
        )
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
        raise Invalid(
            f"a checkout holds at most {MAX_LINES} different products",
            code="too_many_lines",
            params={"max": MAX_LINES},
        )
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
    return Conflict(
        "a checkout with this Idempotency-Key is still in progress; retry shortly",
        code="in_progress",
    )


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


@dataclass(frozen=True)
class Courier:
    """A courier a buyer can choose at checkout, at one flat price per shop's parcel."""

    code: str
    name: str
    price_idr: int
    days: str


COURIERS = {
    c.code: c
    for c in (
        Courier("jne", "JNE Reguler", 15_000, "2-3 hari"),
        Courier("jnt", "J&T Express", 16_000, "2-3 hari"),
        Courier("sicepat", "SiCepat HALU", 11_000, "3-5 hari"),
        Courier("anteraja", "AnterAja Next Day", 27_000, "1 hari"),
    )
}


def courier(code: str) -> Courier:
    found = COURIERS.get(code)
    if found is None:
        raise Invalid(
            f"courier must be one of: {', '.join(COURIERS)}",
            code="unknown_courier",
            params={"field": "courier", "choices": ", ".join(COURIERS)},
        )
    return found

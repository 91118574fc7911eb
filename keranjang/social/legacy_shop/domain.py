"""The legacy in-app shop's rules in plain Python: no web, no database.

This is the old system. Its order states are a copy of commerce's, with the same values, because
social may not import commerce and the migration moves orders from here to there state for state.

Errors::

    LegacyShopError
    ├── NotFound              no such seller, product, order, address or cart line
    ├── Invalid               input that breaks a rule; the message says what to fix
    │   ├── EmptyCart         checkout of an empty cart
    │   └── KeyReused         an Idempotency-Key already used with another request body
    ├── Conflict              the state does not allow it; retrying unchanged will not help
    │   ├── Taken             a unique name (slug, email) is taken, or was taken concurrently
    │   ├── OutOfStock        fewer units left than asked for
    │   ├── IllegalTransition the order's state does not allow that step
    │   ├── OrderChanged      another request moved the order first
    │   └── SellerMoved       the seller now sells in commerce (the shop app), not in the app
    ├── NotPermitted          authenticated, but not allowed (not your order, no operator token)
    ├── Unauthenticated       missing or wrong token
    ├── NotificationRefused   a payment notification that must not be believed
    ├── Unavailable           not now, but the same request will work in a moment: try again
    │   ├── PartnerDown       the payment partner could not be reached
    │   └── SellerFenced      the seller's shop is moving to commerce right now (a short pause)
    └── ShopClosed            the in-app shop is switched off: shop at commerce
"""

import enum
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from keranjang.social.domain import Route


class LegacyShopError(Exception):
    """Base of every error of the legacy shop: a stable `code` (its class's, unless the raise
    names a finer one), the `params` a reader needs, and the developer's message for logs. The
    web layer words the code per locale (`legacy_shop.error_words`)."""

    code = "shop_error"

    def __init__(self, message: str, /, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.params = params


class NotFound(LegacyShopError):
    code = "not_found"


class Invalid(LegacyShopError):
    code = "invalid"


class EmptyCart(Invalid):
    code = "empty_cart"


class KeyReused(Invalid):
    code = "key_reused"


class Conflict(LegacyShopError):
    code = "conflict"


class Taken(Conflict):
    code = "taken"


class OutOfStock(Conflict):
    code = "out_of_stock"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class OrderChanged(Conflict):
    code = "order_changed"


class SellerMoved(Conflict):
    code = "seller_moved"


class NotPermitted(LegacyShopError):
    code = "not_permitted"


class Unauthenticated(LegacyShopError):
    code = "unauthenticated"


class NotificationRefused(LegacyShopError):
    code = "notification_refused"


class Unavailable(LegacyShopError):
    """Retryable: never remembered as the answer to an Idempotency-Key."""

    code = "unavailable"


class PartnerDown(Unavailable):
    code = "partner_down"


class SellerFenced(Unavailable):
    code = "seller_fenced"


class ShopClosed(LegacyShopError):
    code = "shop_closed"


class SellerKind(enum.StrEnum):
    LOCAL = "local"
    FOREIGN = "foreign"


class OrderStatus(enum.StrEnum):
    """Commerce's order states, copied value for value (the old system kept the same ones)."""

    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.AWAITING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.EXPIRED}),
    S.PAID: frozenset({S.SHIPPED, S.CANCELLED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REFUNDED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.REFUNDED}),
    S.COMPLETED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REFUNDED: frozenset(),
}
# Stock goes back on the shelf when an order ends before it ships.
RESTOCKING = frozenset({S.CANCELLED, S.EXPIRED})
# Orders whose money is in: a cancel or refund of these returns it through the partner.
MONEY_IN = frozenset({S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED})

PHONE = re.compile(r"^\+?[0-9]{8,15}$")
POSTAL_CODE = re.compile(r"^[0-9]{5}$")
MAX_QUANTITY = 999
MAX_LINES = 50


@dataclass(frozen=True)
class Address:
    recipient: str
    phone: str
    street: str
    city: str
    postal_code: str


def check_address(a: Address) -> Address:
    a = Address(*(v.strip() for v in (a.recipient, a.phone, a.street, a.city, a.postal_code)))
    if not 1 <= len(a.recipient) <= 120:
        raise Invalid(
            "recipient must be 1 to 120 characters",
            "field_length",
            field="recipient",
            low=1,
            high=120,
        )
    check_phone(a.phone)
    if not 5 <= len(a.street) <= 300:
        raise Invalid(
            "street must be 5 to 300 characters", "field_length", field="street", low=5, high=300
        )
    if not 2 <= len(a.city) <= 80:
        raise Invalid(
            "city must be 2 to 80 characters", "field_length", field="city", low=2, high=80
        )
    if not POSTAL_CODE.match(a.postal_code):
        raise Invalid("postal_code must be 5 digits", "postal_code_format", field="postal_code")
    return a


def check_phone(phone: str) -> str:
    if not PHONE.match(phone):
        raise Invalid(
            "phone must be 8 to 15 digits, optionally starting with +, like +6281234567890",
            "phone_format",
            field="phone",
        )
    return phone


def check_transition(current: OrderStatus, target: OrderStatus) -> OrderStatus:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: the order is final"
        raise IllegalTransition(
            f"an order that is {current.value} cannot become {target.value} (allowed: {allowed})",
            current=current.value,
            target=target.value,
        )
    return target


@dataclass(frozen=True)
class Move:
    """One step of an order: to what, by whom (`buyer:<id>`, `seller:<id>`, `partner:<tx>`,
    `system:<job>`), why, and when."""

    target: OrderStatus
    actor: str
    reason: str
    at: datetime


MOVING = (
    "Toko ini sedang pindah; coba lagi sebentar lagi. This shop is moving; try again in a moment."
)


def check_open(seller_id: int, route: Route, fenced: bool) -> None:
    """A legacy write for a seller may go ahead only while the seller sells in the app and the
    migration is not fencing it for its cutover."""
    if route is Route.COMMERCE:
        raise SellerMoved(
            f"seller {seller_id} now sells in commerce, on the Keranjang shop app: buy its "
            "products (and run the shop) there; remove them from the in-app cart",
            seller_id=seller_id,
        )
    if fenced:
        raise SellerFenced(MOVING)


def check_quantity(quantity: int) -> int:
    if not 0 <= quantity <= MAX_QUANTITY:
        raise Invalid(
            f"quantity must be from 0 (remove) to {MAX_QUANTITY}",
            "number_range",
            field="quantity",
            low=0,
            high=MAX_QUANTITY,
        )
    return quantity


@dataclass(frozen=True)
class CartLine:
    product_id: int
    seller_id: int
    title: str
    unit_price_idr: int
    quantity: int
    commission_bp: int = 0
    creator_id: int | None = None

    @property
    def amount_idr(self) -> int:
        return self.unit_price_idr * self.quantity


@dataclass(frozen=True)
class OrderDraft:
    """One seller's share of a checkout, with prices fixed at this moment."""

    seller_id: int
    lines: tuple[CartLine, ...]
    shipping_idr: int

    @property
    def subtotal_idr(self) -> int:
        return sum(line.amount_idr for line in self.lines)

    @property
    def total_idr(self) -> int:
        return self.subtotal_idr + self.shipping_idr


def split_by_seller(lines: Iterable[CartLine], shipping_idr: int) -> list[OrderDraft]:
    """A cart across sellers becomes one order per seller, each with its own shipping."""
    lines = list(lines)
    if not lines:
        raise EmptyCart("the cart is empty: add products before checking out")
    if len(lines) > MAX_LINES:
        raise Invalid(
            f"a checkout holds at most {MAX_LINES} different products",
            "too_many_lines",
            limit=MAX_LINES,
        )
    sellers = sorted({line.seller_id for line in lines})
    return [
        OrderDraft(s, tuple(line for line in lines if line.seller_id == s), shipping_idr)
        for s in sellers
    ]


def hold_expiry(now: datetime, hold_minutes: int) -> datetime:
    return now + timedelta(minutes=hold_minutes)


def request_fingerprint(body: dict[str, Any]) -> str:
    """Same key and same body must give the same answer; this tells bodies apart."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_same_request(stored: str, given: str) -> None:
    if stored != given:
        raise KeyReused(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a new checkout"
        )


def check_idempotency_key(key: str | None) -> str:
    if not key or not 8 <= len(key) <= 64 or not key.isascii() or not key.isprintable():
        raise Invalid(
            "send an Idempotency-Key header of 8 to 64 printable ASCII characters", "key_format"
        )
    return key


def partner_order_id(number: str, attempt: int) -> str:
    """The id the partner knows a payment attempt by: the order number, then `<number>-<n>`."""
    return number if attempt == 1 else f"{number}-{attempt}"


def known_by(partner_order_id: str, instructions: str) -> str:
    """The id the partner knows a payment by: its own, or, for one that came back from commerce
    after paying a checkout across shops there, that checkout's one payment (`KRG-…`), named in
    its instructions."""
    named = json.loads(instructions or "{}").get("partner_order_id")
    return str(named) if named else partner_order_id


def order_number_and_attempt(partner_id: str) -> tuple[str, int]:
    """The inverse of `partner_order_id` (legacy order numbers are `LGC-<hex>`, one '-')."""
    head, dash, tail = partner_id.rpartition("-")
    if dash and head.count("-") == 1 and tail.isdigit():
        return head, int(tail)
    return partner_id, 1

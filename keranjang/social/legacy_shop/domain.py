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
    │   └── SellerMoved       the seller now sells in commerce, not in the app
    ├── NotPermitted          authenticated, but not allowed (not your order, no operator token)
    ├── Unauthenticated       missing or wrong token
    ├── NotificationRefused   a payment notification that must not be believed
    ├── PartnerDown           the payment partner could not be reached; try again
    └── ShopClosed            the in-app shop is switched off: shop at commerce
"""

import enum
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any


class LegacyShopError(Exception):
    """Base of every error of the legacy shop."""


class NotFound(LegacyShopError):
    pass


class Invalid(LegacyShopError):
    pass


class EmptyCart(Invalid):
    pass


class KeyReused(Invalid):
    pass


class Conflict(LegacyShopError):
    pass


class Taken(Conflict):
    pass


class OutOfStock(Conflict):
    pass


class IllegalTransition(Conflict):
    pass


class OrderChanged(Conflict):
    pass


class SellerMoved(Conflict):
    pass


class NotPermitted(LegacyShopError):
    pass


class Unauthenticated(LegacyShopError):
    pass


class NotificationRefused(LegacyShopError):
    pass


class PartnerDown(LegacyShopError):
    pass


class ShopClosed(LegacyShopError):
    pass


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

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
HS_CODE = re.compile(r"^[0-9]{6,10}$")
STANDARD_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .:/-]{1,62}[A-Za-z0-9]$")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")
POSTAL_CODE = re.compile(r"^[0-9]{5}$")
BANK_CODE = re.compile(r"^[a-z]{3,10}$")
ACCOUNT_NUMBER = re.compile(r"^[0-9]{6,20}$")
MAX_PRICE_IDR = 1_000_000_000_000
MAX_FOB_USD_CENTS = 100_000_000_00
MAX_COMMISSION_BP = 5_000
MAX_QUANTITY = 999
MAX_LINES = 50
MIN_CROSS_BORDER_FOB_USD_CENTS = 100_00
POSITIVE_LIST_HS_HEADINGS = ("4901", "4902", "4903", "4904", "3706", "8523")

# What commerce asks of a foreign merchant (Permendag 31/2023 Pasal 5). The old app did not ask
# for all of it: a legacy seller keeps what it gave, and `missing_registration` names the rest,
# which the migration must collect before the merchant opens in commerce.
FOREIGN_REQUIREMENTS: dict[str, str] = {
    "owner_name": "the name of the person responsible for the business",
    "identity_document": "the owner's identity document number (passport or national ID)",
    "business_legality_document": "proof of business legality (document reference or URL)",
    "legalisation_reference": "the legalisation of that proof (apostille or embassy reference)",
    "sni_certificate": "proof of Indonesian National Standard (SNI) conformity",
    "halal_certificate": "halal proof (certificate number)",
    "description_id": "a description of the goods in Indonesian",
    "origin_country": "the shipping origin country (ISO 3166 two-letter code)",
    "origin_city": "the shipping origin city",
}


@dataclass(frozen=True)
class Registration:
    """A seller's registration facts, as commerce keeps them for a merchant and its application."""

    slug: str
    name: str
    kind: SellerKind = SellerKind.LOCAL
    city: str = ""
    owner_name: str | None = None
    identity_document: str | None = None
    business_legality_document: str | None = None
    legalisation_reference: str | None = None
    sni_certificate: str | None = None
    halal_certificate: str | None = None
    description_id: str | None = None
    origin_country: str | None = None
    origin_city: str | None = None


def check_registration(r: Registration) -> Registration:
    if not SLUG.match(r.slug):
        raise Invalid(
            "slug must be 3 to 50 lower-case letters, digits or '-', not starting or ending with '-'"
        )
    if not r.name.strip():
        raise Invalid("name must not be empty")
    country = (r.origin_country or "").strip().upper() or None
    if country is not None and not COUNTRY.match(country):
        raise Invalid("origin_country must be an ISO 3166 two-letter country code, like CN")
    return replace(r, name=r.name.strip(), city=r.city.strip(), origin_country=country)


def missing_registration(r: Registration) -> list[str]:
    """The Pasal 5 items a foreign seller has not given (none for a local seller)."""
    if r.kind is SellerKind.LOCAL:
        return []
    missing = [k for k in FOREIGN_REQUIREMENTS if not (getattr(r, k) or "").strip()]
    if r.origin_country == "ID" and "origin_country" not in missing:
        missing.append("origin_country")
    return sorted(missing, key=list(FOREIGN_REQUIREMENTS).index)


@dataclass(frozen=True)
class Listing:
    """A legacy product as a seller lists it: every field commerce's listings have."""

    title: str
    description: str
    price_idr: int
    stock: int
    category: str = "Lainnya"
    image_url: str | None = None
    hs_code: str | None = None
    origin_country: str = "ID"
    cross_border: bool = False
    fob_usd_cents: int | None = None
    npb_number: str | None = None
    sni_number: str | None = None
    halal_number: str | None = None
    commission_bp: int = 0


def check_listing(p: Listing) -> Listing:
    """The listing normalised, or `Invalid` naming the first field to fix. The old app checked
    formats only; `cross_border_gaps` names what Pasal 11 and 19 would refuse."""
    p = _normalised(p)
    if not 1 <= len(p.title) <= 200:
        raise Invalid("title must be 1 to 200 characters")
    if not 1 <= p.price_idr <= MAX_PRICE_IDR:
        raise Invalid(f"price_idr must be a whole number of rupiah from 1 to {MAX_PRICE_IDR}")
    if not 0 <= p.stock <= 10_000_000:
        raise Invalid("stock must be from 0 to 10000000 units")
    if p.image_url is not None and not p.image_url.startswith(("https://", "http://", "/")):
        raise Invalid("image_url must be an http(s) URL or a path on this site")
    if not COUNTRY.match(p.origin_country):
        raise Invalid("origin_country must be an ISO 3166 two-letter country code, like ID or CN")
    if p.hs_code is not None and not HS_CODE.match(p.hs_code):
        raise Invalid("hs_code must be 6 to 10 digits (dots allowed), like 6205.20.00")
    if p.fob_usd_cents is not None and not 1 <= p.fob_usd_cents <= MAX_FOB_USD_CENTS:
        raise Invalid(f"fob_usd_cents must be whole US cents from 1 to {MAX_FOB_USD_CENTS}")
    for name in ("npb_number", "sni_number", "halal_number"):
        value = getattr(p, name)
        if value is not None and not STANDARD_NUMBER.match(value):
            raise Invalid(f"{name} must be 3 to 64 letters, digits, spaces or . : / -")
    if not 0 <= p.commission_bp <= MAX_COMMISSION_BP:
        raise Invalid(f"commission_bp must be from 0 to {MAX_COMMISSION_BP} (100 = 1%)")
    return p


def _normalised(p: Listing) -> Listing:
    def text(value: str | None) -> str | None:
        return (value or "").strip() or None

    return replace(
        p,
        title=p.title.strip(),
        description=p.description.strip(),
        category=p.category.strip() or "Lainnya",
        image_url=text(p.image_url),
        hs_code=(text(p.hs_code) or "").replace(".", "") or None,
        origin_country=p.origin_country.strip().upper(),
        npb_number=text(p.npb_number),
        sni_number=text(p.sni_number),
        halal_number=text(p.halal_number),
    )


def cross_border_gaps(p: Listing) -> list[str]:
    """What commerce would refuse of a cross-border listing (Pasal 11 and 19); empty if none."""
    if not p.cross_border:
        return []
    gaps = [f for f in ("hs_code", "fob_usd_cents", "npb_number") if getattr(p, f) is None]
    if p.origin_country == "ID":
        gaps.append("origin_country")
    floor_applies = p.hs_code is None or not p.hs_code.startswith(POSITIVE_LIST_HS_HEADINGS)
    low = p.fob_usd_cents is not None and p.fob_usd_cents < MIN_CROSS_BORDER_FOB_USD_CENTS
    if low and floor_applies:
        gaps.append("fob_usd_cents below US$100")
    return gaps


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
        raise Invalid("recipient must be 1 to 120 characters")
    check_phone(a.phone)
    if not 5 <= len(a.street) <= 300:
        raise Invalid("street must be 5 to 300 characters")
    if not 2 <= len(a.city) <= 80:
        raise Invalid("city must be 2 to 80 characters")
    if not POSTAL_CODE.match(a.postal_code):
        raise Invalid("postal_code must be 5 digits")
    return a


def check_phone(phone: str) -> str:
    if not PHONE.match(phone):
        raise Invalid(
            "phone must be 8 to 15 digits, optionally starting with +, like +6281234567890"
        )
    return phone


@dataclass(frozen=True)
class PayoutAccount:
    bank_code: str
    account_number: str
    holder_name: str


def check_payout_account(a: PayoutAccount) -> PayoutAccount:
    a = PayoutAccount(a.bank_code.strip().lower(), a.account_number.strip(), a.holder_name.strip())
    if not BANK_CODE.match(a.bank_code):
        raise Invalid("bank_code must be 3 to 10 letters, like bca or mandiri")
    if not ACCOUNT_NUMBER.match(a.account_number):
        raise Invalid("account_number must be 6 to 20 digits")
    if not 1 <= len(a.holder_name) <= 120:
        raise Invalid("holder_name must be 1 to 120 characters")
    return a


def check_transition(current: OrderStatus, target: OrderStatus) -> OrderStatus:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: the order is final"
        raise IllegalTransition(
            f"an order that is {current.value} cannot become {target.value} (allowed: {allowed})"
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


def check_quantity(quantity: int) -> int:
    if not 0 <= quantity <= MAX_QUANTITY:
        raise Invalid(f"quantity must be from 0 (remove) to {MAX_QUANTITY}")
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
        raise Invalid(f"a checkout holds at most {MAX_LINES} different products")
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
        raise Invalid("send an Idempotency-Key header of 8 to 64 printable ASCII characters")
    return key


def partner_order_id(number: str, attempt: int) -> str:
    """The id the partner knows a payment attempt by: the order number, then `<number>-<n>`."""
    return number if attempt == 1 else f"{number}-{attempt}"


def order_number_and_attempt(partner_id: str) -> tuple[str, int]:
    """The inverse of `partner_order_id` (legacy order numbers are `LGC-<hex>`, one '-')."""
    head, dash, tail = partner_id.rpartition("-")
    if dash and head.count("-") == 1 and tail.isdigit():
        return head, int(tail)
    return partner_id, 1

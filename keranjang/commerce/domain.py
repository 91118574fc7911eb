"""Commerce's rules in plain Python: no web, no database.

Errors::

    CommerceError
    ├── NotFound         no such merchant or product
    ├── Invalid          input that breaks a rule; the message says what to fix
    ├── Conflict         the thing already exists
    ├── NotPermitted     authenticated, but not allowed (not your shop)
    ├── Unauthenticated  missing or wrong credentials
    └── HandoffRefused   a yellow-cart hand-off commerce will not accept (`reason` says why)
"""

import enum
import re
from dataclasses import dataclass
from datetime import datetime


class CommerceError(Exception):
    status = 400


class NotFound(CommerceError):
    status = 404


class Invalid(CommerceError):
    status = 422


class Conflict(CommerceError):
    status = 409


class NotPermitted(CommerceError):
    status = 403


class Unauthenticated(CommerceError):
    status = 401


class HandoffRefused(CommerceError):
    """Statuses: 400 unreadable or wrong, 401 not signed by social, 410 expired or already used."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


class MerchantKind(enum.StrEnum):
    LOCAL = "local"
    FOREIGN = "foreign"


SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$")
MAX_PRICE_IDR = 1_000_000_000_000


@dataclass(frozen=True)
class Merchant:
    id: int
    slug: str
    name: str
    kind: MerchantKind
    city: str


@dataclass(frozen=True)
class Product:
    id: int
    merchant: Merchant
    title: str
    description: str
    price_idr: int
    stock: int
    category: str
    image_url: str | None

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class NewProduct:
    title: str
    description: str
    price_idr: int
    stock: int
    category: str
    image_url: str | None = None


@dataclass(frozen=True)
class ProductChange:
    """A seller's edit of a product; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    price_idr: int | None = None
    stock: int | None = None


@dataclass(frozen=True)
class Attribution:
    """What a redeemed hand-off leaves in commerce: exactly the allowed claims, nothing more."""

    jti: str
    creator_id: int
    content_id: int
    pin_id: int
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
class CreatorFigures:
    """Aggregates only: sums and counts, never a buyer's row."""

    creator_id: int
    handoffs: int
    by_content: tuple[Count, ...]
    by_product: tuple[Count, ...]
    first_at: datetime | None
    last_at: datetime | None


# What a foreign merchant must give before selling (Permendag 31/2023 Pasal 5), field by field.
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


def missing_for_foreign(submitted: dict[str, str | None]) -> list[str]:
    """The Pasal 5 items still missing or unusable, in a fixed order; empty when complete."""
    missing = [k for k in FOREIGN_REQUIREMENTS if not (submitted.get(k) or "").strip()]
    country = (submitted.get("origin_country") or "").strip()
    if country and (len(country) != 2 or not country.isalpha() or country.upper() == "ID"):
        missing.append("origin_country")
    return sorted(set(missing), key=list(FOREIGN_REQUIREMENTS).index)


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise Invalid(
            "slug must be 3 to 50 lower-case letters, digits or '-', not starting or ending with '-'"
        )
    return slug


def check_new_product(p: NewProduct) -> NewProduct:
    if not 1 <= len(p.title.strip()) <= 200:
        raise Invalid("title must be 1 to 200 characters")
    if not 1 <= p.price_idr <= MAX_PRICE_IDR:
        raise Invalid(f"price_idr must be a whole number of rupiah from 1 to {MAX_PRICE_IDR}")
    if p.stock < 0:
        raise Invalid("stock cannot be negative")
    if p.image_url is not None and not p.image_url.startswith(("https://", "http://", "/")):
        raise Invalid("image_url must be an http(s) URL or a path on this shop")
    return p


def apply_change(product: Product, change: ProductChange) -> NewProduct:
    """The product as it will be after the change, checked by the same rules as a new one."""
    return check_new_product(
        NewProduct(
            title=product.title if change.title is None else change.title,
            description=product.description if change.description is None else change.description,
            price_idr=product.price_idr if change.price_idr is None else change.price_idr,
            stock=product.stock if change.stock is None else change.stock,
            category=product.category,
            image_url=product.image_url,
        )
    )


def check_handoff_target(product: Product, claimed_merchant: int) -> None:
    if product.merchant.id != claimed_merchant:
        raise HandoffRefused(
            "merchant_mismatch",
            f"the link names merchant {claimed_merchant}, but product {product.id} "
            f"is sold by merchant {product.merchant.id}",
        )

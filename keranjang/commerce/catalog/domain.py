"""TODO docstring."""

import enum
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from keranjang.commerce.errors import Invalid
from keranjang.evidence import positive_list


class MerchantKind(enum.StrEnum):
    LOCAL = "local"
    FOREIGN = "foreign"


SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$")
MAX_PRICE_IDR = 1_000_000_000_000
COUNTRY = re.compile(r"^[A-Z]{2}$")
HS_CODE = re.compile(r"^[0-9]{6,10}$")  # after dots are removed
STANDARD_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .:/-]{1,62}[A-Za-z0-9]$")
MAX_FOB_USD_CENTS = 100_000_000_00
MAX_COMMISSION_BP = 5_000  # a creator earns at most half of a line
MIN_CROSS_BORDER_FOB_USD_CENTS = 100_00  # US$100 FOB a unit (Pasal 19)


@dataclass(frozen=True)
class Merchant:
    id: int
    slug: str
    name: str
    kind: MerchantKind
    city: str
    # False while the migration moves the shop from the app (bind to cutover) or back to it.
    selling: bool = True


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
    hs_code: str | None = None
    origin_country: str = "ID"
    cross_border: bool = False
    fob_usd_cents: int | None = None
    npb_number: str | None = None
    sni_number: str | None = None
    halal_number: str | None = None
    commission_bp: int = 0

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class NewProduct:
    """A listing as a seller submits it. Cross-border listings (sold directly from abroad) carry
    what Permendag 31/2023 asks: HS code, origin, FOB price in US cents (Pasal 19) and the
    standards numbers a buyer must see (NPB, SNI, halal; Pasal 11)."""

    title: str
    description: str
    price_idr: int
    stock: int
    category: str
    image_url: str | None = None
    hs_code: str | None = None
    origin_country: str = "ID"
    cross_border: bool = False
    fob_usd_cents: int | None = None
    npb_number: str | None = None
    sni_number: str | None = None
    halal_number: str | None = None
    # What a creator earns on this product when a buyer came through their yellow cart, in
    # basis points of the line (100 = 1%).
    commission_bp: int = 0


@dataclass(frozen=True)
class ProductChange:
    """A seller's edit of a product; None leaves a field as it is. Optional fields named in
    `cleared` are removed (optional text fields are also cleared with an empty string)."""

    title: str | None = None
    description: str | None = None
    price_idr: int | None = None
    stock: int | None = None
    category: str | None = None
    image_url: str | None = None
    hs_code: str | None = None
    origin_country: str | None = None
    cross_border: bool | None = None
    fob_usd_cents: int | None = None
    npb_number: str | None = None
    sni_number: str | None = None
    halal_number: str | None = None
    commission_bp: int | None = None
    cleared: frozenset[str] = frozenset()


# What a seller may remove from a listing.
CLEARABLE = frozenset(
    {"image_url", "hs_code", "fob_usd_cents", "npb_number", "sni_number", "halal_number"}
)


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
            "slug must be 3 to 50 lower-case letters, digits or '-', not starting or ending with '-'",
            code="slug_format",
            params={"field": "slug"},
        )
    return slug


def check_new_product(p: NewProduct) -> NewProduct:
    """The listing, normalised (trimmed text, empty optional text as None, upper-case country),
    or `Invalid` naming the first field to fix."""
    p = _normalised(p)
    if not 1 <= len(p.title) <= 200:
        raise Invalid(
            "title must be 1 to 200 characters",
            code="length",
            params={"field": "title", "min": 1, "max": 200},
        )
    if not 1 <= p.price_idr <= MAX_PRICE_IDR:
        raise Invalid(
            f"price_idr must be a whole number of rupiah from 1 to {MAX_PRICE_IDR}",
            code="price_range",
            params={"field": "price_idr", "max": MAX_PRICE_IDR},
        )
    if p.stock < 0:
        raise Invalid("stock cannot be negative", code="negative", params={"field": "stock"})
    if p.image_url is not None and not p.image_url.startswith(("https://", "http://", "/")):
        raise Invalid(
            "image_url must be an http(s) URL or a path on this shop",
            code="image_url",
            params={"field": "image_url"},
        )
    _check_origin_and_codes(p)
    if not 0 <= p.commission_bp <= MAX_COMMISSION_BP:
        raise Invalid(
            f"commission_bp must be from 0 to {MAX_COMMISSION_BP} basis points "
            "(100 = 1% of the line, paid to the creator who brought the buyer)",
            code="commission_range",
            params={"field": "commission_bp", "max": MAX_COMMISSION_BP // 100},
        )
    if p.cross_border:
        _check_cross_border(p)
    return p


def _normalised(p: NewProduct) -> NewProduct:
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


def _check_origin_and_codes(p: NewProduct) -> None:
    if not COUNTRY.match(p.origin_country):
        raise Invalid(
            "origin_country must be an ISO 3166 two-letter country code, like ID or CN",
            code="country_code",
            params={"field": "origin_country"},
        )
    if p.hs_code is not None and not HS_CODE.match(p.hs_code):
        raise Invalid(
            "hs_code must be 6 to 10 digits (dots allowed), like 6205.20.00",
            code="hs_code",
            params={"field": "hs_code"},
        )
    if p.fob_usd_cents is not None and not 1 <= p.fob_usd_cents <= MAX_FOB_USD_CENTS:
        raise Invalid(
            f"fob_usd_cents must be a whole number of US cents from 1 to {MAX_FOB_USD_CENTS}",
            code="fob_range",
            params={"field": "fob_usd_cents", "max": MAX_FOB_USD_CENTS // 100},
        )
    for name in ("npb_number", "sni_number", "halal_number"):
        value = getattr(p, name)
        if value is not None and not STANDARD_NUMBER.match(value):
            raise Invalid(
                f"{name} must be 3 to 64 letters, digits, spaces or . : / -",
                code="standard_number",
                params={"field": name},
            )


def _check_cross_border(p: NewProduct) -> None:
    """Pasal 19: goods sold directly from abroad name their HS code, origin and FOB price, which
    is at least US$100 a unit unless the HS code is on the positive list; Pasal 11: they show
    their standards proof (the NPB number)."""
    if p.origin_country == "ID":
        raise Invalid(
            "origin_country must be the country the goods ship from: "
            "a cross-border product does not ship from ID",
            code="cross_border_from_id",
            params={"field": "origin_country"},
        )
    if p.hs_code is None:
        raise Invalid(
            "hs_code is required for a cross-border product",
            code="cross_border_needs",
            params={"field": "hs_code"},
        )
    if p.fob_usd_cents is None:
        raise Invalid(
            "fob_usd_cents (the FOB price in US cents) is required for a cross-border product",
            code="cross_border_needs",
            params={"field": "fob_usd_cents"},
        )
    if p.fob_usd_cents < MIN_CROSS_BORDER_FOB_USD_CENTS and not on_positive_list(p.hs_code):
        raise Invalid(
            "fob_usd_cents must be at least 10000 (US$100 FOB a unit) for goods sold directly "
            "from abroad (Permendag 31/2023 Pasal 19), unless the HS code is on the positive list",
            code="fob_below_floor",
            params={"field": "fob_usd_cents"},
        )
    if p.npb_number is None:
        raise Invalid(
            "npb_number is required for a cross-border product (Pasal 11)",
            code="cross_border_needs",
            params={"field": "npb_number"},
        )


def on_positive_list(hs_code: str) -> bool:
    """Whether an HS code is on the cross-border positive list (Kepmendag 1998/2023), read from
    the one data file the regulator's monitor reads too (`keranjang/evidence/positive_list.json`)."""
    return positive_list.on_positive_list(hs_code)


def apply_change(product: Product, change: ProductChange) -> NewProduct:
    """The product as it will be after the change, checked by the same rules as a new one."""
    if change.cleared - CLEARABLE:
        name = sorted(change.cleared - CLEARABLE)[0]
        raise Invalid(
            f"{name} cannot be removed, only changed", code="required", params={"field": name}
        )
    current = NewProduct(**{f.name: getattr(product, f.name) for f in fields(NewProduct)})
    edits: dict[str, Any] = {
        k: v for k, v in asdict(change).items() if v is not None and k != "cleared"
    }
    edits.update(dict.fromkeys(change.cleared))
    return check_new_product(replace(current, **edits))


@dataclass(frozen=True)
class Application:
    """A foreign merchant's registration as kept: what was submitted, what is still missing, and
    the shop it opened once complete."""

    id: int
    slug: str
    name: str
    kind: str
    submitted: dict[str, str | None]
    missing: list[str]
    merchant_id: int | None

"""What a legacy seller registers and lists, as rules in plain Python: the registration facts
commerce keeps for a merchant (Pasal 5), listings with every field commerce's have (Pasal 11 and
19 included), and the payout account. The old app checked formats only; `missing_registration`
and `cross_border_gaps` name what commerce would ask for or refuse."""

import re
from dataclasses import dataclass, replace

from keranjang.social.legacy_shop.domain import Invalid, SellerKind

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
HS_CODE = re.compile(r"^[0-9]{6,10}$")
STANDARD_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .:/-]{1,62}[A-Za-z0-9]$")
BANK_CODE = re.compile(r"^[a-z]{3,10}$")
ACCOUNT_NUMBER = re.compile(r"^[0-9]{6,20}$")
MAX_PRICE_IDR = 1_000_000_000_000
MAX_FOB_USD_CENTS = 100_000_000_00
MAX_COMMISSION_BP = 5_000
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
            "slug must be 3 to 50 lower-case letters, digits or '-', not starting or ending with '-'",
            "slug_format",
            field="slug",
        )
    if not r.name.strip():
        raise Invalid("name must not be empty", "field_required", field="name")
    country = (r.origin_country or "").strip().upper() or None
    if country is not None and not COUNTRY.match(country):
        raise Invalid(
            "origin_country must be an ISO 3166 two-letter country code, like CN",
            "country_format",
            field="origin_country",
        )
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
        raise Invalid(
            "title must be 1 to 200 characters", "field_length", field="title", low=1, high=200
        )
    _check_range("price_idr", p.price_idr, 1, MAX_PRICE_IDR)
    _check_range("stock", p.stock, 0, 10_000_000)
    if p.image_url is not None and not p.image_url.startswith(("https://", "http://", "/")):
        raise Invalid(
            "image_url must be an http(s) URL or a path on this site",
            "url_format",
            field="image_url",
        )
    if not COUNTRY.match(p.origin_country):
        raise Invalid(
            "origin_country must be an ISO 3166 two-letter country code, like ID or CN",
            "country_format",
            field="origin_country",
        )
    if p.hs_code is not None and not HS_CODE.match(p.hs_code):
        raise Invalid(
            "hs_code must be 6 to 10 digits (dots allowed), like 6205.20.00",
            "hs_code_format",
            field="hs_code",
        )
    _check_range("fob_usd_cents", p.fob_usd_cents, 1, MAX_FOB_USD_CENTS)
    for name in ("npb_number", "sni_number", "halal_number"):
        value = getattr(p, name)
        if value is not None and not STANDARD_NUMBER.match(value):
            raise Invalid(
                f"{name} must be 3 to 64 letters, digits, spaces or . : / -",
                "standard_number_format",
                field=name,
            )
    _check_range("commission_bp", p.commission_bp, 0, MAX_COMMISSION_BP)
    return p


def _check_range(field: str, value: int | None, low: int, high: int) -> None:
    """A whole number within bounds (price in rupiah, stock in units, FOB in US cents,
    commission in basis points, 100 = 1%); None is a field left out."""
    if value is not None and not low <= value <= high:
        raise Invalid(
            f"{field} must be a whole number from {low} to {high}",
            "number_range",
            field=field,
            low=low,
            high=high,
        )


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
class PayoutAccount:
    bank_code: str
    account_number: str
    holder_name: str


def check_payout_account(a: PayoutAccount) -> PayoutAccount:
    a = PayoutAccount(a.bank_code.strip().lower(), a.account_number.strip(), a.holder_name.strip())
    if not BANK_CODE.match(a.bank_code):
        raise Invalid(
            "bank_code must be 3 to 10 letters, like bca or mandiri",
            "bank_code_format",
            field="bank_code",
        )
    if not ACCOUNT_NUMBER.match(a.account_number):
        raise Invalid(
            "account_number must be 6 to 20 digits", "account_number_format", field="account_number"
        )
    if not 1 <= len(a.holder_name) <= 120:
        raise Invalid(
            "holder_name must be 1 to 120 characters",
            "field_length",
            field="holder_name",
            low=1,
            high=120,
        )
    return a

"""What commerce sells and who sells it: Pasal 19 (cross-border floor and the positive list),
Pasal 5 (foreign merchants' registration), Pasal 11 (proof of standards shown) and Pasal 21(2)
(the platform is not a producer)."""

from collections.abc import Callable
from fractions import Fraction

from keranjang.evidence.commerce import CommerceEvidence, CrossBorderListing
from keranjang.oversight.rules.base import (
    Gathered,
    Outcome,
    Params,
    Rule,
    Severity,
    Status,
    verdict,
)

REGIME = "id-permendag-31-2023"


def hs8(code: str) -> str:
    """An HS code as its eight digits (dots dropped; a 10-digit code read by its first 8)."""
    return code.replace(".", "").strip()[:8]


def usd_cents(listing: CrossBorderListing, params: Params) -> Fraction | None:
    """The FOB price in US cents at the official rate, or None for a currency with no rate."""
    if listing.currency.upper() == "USD":
        return Fraction(listing.fob_minor)
    rate = params.usd_cents_per_minor.get(listing.currency.upper())
    return None if rate is None else Fraction(listing.fob_minor) * Fraction(*rate)


def below_floor(listing: CrossBorderListing, params: Params) -> str | None:
    if hs8(listing.hs_code) in params.positive_list:
        return None
    cents = usd_cents(listing, params)
    where = f"listing {listing.listing_id} (merchant {listing.merchant_id}, HS {listing.hs_code})"
    if cents is None:
        return f"{where}: no official rate for {listing.currency}"
    if cents < params.floor_usd_cents:
        return (
            f"{where}: FOB US${float(cents) / 100:,.2f} a unit, below "
            f"US${params.floor_usd_cents / 100:,.2f}, not on the positive list"
        )
    return None


def cross_border_floor(evidence: Gathered, params: Params) -> Outcome:
    commerce = evidence.commerce
    assert isinstance(commerce, CommerceEvidence)
    found = [f for f in (below_floor(x, params) for x in commerce.cross_border.listings) if f]
    outcome = verdict(
        "commerce",
        found,
        "every cross-border listing is at least the floor or on the positive list",
        "cross-border listings below the floor",
    )
    if outcome.status is Status.PASS and commerce.cross_border.truncated:
        return Outcome(Status.INSUFFICIENT_DATA, "commerce", "the listing sample was cut short")
    return outcome


def foreign_registration(evidence: Gathered, params: Params) -> Outcome:
    commerce = evidence.commerce
    assert isinstance(commerce, CommerceEvidence)
    found = []
    for m in commerce.foreign_merchants.merchants:
        lacking = [d for d in params.foreign_documents if d not in m.documents]
        if lacking:
            found.append(f"foreign merchant {m.merchant_id} lacks {', '.join(lacking)}")
    outcome = verdict(
        "commerce",
        found,
        "every foreign merchant registered with every document the article lists",
        "foreign merchants registered incompletely",
    )
    if outcome.status is Status.PASS and commerce.foreign_merchants.truncated:
        return Outcome(Status.INSUFFICIENT_DATA, "commerce", "the merchant sample was cut short")
    return outcome


def standards_shown(evidence: Gathered, params: Params) -> Outcome:
    commerce = evidence.commerce
    assert isinstance(commerce, CommerceEvidence)
    found = [
        f"listing {g.listing_id} (merchant {g.merchant_id}) does not show "
        f"{', '.join(sorted(set(g.required) - set(g.shown)))}"
        for g in commerce.standards.missing
        if set(g.required) - set(g.shown)
    ]
    if not found and not commerce.standards.requiring:
        return Outcome(Status.NOT_APPLICABLE, "commerce", "no listing needs a standards number")
    return verdict(
        "commerce",
        found,
        "every listing that needs a standards number (SNI/NPB) shows it",
        "listings without the standards proof they need",
    )


def not_a_producer(evidence: Gathered, params: Params) -> Outcome:
    commerce = evidence.commerce
    assert isinstance(commerce, CommerceEvidence)
    producer, found = commerce.producer, []
    if producer.listings_by_platform:
        operated = ", ".join(map(str, producer.platform_operated_merchants)) or "-"
        found.append(
            f"{producer.listings_by_platform} listings by merchants the platform operates "
            f"({operated})"
        )
    return verdict(
        "commerce",
        found,
        "no listing by a merchant the platform operates",
        "the platform sells as a producer",
    )


def _rule(
    key: str, article: str, texts: tuple[str, str], check: Callable[[Gathered, Params], Outcome]
) -> Rule:
    return Rule(
        id=key,
        version=1,
        article=article,
        regime=REGIME,
        text_id=texts[0],
        text_en=texts[1],
        reads=("commerce",),
        severity=Severity.MAJOR,
        check=check,
        subject="commerce",
    )


RULES = (
    _rule(
        "pasal-19.cross-border-floor",
        "Permendag 31/2023 Pasal 19 ayat (2); Kepmendag 1998/2023",
        (
            "Barang jadi asal luar negeri yang dijual langsung lintas negara paling sedikit "
            "FOB US$100 per unit, kecuali barang dalam daftar positif.",
            "Finished goods sold directly from abroad cost at least US$100 FOB per unit, "
            "except goods on the positive list.",
        ),
        cross_border_floor,
    ),
    _rule(
        "pasal-5.foreign-merchant-registration",
        "Permendag 31/2023 Pasal 5",
        (
            "Pedagang luar negeri wajib menyampaikan identitas, bukti legalitas usaha yang "
            "dilegalisasi, bukti SNI dan halal, deskripsi berbahasa Indonesia, dan asal pengiriman.",
            "A foreign merchant registers with identity, legalised proof of business legality, "
            "SNI and halal proof, an Indonesian-language description and the shipping origin.",
        ),
        foreign_registration,
    ),
    _rule(
        "pasal-11.standards-proof-shown",
        "Permendag 31/2023 Pasal 11",
        (
            "Pedagang mencantumkan bukti pemenuhan standar (nomor NPB atau SNI) yang diwajibkan.",
            "Merchants show the proof of standards (NPB or SNI number) where it is required.",
        ),
        standards_shown,
    ),
    _rule(
        "pasal-21-2.platform-not-producer",
        "Permendag 31/2023 Pasal 21 ayat (2)",
        (
            "PPMSE dilarang bertindak sebagai produsen atas barang yang diperdagangkannya.",
            "The platform may not act as a producer of the goods sold on it.",
        ),
        not_a_producer,
    ),
)

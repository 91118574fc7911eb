"""The catalog's figures for the regulator's evidence: cross-border listings (Pasal 19: the
monitor applies the floor and the positive list), listings that must show a standards number
and do not (Pasal 11), foreign merchants and the Pasal 5 documents on file for each, and
merchants the platform operates (Pasal 21(2)). Listings and merchants, never a buyer."""

import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keranjang.commerce.catalog import db
from keranjang.commerce.catalog.domain import MerchantKind, missing_for_foreign

# Pasal 5's documents by the name the evidence gives them, and the registration fields each
# needs (FOREIGN_REQUIREMENTS).
DOCUMENTS: dict[str, tuple[str, ...]] = {
    "identity": ("owner_name", "identity_document"),
    "business_legality": ("business_legality_document",),
    "legalisation": ("legalisation_reference",),
    "standards_proof": ("sni_certificate",),
    "halal_proof": ("halal_certificate",),
    "description_id": ("description_id",),
    "shipping_origin": ("origin_country", "origin_city"),
}


@dataclass(frozen=True)
class CrossBorderListing:
    listing_id: int
    merchant_id: int
    hs_code: str | None
    fob_usd_cents: int | None


@dataclass(frozen=True)
class StandardsGap:
    listing_id: int
    merchant_id: int
    required: tuple[str, ...]
    shown: tuple[str, ...]


@dataclass(frozen=True)
class ForeignMerchant:
    merchant_id: int
    documents: tuple[str, ...]


def cross_border(s: Session, limit: int) -> tuple[int, list[CrossBorderListing]]:
    p = db.ProductRow
    total = s.scalar(select(func.count(p.id)).where(p.cross_border.is_(True))) or 0
    query = (
        select(p.id, p.merchant_id, p.hs_code, p.fob_usd_cents)
        .where(p.cross_border.is_(True))
        .order_by(p.id)
        .limit(limit)
    )
    return int(total), [CrossBorderListing(*row) for row in s.execute(query)]


def standards_gaps(s: Session, limit: int) -> tuple[int, list[StandardsGap]]:
    """A cross-border listing must show its NPB number (Pasal 11); the others need none here."""
    p = db.ProductRow
    requiring = s.scalar(select(func.count(p.id)).where(p.cross_border.is_(True))) or 0
    query = (
        select(p.id, p.merchant_id, p.npb_number, p.sni_number, p.halal_number)
        .where(p.cross_border.is_(True), func.coalesce(func.trim(p.npb_number), "") == "")
        .order_by(p.id)
        .limit(limit)
    )
    gaps = [
        StandardsGap(pid, mid, ("NPB",), _shown(npb, sni, halal))
        for pid, mid, npb, sni, halal in s.execute(query)
    ]
    return int(requiring), gaps


def _shown(npb: str | None, sni: str | None, halal: str | None) -> tuple[str, ...]:
    pairs = (("NPB", npb), ("SNI", sni), ("halal", halal))
    return tuple(name for name, value in pairs if (value or "").strip())


def foreign_merchants(s: Session, limit: int) -> tuple[int, list[ForeignMerchant]]:
    """Each foreign merchant with the documents its kept registration holds, checked by the
    rules of today (a merchant with no registration on file holds none)."""
    m, a = db.MerchantRow, db.MerchantApplicationRow
    foreign = m.kind == MerchantKind.FOREIGN.value
    total = s.scalar(select(func.count(m.id)).where(foreign)) or 0
    query = (
        select(m.id, a.submitted)
        .outerjoin(a, a.merchant_id == m.id)
        .where(foreign)
        .order_by(m.id)
        .limit(limit)
    )
    found = [ForeignMerchant(mid, _documents(submitted)) for mid, submitted in s.execute(query)]
    return int(total), found


def _documents(submitted: str | None) -> tuple[str, ...]:
    if not submitted:
        return ()
    missing = set(missing_for_foreign(json.loads(submitted)))
    return tuple(name for name, needs in DOCUMENTS.items() if not missing.intersection(needs))


def incomplete_applications(s: Session) -> int:
    a = db.MerchantApplicationRow
    return int(s.scalar(select(func.count(a.id)).where(a.merchant_id.is_(None))) or 0)


def platform_operated(s: Session) -> tuple[list[int], int]:
    """Merchants the platform operates, and how many listings they have."""
    m, p = db.MerchantRow, db.ProductRow
    ids = list(s.scalars(select(m.id).where(m.platform_operated.is_(True)).order_by(m.id)))
    listings = s.scalar(
        select(func.count(p.id)).join(m, m.id == p.merchant_id).where(m.platform_operated.is_(True))
    )
    return ids, int(listings or 0)

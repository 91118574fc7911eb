"""Commerce's read-only evidence for the regulator: `GET /evidence/commerce` (the regulator's
token; none 401, another 403), answered in keranjang.evidence.commerce's shape from the
features' figures (catalog, attribution, money), read in one session."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from keranjang.commerce.attribution import evidence as attribution_figures
from keranjang.commerce.bootstrap import Commerce
from keranjang.commerce.catalog import evidence as catalog_figures
from keranjang.commerce.errors import NotPermitted, Unauthenticated
from keranjang.commerce.money import evidence as money_figures
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.errors import ApiRoute
from keranjang.commerce.web.sessions import signing_secret
from keranjang.evidence import serving
from keranjang.evidence.commerce import (
    CommerceEvidence,
    CommerceInvoices,
    CrossBorder,
    CrossBorderListing,
    ForeignMerchant,
    ForeignMerchants,
    Producer,
    ReceivedHandoffs,
    SocialIdentifiers,
    StandardsGap,
    StandardsProof,
)
from keranjang.evidence.shared import StatusFigure, SystemIdentity
from keranjang.evidence.web import Window
from keranjang.infra.auth import bearer
from keranjang.infra.database import session_factory

MAX_LISTINGS = 10_000
MAX_GAPS = 1_000
router = APIRouter(prefix="/evidence", tags=["evidence"], route_class=ApiRoute)


def regulator(request: Request, token: Annotated[str | None, Depends(bearer)]) -> None:
    """The regulator's token, or 401 (none) / 403 (any other token)."""
    admission = serving.admit(token, request.app.state.regulator_token())
    if admission is serving.Admission.NO_TOKEN:
        raise Unauthenticated(
            "send the regulator's token as 'Authorization: Bearer …'", code="regulator_token_needed"
        )
    if admission is serving.Admission.NOT_REGULATOR:
        raise NotPermitted("evidence is for the regulator's token only", code="regulator_only")


@router.get(
    "/commerce",
    response_model=CommerceEvidence,
    dependencies=[Depends(regulator)],
    summary="Evidence of listings, foreign merchants, producers, identifiers and invoices",
)
def commerce_evidence(
    request: Request, window_seconds: Window = serving.DEFAULT_WINDOW_SECONDS
) -> CommerceEvidence:
    commerce = commerce_of(request)
    now = commerce.clock.now()
    start = now - timedelta(seconds=window_seconds)
    with session_factory(commerce.engine)() as s:
        listings = _listings(s)
        evidence = CommerceEvidence(
            observed_at=now,
            window_seconds=window_seconds,
            system=_identity(commerce),
            handoff=_handoffs(commerce, start),
            cross_border=listings[0],
            foreign_merchants=_foreign(s),
            standards=listings[1],
            producer=_producer(s),
            social_identifiers=_identifiers(s),
            invoices=_invoices(s, commerce, start),
            orders_by_status=_figures(money_figures.orders_by_status(s)),
            payments_by_status=_figures(money_figures.payments_by_status(s)),
        )
    return evidence


def _identity(commerce: Commerce) -> SystemIdentity:
    """Commerce signs nothing but its cookies: the one key it holds is their secret."""
    return SystemIdentity(
        service="commerce",
        database_id=serving.database_fingerprint(commerce.settings.resolved_database_url),
        key_ids=[serving.key_fingerprint(signing_secret(commerce.settings), "session")],
    )


def _handoffs(commerce: Commerce, start: datetime) -> ReceivedHandoffs:
    received = commerce.attribution.received.since(start)
    return ReceivedHandoffs(
        sampled=received.sampled,
        claim_sets=[list(names) for names in received.claim_sets],
        refused_by_reason=received.refused_by_reason,
    )


def _listings(s: Session) -> tuple[CrossBorder, StandardsProof]:
    total, found = catalog_figures.cross_border(s, MAX_LISTINGS)
    cross_border = CrossBorder(
        total=total,
        listings=[
            CrossBorderListing(
                listing_id=x.listing_id,
                merchant_id=x.merchant_id,
                hs_code=x.hs_code or "",
                fob_minor=x.fob_usd_cents or 0,
            )
            for x in found
        ],
        truncated=total > len(found),
    )
    requiring, gaps = catalog_figures.standards_gaps(s, MAX_GAPS)
    standards = StandardsProof(
        requiring=requiring,
        missing=[
            StandardsGap(
                listing_id=g.listing_id,
                merchant_id=g.merchant_id,
                required=list(g.required),
                shown=list(g.shown),
            )
            for g in gaps
        ],
        truncated=len(gaps) >= MAX_GAPS,
    )
    return cross_border, standards


def _foreign(s: Session) -> ForeignMerchants:
    total, found = catalog_figures.foreign_merchants(s, MAX_LISTINGS)
    return ForeignMerchants(
        total=total,
        merchants=[
            ForeignMerchant(merchant_id=m.merchant_id, documents=list(m.documents)) for m in found
        ],
        truncated=total > len(found),
        applications_incomplete=catalog_figures.incomplete_applications(s),
    )


def _producer(s: Session) -> Producer:
    merchants, listings = catalog_figures.platform_operated(s)
    return Producer(platform_operated_merchants=merchants[:100], listings_by_platform=listings)


def _identifiers(s: Session) -> SocialIdentifiers:
    found = attribution_figures.social_columns(s.connection())
    return SocialIdentifiers(
        columns=list(found.columns),
        rows=found.rows,
        attribution_columns=list(found.attribution_columns),
    )


def _invoices(s: Session, commerce: Commerce, start: datetime) -> CommerceInvoices:
    """Invoice links are paths on commerce (`/orders/{id}/invoice`): its public host."""
    issued = money_figures.invoices(s, start)
    hosts = [serving.host_of(commerce.settings.public_url)] if issued.issued_total else []
    return CommerceInvoices(
        issued_in_window=issued.issued_in_window,
        link_hosts=hosts,
        issued_total=issued.issued_total,
    )


def _figures(found: tuple[money_figures.ByStatus, ...]) -> list[StatusFigure]:
    return [StatusFigure(status=f.status, count=f.count, sum_idr=f.sum_idr) for f in found]

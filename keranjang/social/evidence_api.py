"""Social's read-only evidence for the regulator: `GET /evidence/social` (the regulator's token;
none 401, another 403). Counts, sums, flags and claim names (keranjang.evidence.social), read in
one session: what the legacy in-app shop still takes, where buyer data sits, the hand-off claims
social signed, and the invoice links it shows. Mounted by social's app composition, which is
why it may read the legacy shop's tables."""

import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, column, func, inspect, select, table
from sqlalchemy.orm import Session

from keranjang.evidence import serving
from keranjang.evidence.shared import HandoffSample, InvoiceLinks, StatusFigure, SystemIdentity
from keranjang.evidence.social import (
    BuyerData,
    Latency,
    LegacyShopActivity,
    MerchantBuyerData,
    SocialEvidence,
)
from keranjang.evidence.social import Personalisation as PersonalisationFigures
from keranjang.evidence.web import Window, regulator
from keranjang.infra import secret_files
from keranjang.infra.database import session_factory
from keranjang.infra.observability import RouteTimes
from keranjang.social import db as promotion
from keranjang.social.config import SocialSettings
from keranjang.social.legacy_shop import evidence as shop_evidence
from keranjang.social.legacy_shop import regulator_figures as figures
from keranjang.social.service import SocialService
from keranjang.social.viewers.personalisation import Personalisation

SERVICE = "social"
# Promotion's tables: none may hold buyer data (DESIGN.md section 2, line 1).
PROMOTION_TABLES = tuple(
    model.__tablename__
    for model in (
        promotion.CreatorRow,
        promotion.ContentRow,
        promotion.CatalogCacheRow,
        promotion.LegacyCatalogCacheRow,
        promotion.MerchantRouteRow,
        promotion.ProductMapRow,
        promotion.PinRow,
    )
)
BUYER_WORDS = ("email", "phone", "address", "recipient", "viewer", "buyer")
INVOICE_LINK = re.compile(r"""href=["'][^"']*(?:invoice|faktur)""", re.IGNORECASE)
TEMPLATE_FOLDERS = (
    Path(promotion.__file__).parent / "templates",
    Path(shop_evidence.__file__).parent / "templates",
)
router = APIRouter(prefix="/evidence", tags=["evidence"])


@router.get(
    "/social",
    response_model=SocialEvidence,
    dependencies=[Depends(regulator)],
    summary="Evidence of the legacy shop, buyer data, hand-off claims and invoice links",
)
def social_evidence(
    request: Request, window_seconds: Window = serving.DEFAULT_WINDOW_SECONDS
) -> SocialEvidence:
    service: SocialService = request.app.state.service
    settings: SocialSettings = request.app.state.settings
    now = service.clock.now()
    start = now - timedelta(seconds=window_seconds)
    sessions = session_factory(request.app.state.engine)
    with sessions() as s:
        shop = _shop(s, start, enabled=request.app.state.legacy_shop is not None)
        buyer_data = _buyer_data(s)
    buyer_data.rows_by_table = shop_evidence.buyer_data_counts(sessions).by_table
    sample = service.issued_claims.since(start)
    return SocialEvidence(
        observed_at=now,
        window_seconds=window_seconds,
        system=_identity(service, settings),
        legacy_shop=shop,
        buyer_data=buyer_data,
        handoff=HandoffSample(
            sampled=sample.sampled, claim_sets=[list(names) for names in sample.claim_sets]
        ),
        invoice_links=_invoice_links(settings),
        shop_tab_open=_shop_open(request.app.state.shop_times, start),
        personalisation=_personalisation(request.app.state.personalisation, start),
    )


def _personalisation(setting: Personalisation, start: datetime) -> PersonalisationFigures:
    feeds = setting.served.since(start)
    return PersonalisationFigures(
        opted_out_viewers=setting.opted_out_viewers(),
        personalised_after_opt_out=feeds.personalised_after_opt_out,
        feeds_personalised=feeds.personalised,
        feeds_chronological=feeds.chronological,
    )


def _shop_open(times: RouteTimes, start: datetime) -> Latency:
    """How long social took to answer the yellow-cart taps of the window (its way into the
    shop: a hand-off to commerce or the in-app shop's page), measured around the whole request
    by the metrics middleware."""
    timing = times.since(start)
    return Latency(samples=timing.samples, p95_ms=timing.p95_ms)


def _identity(service: SocialService, settings: SocialSettings) -> SystemIdentity:
    secret = settings.session_secret or secret_files.load_or_create(
        settings.resolved_session_secret_file
    )
    keys = [key.kid for key in service.published_keys]
    return SystemIdentity(
        service=SERVICE,
        database_id=serving.database_fingerprint(settings.resolved_database_url),
        key_ids=[*keys, serving.key_fingerprint(secret, "session")],
    )


def _shop(s: Session, start: datetime, *, enabled: bool) -> LegacyShopActivity:
    closed = figures.closed_at(s)
    took = figures.activity(s, max(start, closed) if closed else start)
    routes = figures.routing(s)
    return LegacyShopActivity(
        enabled=enabled,
        closed_at=closed,
        merchants_on_shop=routes.sellers_on_shop,
        orders_in_window=took.orders,
        sales_idr_in_window=took.sales_idr,
        payments_created_in_window=sum(p.count for p in took.payments),
        payment_notifications_in_window=sum(n.count for n in took.notifications),
        merchants_moved=routes.sellers_moved,
        sales_idr_on_shop=routes.sales_idr_on_shop,
        sales_idr_moved=routes.sales_idr_moved,
        payments_by_status=[_figure(p) for p in took.payments],
        notifications_by_status=[_figure(n) for n in took.notifications],
    )


def _figure(f: figures.ByStatus) -> StatusFigure:
    return StatusFigure(status=f.status, count=f.count, sum_idr=f.sum_idr)


def _buyer_data(s: Session) -> BuyerData:
    purges = figures.purges(s)
    left = [
        MerchantBuyerData(
            merchant_id=m.seller_id, emails=m.buyers, phones=m.orders, addresses=m.orders
        )
        for m in purges.left_behind
    ]
    return BuyerData(
        rows_outside_legacy_shop=_rows_in_buyer_columns(s.connection()),
        purged_merchants_with_buyer_data=left,
        purged_merchants=purges.purged,
    )


def _rows_in_buyer_columns(connection: Connection) -> int:
    """Rows of promotion's tables, as the database has them now, with a value in a column whose
    name says buyer data."""
    schema = inspect(connection)
    total = 0
    for name in PROMOTION_TABLES:
        for found in schema.get_columns(name):
            if any(word in found["name"].lower() for word in BUYER_WORDS):
                t = table(name, column(found["name"]))
                query = select(func.count()).select_from(t).where(t.c[0].is_not(None))
                total += connection.execute(query).scalar_one()
    return total


def _invoice_links(settings: SocialSettings) -> InvoiceLinks:
    """Social issues no invoice (it has no invoice table), so none in any window. The links it
    shows are those its pages' templates render: any pointing at an invoice would be on social
    itself."""
    hosts = [serving.host_of(settings.public_url)] if invoice_links_rendered() else []
    return InvoiceLinks(issued_in_window=0, link_hosts=hosts)


@cache
def invoice_links_rendered() -> int:
    """How many links in social's templates (promotion's and the legacy shop's) name an
    invoice."""
    found = 0
    for folder in TEMPLATE_FOLDERS:
        for page in sorted(folder.glob("*.html")):
            found += len(INVOICE_LINK.findall(page.read_text(encoding="utf-8")))
    return found

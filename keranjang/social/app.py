"""Composition of the social service: promotion, viewers and, unless switched off, the legacy
in-app shop. This is the only module that mounts the shop; promotion sees its products only
through the `LegacyCatalog` handed over here."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from keranjang.evidence.access import RegulatorReadsOnly
from keranjang.evidence.serving import TokenSource
from keranjang.handoff import SigningKey
from keranjang.infra import schema, secret_files
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.infra.error_pages import use_error_page
from keranjang.infra.runtime import PeriodicJob
from keranjang.infra.webapp import ServiceShell, service_app, wants_json
from keranjang.social import api, db, domain, error_words, evidence_api, pages
from keranjang.social.catalog import CatalogSource, HttpCatalog
from keranjang.social.config import SocialSettings
from keranjang.social.creators import api as creators_api
from keranjang.social.creators import pages as creators_pages
from keranjang.social.creators.figures import FiguresSource, HttpFigures
from keranjang.social.creators.payout_account import PayoutAccounts
from keranjang.social.creators.service import CreatorAccounts
from keranjang.social.i18n import coded_error_json, words_of
from keranjang.social.legacy_shop import api as shop_api
from keranjang.social.legacy_shop import pages_routers as shop_pages
from keranjang.social.legacy_shop import partner as shop_partner
from keranjang.social.legacy_shop import seller_api as shop_seller_api
from keranjang.social.legacy_shop.pages_render import render as shop_render
from keranjang.social.legacy_shop.service import LegacyShop, ShopRules, build
from keranjang.social.service import SocialService
from keranjang.social.viewers import api as viewers_api
from keranjang.social.viewers import pages as viewers_pages
from keranjang.social.viewers.cookies import SessionCookies
from keranjang.social.viewers.personalisation import Personalisation
from keranjang.social.viewers.service import ViewerService


def create_app(
    settings: SocialSettings | None = None,
    *,
    clock: Clock | None = None,
    catalog: CatalogSource | None = None,
    signing_key: SigningKey | None = None,
    figures: FiguresSource | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The legacy shop's payment partner is the simulator at `payments_url`, told to notify
    this service (tests replace `app.state.legacy_shop.paying.partner`)."""
    settings = settings or SocialSettings()
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(db.MIGRATIONS, engine)
    clock = clock or SystemClock()
    legacy = _legacy_shop(settings, engine, clock)
    service = SocialService(
        session_factory(engine),
        clock,
        catalog or HttpCatalog(settings.commerce_url),
        signing_key or SigningKey.load_or_create(settings.resolved_signing_key_file),
        settings.handoff_ttl_seconds,
    )
    service.legacy_catalog = None if legacy is None else legacy.catalog
    jobs = [
        PeriodicJob("refresh_catalog", settings.catalog_refresh_seconds, service.refresh_catalog)
    ]
    if legacy is not None:
        jobs.append(PeriodicJob("legacy_shop", settings.legacy_jobs_every_seconds, legacy.run_jobs))
    shell = ServiceShell(
        name="social",
        title="Keranjang social",
        description="Creators, content and product pins; viewers; and, until the migration "
        "empties it, the legacy in-app shop (the old combined app, payments included).",
        engine=engine,
        settings=settings,
        service=service,
        jobs=tuple(jobs),
    )
    app = service_app(shell, *ROUTERS, *_shop_routers(legacy, settings))
    figures = figures or HttpFigures(settings.commerce_url, settings.figures_token)
    _wire(app, settings, engine, clock)
    app.state.creator_accounts = CreatorAccounts(session_factory(engine), clock, figures)
    http = figures if isinstance(figures, HttpFigures) else None
    app.state.creator_payouts = PayoutAccounts(
        http or HttpFigures(settings.commerce_url, settings.figures_token)
    )
    app.state.legacy_shop = legacy
    return app


# Promotion's routers, viewers' and creators', and the regulator's evidence.
ROUTERS = (
    api.router,
    pages.router,
    viewers_api.router,
    viewers_pages.router,
    creators_api.router,
    creators_pages.router,
    evidence_api.router,
)


def _shop_routers(legacy: LegacyShop | None, settings: SocialSettings) -> tuple[APIRouter, ...]:
    """The shop's routes, or (switched off) the closed door naming commerce."""
    if legacy is None:
        return (shop_api.closed_router(settings.commerce_url),)
    return (shop_api.router, shop_seller_api.router, *shop_pages.ROUTERS)


def _wire(app: FastAPI, settings: SocialSettings, engine: Engine, clock: Clock) -> None:
    app.state.viewers = ViewerService(session_factory(engine), clock)
    app.state.personalisation = Personalisation(session_factory(engine), clock)
    # The yellow cart's taps, timed for the regulator's evidence (the Shop tab's opening).
    app.state.shop_times = app.state.metrics.watch(api.CART_ROUTE, clock.now)
    secret = settings.session_secret or secret_files.load_or_create(
        settings.resolved_session_secret_file
    )
    app.state.cookies = SessionCookies(secret)
    app.state.creator_cookies = SessionCookies(secret, salt=creators_pages.SALT)
    # The regulator's token reads evidence and writes nothing, on any route.
    app.state.regulator_token = TokenSource("social", settings.data_dir)
    app.add_middleware(RegulatorReadsOnly, token=app.state.regulator_token)
    _install_errors(app)


def _legacy_shop(settings: SocialSettings, engine: Engine, clock: Clock) -> LegacyShop | None:
    if not settings.legacy_shop:
        return None
    key = settings.payments_server_key or secret_files.load_or_create(
        settings.resolved_payments_server_key_file
    )
    partner = shop_partner.simulator(settings.payments_url, key, settings.legacy_notification_url)
    rules = ShopRules(
        shipping_idr=settings.legacy_shipping_idr,
        hold_minutes=settings.legacy_hold_minutes,
        platform_fee_bp=settings.legacy_platform_fee_bp,
        complete_after_days=settings.legacy_complete_after_days,
    )
    return build(session_factory(engine), clock, partner, rules)


def _error_page(request: Request, status: int, heading: str, message: str) -> Response:
    """An unknown address: in the in-app shop's frame under /legacy, else social's."""
    if request.url.path.startswith("/legacy/"):
        return shop_render(request, "error.html", status, heading=heading, message=message)
    return pages.error_page(request, status, heading, message)


def _install_errors(app: FastAPI) -> None:
    shop_api.install_errors(app)
    use_error_page(app, _error_page)

    @app.exception_handler(domain.SocialError)
    def social_error(request: Request, exc: domain.SocialError) -> Response:
        words = words_of(request)
        message = error_words.say(words, exc)
        if wants_json(request, "/api/", "/legacy/api/"):
            return coded_error_json(words, exc, message, str(exc), exc.status)
        heading = error_words.heading(words, exc.status)
        return pages.error_page(request, exc.status, heading, message)

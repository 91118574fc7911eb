"""Composition of the social service."""

from fastapi import FastAPI, Request
from fastapi.responses import Response

from keranjang.handoff import SigningKey
from keranjang.infra import schema
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.infra.http_errors import error_json
from keranjang.infra.runtime import PeriodicJob
from keranjang.infra.webapp import ServiceShell, service_app, wants_json
from keranjang.social import api, db, domain, pages
from keranjang.social.catalog import CatalogSource, HttpCatalog
from keranjang.social.config import SocialSettings
from keranjang.social.service import SocialService

HEADINGS = {404: "Not found", 401: "Sign-in needed", 403: "Not allowed", 503: "Try again soon"}


def create_app(
    settings: SocialSettings | None = None,
    *,
    clock: Clock | None = None,
    catalog: CatalogSource | None = None,
    signing_key: SigningKey | None = None,
    migrate: bool = True,
) -> FastAPI:
    settings = settings or SocialSettings()
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(db.MIGRATIONS, engine)
    service = SocialService(
        session_factory(engine),
        clock or SystemClock(),
        catalog or HttpCatalog(settings.commerce_url),
        signing_key or SigningKey.load_or_create(settings.resolved_signing_key_file),
        settings.handoff_ttl_seconds,
    )
    shell = ServiceShell(
        name="social",
        title="Keranjang social",
        description="Creators, content and product pins. Promotion only: no payments here.",
        engine=engine,
        settings=settings,
        service=service,
        jobs=(
            PeriodicJob(
                "refresh_catalog", settings.catalog_refresh_seconds, service.refresh_catalog
            ),
        ),
    )
    app = service_app(shell, api.router, pages.router)

    @app.exception_handler(domain.SocialError)
    def social_error(request: Request, exc: domain.SocialError) -> Response:
        if wants_json(request, "/api/"):
            return error_json(type(exc).__name__, str(exc), exc.status)
        heading = HEADINGS.get(exc.status, "Something is not right")
        return pages.error_page(request, exc.status, heading, str(exc))

    return app

"""Composition of the commerce service."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import text

from keranjang.commerce import api, db, domain, pages
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.issuer_keys import IssuerKeys
from keranjang.commerce.service import CommerceService, KeySource
from keranjang.infra import observability, runtime, schema
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.infra.http_errors import error_json


def create_app(
    settings: CommerceSettings | None = None,
    *,
    clock: Clock | None = None,
    keys: KeySource | None = None,
    migrate: bool = True,
) -> FastAPI:
    settings = settings or CommerceSettings()
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(db.MIGRATIONS, engine)
    service = CommerceService(
        session_factory(engine),
        clock or SystemClock(),
        keys or IssuerKeys(settings.social_jwks_url),
    )
    app = FastAPI(
        lifespan=runtime.lifespan,
        title="Keranjang commerce",
        version="0.1.0",
        description="The shop back-end: merchants, catalog, hand-off landing and attribution.",
    )
    app.state.settings = settings
    app.state.service = service
    app.state.engine = engine
    app.include_router(api.router)
    app.include_router(pages.router)

    def ready() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    observability.install(app, "commerce", ready)

    @app.exception_handler(domain.CommerceError)
    def commerce_error(request: Request, exc: domain.CommerceError) -> Response:
        if request.url.path.startswith(("/api/", "/catalog/", "/attribution/")) or (
            "text/html" not in request.headers.get("accept", "")
        ):
            extra = {"reason": exc.reason} if isinstance(exc, domain.HandoffRefused) else {}
            return error_json(type(exc).__name__, str(exc), exc.status, **extra)
        return pages.error_page(request, exc)

    return app

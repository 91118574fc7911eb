"""The web application shell every service shares: FastAPI with its state, the runtime tuning,
health and metrics, and the edges every service keeps the same way: request bodies limited
(`max_body_bytes`, 413 before the body is read whole), 422s that never echo a large input,
log-ins throttled (429 with `Retry-After`) and security headers on every page. Each service's
`app.py` adds its routers and maps its own errors."""

import html
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine, text

from keranjang import __version__
from keranjang.infra import api_docs, error_pages, observability, runtime
from keranjang.infra.headers import SecurityHeaders, page_headers
from keranjang.infra.http_errors import error_json
from keranjang.infra.leadership import JobLeader
from keranjang.infra.throttle import LoginThrottle, TooManyAttempts

MAX_BODY_BYTES = 1024 * 1024  # a service whose settings do not say
API_PREFIXES = ("/api/", "/legacy/api/")


@dataclass(frozen=True)
class ServiceShell:
    name: str
    title: str
    description: str
    engine: Engine
    settings: object
    service: object
    jobs: tuple[runtime.PeriodicJob, ...] = ()
    own_docs: bool = False  # the service serves /docs and the favicon itself (the monitor)


def service_app(shell: ServiceShell, *routers: APIRouter) -> FastAPI:
    settings = shell.settings
    app = FastAPI(
        title=shell.title,
        version=__version__,
        description=shell.description,
        lifespan=runtime.lifespan(shell.jobs, JobLeader(shell.engine, shell.name)),
        max_body_size=getattr(settings, "max_body_bytes", MAX_BODY_BYTES),
    )
    app.state.settings = settings
    app.state.service = shell.service
    app.state.engine = shell.engine
    for router in routers:
        app.include_router(router)
    if not shell.own_docs:
        api_docs.install(app)  # /docs offline, /redoc, the favicon

    def ping() -> None:
        with shell.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def ready() -> None:
        # The same rule as every database-touching endpoint (runtime.call_blocking).
        await runtime.call_blocking(shell.engine.dialect.name, ping)

    app.state.metrics = observability.install(app, shell.name, ready)
    install_edges(app, settings)
    return app


def install_edges(app: FastAPI, settings: object) -> None:
    """The 422 that cuts inputs short (a page for a browser's malformed address), unknown
    addresses, the log-in throttle and its 429, the pages' headers."""
    error_pages.install(app)  # unknown addresses and malformed ones: a page or the JSON shape
    app.state.throttle = LoginThrottle(
        getattr(settings, "login_failures_per_account", "10/minute"),
        getattr(settings, "login_failures_per_address", "30/minute"),
    )
    app.add_exception_handler(TooManyAttempts, too_many_attempts)
    app.add_middleware(SecurityHeaders, headers=page_headers(getattr(settings, "public_url", "")))


async def too_many_attempts(request: Request, exc: Exception) -> Response:
    """429 with `Retry-After`: in English for the API, a page in Indonesian for a browser."""
    assert isinstance(exc, TooManyAttempts)
    headers = {"Retry-After": str(exc.retry_after)}
    if wants_json(request, *API_PREFIXES):
        response: Response = error_json("TooManyAttempts", str(exc), 429)
        response.headers.update(headers)
        return response
    back = html.escape(request.url.path, quote=True)
    page = TOO_MANY_PAGE.format(seconds=exc.retry_after, back=back)
    return HTMLResponse(page, status_code=429, headers=headers)


TOO_MANY_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Terlalu banyak percobaan masuk</title></head>
<body><main>
<h1>Terlalu banyak percobaan masuk</h1>
<p>Demi keamanan akun, percobaan masuk dihentikan sebentar. Coba lagi dalam
<strong data-testid="retry-after">{seconds}</strong> detik.</p>
<p><a href="{back}">Kembali ke halaman masuk</a></p>
</main></body></html>
"""


def wants_json(request: Request, *api_prefixes: str) -> bool:
    """API paths, and any client that did not ask for HTML, get JSON errors; browsers get pages."""
    return request.url.path.startswith(api_prefixes) or "text/html" not in request.headers.get(
        "accept", ""
    )

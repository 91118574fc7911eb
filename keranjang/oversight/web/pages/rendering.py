"""The dashboard's pages rendered from the templates, in the reader's language, and the route
class that turns a missing session into the sign-in page and a refusal into an error page."""

import base64
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from keranjang.infra.refusals import RefusingRoute
from keranjang.oversight.errors import OversightError, Unavailable
from keranjang.oversight.web.errors import API_REFUSALS
from keranjang.oversight.web.pages import formatting
from keranjang.oversight.web.pages.chart import legend, progress_svg
from keranjang.oversight.web.pages.i18n import CATALOG, Words
from keranjang.oversight.web.pages.session import SignInNeeded

log = structlog.get_logger(__name__)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
templates.env.auto_reload = False
templates.env.globals.update(
    wib=formatting.wib,
    percent=formatting.percent,
    countdown=formatting.countdown,
    label=formatting.label,
    STATUS=formatting.STATUS,
    STATUS_MARK=formatting.STATUS_MARK,
    OUTLOOK=formatting.OUTLOOK,
    SANCTION=formatting.SANCTION,
    CATEGORY=formatting.CATEGORY,
    progress_svg=progress_svg,
    legend=legend,
)
templates.env.filters["b64"] = lambda raw: base64.b64encode(raw).decode()


def words_of(request: Request) -> Words:
    return CATALOG.words_of(request)


def render(request: Request, name: str, status: int = 200, /, **context: object) -> HTMLResponse:
    """A page in the reader's language; `?lang=` is remembered for the next pages."""
    words = words_of(request)
    switch = CATALOG.switch_url(request, words)
    page = {"w": words, "_": words._, "lang": words.lang, "switch": switch, **context}
    response = templates.TemplateResponse(request, name, page, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    CATALOG.remember(request, response, words)
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status, status=status, message=message)


def sign_in_first(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/masuk?next={quote(target, safe='')}", status_code=303)


def page_refusal(request: Request, exc: OversightError, status: int) -> Response:
    return error_page(request, status, str(exc))


def database_away(request: Request, exc: Exception) -> OversightError:
    log.warning("database_unavailable", error=type(exc).__name__)
    return Unavailable(words_of(request)._("Basis data pemantau tidak dapat dihubungi; coba lagi."))


class PageRoute(RefusingRoute):
    """Every dashboard route: no session → sign in; a refusal → an error page with the status
    of oversight's one table; a database away → 503 with Retry-After."""

    refusals = replace(API_REFUSALS.rendered_by(page_refusal), from_library=database_away)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                return sign_in_first(request)

        return page_handler

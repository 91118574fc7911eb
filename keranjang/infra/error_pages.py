"""What a service answers for an address it does not have, a method it does not take there, or
a malformed address (an id that is not a number): a browser gets the service's own error page
(its frame, in Indonesian), any other client the one JSON shape (`http_errors.error_json`).
Never FastAPI's bare `{"detail": "Not Found"}` nor a raw validation list in a browser.

A service names its page with `use_error_page(app, page)`; without one, a plain page here."""

import html
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from keranjang.infra.http_errors import error_json, refused_input

# The page: (request, status, heading, message) -> a response in the service's frame.
ErrorPage = Callable[[Request, int, str, str], Response]
API_PREFIXES = ("/api/", "/legacy/api/", "/evidence/")
HEADINGS = {
    404: "Halaman tidak ditemukan",
    405: "Halaman ini tidak bisa dibuka dengan cara itu",
    422: "Alamat tidak sah",
}
DEFAULT_DETAILS = {"Not Found", "Method Not Allowed"}


def use_error_page(app: FastAPI, page: ErrorPage) -> None:
    app.state.error_page = page


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, unknown_address)
    app.add_exception_handler(RequestValidationError, malformed)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES) or "text/html" not in request.headers.get(
        "accept", ""
    )


def page_for(request: Request, status: int, message: str) -> Response:
    page: ErrorPage = getattr(request.app.state, "error_page", None) or plain_page
    return page(request, status, HEADINGS.get(status, "Ada masalah"), message)


async def unknown_address(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code not in (404, 405):
        return await http_exception_handler(request, exc)
    path = request.url.path
    response: Response
    if wants_json(request):
        kind = "NotFound" if exc.status_code == 404 else "MethodNotAllowed"
        detail = str(exc.detail)
        if detail in DEFAULT_DETAILS:
            detail = f"nothing answers {request.method} {path} here; see /docs for the API"
        response = error_json(kind, detail, exc.status_code)
    else:
        message = str(exc.detail)
        if message in DEFAULT_DETAILS:
            message = (
                f"Alamat {path} tidak ada di sini. Periksa alamatnya, atau mulai dari beranda."
            )
        response = page_for(request, exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def malformed(request: Request, exc: Exception) -> Response:
    """A browser that opened a malformed address (`/pay/%%%`, `/products/abc`) gets a page: a
    path that cannot be a page's is not found; a bad query value is named."""
    assert isinstance(exc, RequestValidationError)
    if wants_json(request) or request.method not in ("GET", "HEAD"):
        return await refused_input(request, exc)
    errors = exc.errors()
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        message = f"Alamat {request.url.path} tidak ada di sini. Periksa alamatnya."
        return page_for(request, 404, message)
    names = ", ".join(str(e["loc"][-1]) for e in errors if e.get("loc"))
    return page_for(request, 422, f"Isian di alamat ini tidak sah ({names}). Periksa alamatnya.")


def plain_page(request: Request, status: int, heading: str, message: str) -> Response:
    body = PLAIN.format(heading=html.escape(heading), message=html.escape(message))
    return HTMLResponse(body, status_code=status)


PLAIN = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title></head>
<body style="font-family:system-ui,sans-serif;margin:2rem auto;max-width:36rem;padding:0 1rem">
<main data-testid="error"><h1>{heading}</h1><p>{message}</p><p><a href="/">Ke beranda</a></p></main>
</body></html>
"""

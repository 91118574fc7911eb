"""The favicon and the API's documentation, both served by the monitor itself.

As every service does (`infra.api_docs`, whose `operations` it reads), the monitor serves `/docs`
as a page rendered on the server from its own OpenAPI document, readable offline and at phone
width, here in the monitor's own frame and language. `/redoc` leads there; `/openapi.json` stays
the machine-readable source."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.infra.api_docs import operations
from keranjang.oversight.web.pages.rendering import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CDN_DOCS = ("/docs", "/docs/oauth2-redirect", "/redoc")
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="14" fill="#0d5c2e"/>'
    '<path d="M14 34l12 12 24-26" fill="none" stroke="#fff" stroke-width="7" '
    'stroke-linecap="round" stroke-linejoin="round"/></svg>'
)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    ops = operations(schema, default_tag="monitor")
    return render(request, "docs.html", info=schema.get("info", {}), ops=ops)


@router.get("/redoc")
def redoc() -> Response:
    return RedirectResponse("/docs", status_code=308)


@router.get("/favicon.svg")
def favicon_svg() -> Response:
    return Response(FAVICON, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip


@router.get("/favicon.ico")
def favicon_ico() -> Response:
    return RedirectResponse("/favicon.svg", status_code=308)


def without_cdn_docs(app: FastAPI) -> None:
    """FastAPI's CDN-backed documentation routes removed (this router serves `/docs`)."""
    app.router.routes[:] = [
        r for r in app.router.routes if getattr(r, "path", None) not in CDN_DOCS
    ]
    app.docs_url = app.redoc_url = None

"""The favicon and the API's documentation, both served by the monitor itself.

FastAPI's `/docs` and `/redoc` load Swagger UI and ReDoc from a CDN, so without internet they are
blank, and no installed package ships their assets. The monitor turns them off and serves `/docs`
as a plain page rendered on the server from its own OpenAPI document: every operation with its
method, path, summary, parameters and responses, readable offline and at phone width. `/redoc`
leads there; `/openapi.json` stays the machine-readable source."""

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.oversight.web.pages.rendering import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CDN_DOCS = ("/docs", "/docs/oauth2-redirect", "/redoc")
METHODS = ("get", "head", "post", "put", "patch", "delete")
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="14" fill="#0d5c2e"/>'
    '<path d="M14 34l12 12 24-26" fill="none" stroke="#fff" stroke-width="7" '
    'stroke-linecap="round" stroke-linejoin="round"/></svg>'
)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[tuple[str, str, bool, str]]  # name, where, required, description
    responses: list[tuple[str, str]]
    tag: str


def operations(schema: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            parameters = [
                (p["name"], p["in"], bool(p.get("required")), p.get("description", ""))
                for p in op.get("parameters", [])
            ]
            responses = [(code, r.get("description", "")) for code, r in op["responses"].items()]
            tag = (op.get("tags") or ["monitor"])[0]
            found.append(Operation(method.upper(), path, op.get("summary", ""),
                                   op.get("description", ""), parameters, responses,
                                   tag))  # fmt: skip
    return sorted(found, key=lambda o: (o.tag, o.path, o.method))


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    return render(request, "docs.html", info=schema.get("info", {}), ops=operations(schema))


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

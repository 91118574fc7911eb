"""Every service's API documentation and favicon, served by the service itself.

FastAPI's `/docs` and `/redoc` load Swagger UI and ReDoc from a CDN, so without internet they are
blank, and no package on the registries this project uses ships their assets. As the regulator's
monitor does (`oversight.web.pages.assets`), each service turns them off and serves `/docs` as a
page rendered on the server from its own OpenAPI document: every operation with its method, path,
summary, parameters and responses, readable offline and at phone width, loading nothing from
anywhere. `/redoc` leads there; `/openapi.json` stays the machine-readable source."""

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, select_autoescape

CDN_DOCS = ("/docs", "/docs/oauth2-redirect", "/redoc")
METHODS = ("get", "head", "post", "put", "patch", "delete")
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="14" fill="#007a0c"/>'
    '<path d="M14 22h6l6 22h20l5-15H23" fill="none" stroke="#fff" stroke-width="5" '
    'stroke-linecap="round" stroke-linejoin="round"/>'
    '<circle cx="28" cy="52" r="4" fill="#fff"/><circle cx="44" cy="52" r="4" fill="#fff"/></svg>'
)
CACHED_A_DAY = {"Cache-Control": "public, max-age=86400"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[tuple[str, str, bool, str]]  # name, where, required, description
    responses: list[tuple[str, str]]
    tag: str
    body: str = ""  # the request body's schema and media type, if it takes one


def operations(schema: dict[str, Any], default_tag: str = "api") -> list[Operation]:
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                found.append(_operation(method, path, item[method], default_tag))
    return sorted(found, key=lambda o: (o.tag, o.path, o.method))


def _operation(method: str, path: str, op: dict[str, Any], default_tag: str) -> Operation:
    parameters = [
        (p["name"], p["in"], bool(p.get("required")), p.get("description", ""))
        for p in op.get("parameters", [])
    ]
    responses = [(code, r.get("description", "")) for code, r in op["responses"].items()]
    tag = (op.get("tags") or [default_tag])[0]
    summary, description = op.get("summary", ""), op.get("description", "")
    return Operation(
        method.upper(), path, summary, description, parameters, responses, tag, _body(op)
    )


def _body(op: dict[str, Any]) -> str:
    """`CheckoutIn (application/json)`: what a request sends, named by its schema."""
    for media, content in op.get("requestBody", {}).get("content", {}).items():
        ref = content.get("schema", {}).get("$ref", "")
        return f"{ref.rsplit('/', 1)[-1] or 'isi'} ({media})"
    return ""


_pages = Environment(autoescape=select_autoescape(default_for_string=True), auto_reload=False)
DOCS_PAGE = _pages.from_string("""<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>Dokumentasi API · {{ info.title }}</title>
<style>
  body { margin:0; font-family:system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#212121; background:#f3f4f5; overflow-wrap:anywhere; }
  main { max-width:960px; margin:0 auto; padding:1rem; }
  .operation { background:#fff; border-radius:10px; padding:.8rem 1rem; margin:.8rem 0; box-shadow:0 1px 4px #0000001a; }
  .operation h2 { font-size:1rem; margin:0 0 .3rem; }
  .method { display:inline-block; min-width:4.2rem; font-weight:800; color:#006209; }
  .muted { color:#5f6779; font-size:.88rem; }
  table { width:100%; border-collapse:collapse; font-size:.88rem; }
  th, td { text-align:left; padding:.3rem .4rem; border-bottom:1px solid #e5e7e9; vertical-align:top; }
  code { font-family:ui-monospace, monospace; }
</style></head>
<body><main>
<h1>Dokumentasi API</h1>
<p>{{ info.title }} {{ info.version }} — <span lang="en">{{ info.description }}</span></p>
<p class="muted">Dibuat di server dari dokumen OpenAPI layanan ini; tidak memuat apa pun dari internet. Dokumen lengkapnya: <a href="/openapi.json">openapi.json</a>.</p>
<p class="muted" data-testid="operation-count">{{ ops|length }} operasi</p>
{% for op in ops %}
<section class="operation" data-testid="operation" id="{{ op.method|lower }}-{{ op.path }}">
  <h2><span class="method">{{ op.method }}</span> <code>{{ op.path }}</code></h2>
  <p class="muted">{{ op.tag }}{% if op.summary %} · <span lang="en">{{ op.summary }}</span>{% endif %}</p>
  {% if op.description %}<p lang="en">{{ op.description }}</p>{% endif %}
  {% if op.body %}<p class="muted">Isi permintaan: <code>{{ op.body }}</code> (skemanya di openapi.json)</p>{% endif %}
  {% if op.parameters %}
  <table><thead><tr><th>Parameter</th><th>Letak</th><th>Wajib</th></tr></thead><tbody>
  {% for name, where, required, note in op.parameters %}
  <tr><td><code>{{ name }}</code>{% if note %}<div class="muted" lang="en">{{ note }}</div>{% endif %}</td><td>{{ where }}</td><td>{{ "ya" if required else "tidak" }}</td></tr>
  {% endfor %}</tbody></table>
  {% endif %}
  <p class="muted">Jawaban: {% for code, note in op.responses %}<code>{{ code }}</code> <span lang="en">{{ note }}</span>{% if not loop.last %}; {% endif %}{% endfor %}</p>
</section>
{% endfor %}
</main></body></html>
""")

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    html = DOCS_PAGE.render(info=schema.get("info", {}), ops=operations(schema))
    return HTMLResponse(html)


@router.get("/redoc")
def redoc() -> Response:
    return RedirectResponse("/docs", status_code=308)


@router.get("/favicon.svg")
def favicon_svg() -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers=CACHED_A_DAY)


@router.get("/favicon.ico")
def favicon_ico() -> Response:
    return RedirectResponse("/favicon.svg", status_code=308)


def install(app: FastAPI) -> None:
    """FastAPI's CDN-backed documentation routes replaced by this router's."""
    app.router.routes[:] = [
        r for r in app.router.routes if getattr(r, "path", None) not in CDN_DOCS
    ]
    app.docs_url = app.redoc_url = None
    app.include_router(router)

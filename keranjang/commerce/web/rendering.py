"""Pages as commerce renders them: the templates (with rupiah and WIB from `web.formatting`),
the frame every shop and buyer page shares, and the error page a browser gets for a refusal
(the seller center has its own frame)."""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from keranjang.commerce.errors import CommerceError
from keranjang.commerce.web.deps import settings_of
from keranjang.commerce.web.errors import page_route
from keranjang.commerce.web.formatting import TEMPLATE_FUNCTIONS

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False  # templates ship with the package; never re-stat them
templates.env.globals.update(TEMPLATE_FUNCTIONS)

HEADINGS = {
    "expired": "Link kedaluwarsa",
    "replayed": "Link sudah dipakai",
    "bad_signature": "Link tidak sah",
    "unknown_key": "Link tidak sah",
}


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("social_url", settings_of(request).social_url)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, exc: CommerceError, status: int) -> HTMLResponse:
    reason = getattr(exc, "reason", type(exc).__name__)
    heading = HEADINGS.get(reason, "Halaman tidak tersedia" if status == 404 else "Ada masalah")
    return render(request, "error.html", status, heading=heading, message=str(exc), reason=reason)


# Shop and buyer pages: a browser gets the error page, any other client the API's JSON.
ShopPageRoute = page_route(error_page)

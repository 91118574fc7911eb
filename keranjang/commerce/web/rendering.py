"""Pages as commerce renders them: the templates (with rupiah and WIB from `web.formatting`),
the frame every shop and buyer page shares, and the error page a browser gets for a refusal
(the seller center has its own frame)."""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from keranjang.commerce.errors import CommerceError, NotSelling, Unauthenticated
from keranjang.commerce.web.deps import commerce_of, settings_of
from keranjang.commerce.web.errors import page_route
from keranjang.commerce.web.formatting import TEMPLATE_FUNCTIONS
from keranjang.commerce.web.sessions import BUYER_SESSION

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False  # templates ship with the package; never re-stat them
templates.env.globals.update(TEMPLATE_FUNCTIONS)

HEADINGS = {
    "expired": "Link kedaluwarsa",
    "replayed": "Link sudah dipakai",
    "bad_signature": "Link tidak sah",
    "unknown_key": "Link tidak sah",
}


def buyer_signed_in(request: Request) -> bool:
    """Whether this browser carries a live buyer session (the header then shows the account,
    not "Masuk"). Asked once per request; no cookie, no database read."""
    known = getattr(request.state, "buyer_signed_in", None)
    if known is None:
        token = BUYER_SESSION.value(request)
        known = False
        if token is not None:
            try:
                commerce_of(request).buying.buyer_id(token)
                known = True
            except Unauthenticated:
                pass
        request.state.buyer_signed_in = known
    return bool(known)


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("social_url", settings_of(request).social_url)
    context.setdefault("signed_in", buyer_signed_in(request))
    context.setdefault("path", request.url.path)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, exc: CommerceError, status: int) -> HTMLResponse:
    reason = getattr(exc, "reason", type(exc).__name__)
    heading = HEADINGS.get(reason, "Halaman tidak tersedia" if status == 404 else "Ada masalah")
    message = str(exc)
    if isinstance(exc, NotSelling):
        heading = "Toko sedang pindah"
        message = (
            f"Toko {exc.shop_name} sedang pindah antara toko di aplikasi sosial dan toko ini, "
            "jadi belum bisa dibeli di sini. Tidak ada pesanan yang dibuat: coba lagi nanti, "
            "atau beli lewat keranjang kuning di aplikasi."
        )
    return render(request, "error.html", status, heading=heading, message=message, reason=reason)


# Shop and buyer pages: a browser gets the error page, any other client the API's JSON.
ShopPageRoute = page_route(error_page)


def shop_error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    """An unknown or malformed address, in the shop's frame (`infra.error_pages`)."""
    return render(request, "error.html", status, heading=heading, message=message, reason="address")

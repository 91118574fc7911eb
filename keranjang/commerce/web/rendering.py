"""Pages as commerce renders them: the templates (with rupiah and WIB from `web.formatting`),
in the reader's language (`web.i18n`: every template gets `_`, `lang` and the `switch` to the
other locale), the frame every shop and buyer page shares, and the error page a browser gets
for a refusal, worded by `web.wording` (the seller center has its own frame)."""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from keranjang.commerce.errors import CommerceError, Unauthenticated
from keranjang.commerce.web.deps import commerce_of, settings_of
from keranjang.commerce.web.errors import page_route
from keranjang.commerce.web.formatting import TEMPLATE_FUNCTIONS, for_locale
from keranjang.commerce.web.i18n import CATALOG, Words, words_of
from keranjang.commerce.web.sessions import BUYER_SESSION
from keranjang.commerce.web.wording import heading, say

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False  # templates ship with the package; never re-stat them
templates.env.globals.update(TEMPLATE_FUNCTIONS)


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


def in_words(request: Request, context: dict[str, object]) -> Words:
    """Put the reader's words into a template's context: `_`, `lang`, the `switch` to the other
    locale, and times with the locale's month names."""
    words = words_of(request)
    context.update(for_locale(words.lang))
    context.update(w=words, _=words._, lang=words.lang, switch=CATALOG.switch_url(request, words))
    return words


def localised(request: Request, response: HTMLResponse, words: Words) -> HTMLResponse:
    """Say the page's language, keep a `?lang=` choice, and tell caches the page differs by it."""
    CATALOG.remember(request, response, words)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("social_url", settings_of(request).social_url)
    context.setdefault("signed_in", buyer_signed_in(request))
    context.setdefault("path", request.url.path)
    words = in_words(request, context)
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    return localised(request, response, words)


def error_page(request: Request, exc: CommerceError, status: int) -> HTMLResponse:
    words = words_of(request)
    reason = getattr(exc, "reason", type(exc).__name__)
    title = heading(exc, status, words)
    return render(
        request, "error.html", status, heading=title, message=say(exc, words), reason=reason
    )


# Shop and buyer pages: a browser gets the error page, any other client the API's JSON.
ShopPageRoute = page_route(error_page)


def shop_error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """An unknown or malformed address, in the shop's frame (`infra.error_pages`), in the
    reader's words: the infra's Indonesian heading is a msgid of this catalog."""
    words = words_of(request)
    shown = {"heading": words._(title), "message": address_message(request, status, message)}
    return render(request, "error.html", status, **shown, reason="address")


def address_message(request: Request, status: int, message: str) -> str:
    """What the infra says (in Indonesian) of an unknown or malformed address, in the reader's
    words."""
    words = words_of(request)
    if words.lang == "id":
        return message
    if status == 404:
        path = request.url.path
        return words._("Alamat {path} tidak ada di sini. Periksa alamatnya.", path=path)
    if status == 405:
        return words._("Halaman ini tidak bisa dibuka dengan cara itu.")
    return words._("Isian di alamat ini tidak sah. Periksa alamatnya.")

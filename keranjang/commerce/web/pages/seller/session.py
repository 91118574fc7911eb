"""Signing in to the seller center, and what every seller page shares.

A session is a signed cookie (`web.sessions`) holding the merchant id and the digest of the shop
token it was made with (never the token). It ends after `SESSION_HOURS` on commerce's clock, on
log-out, and as soon as that token stops being the shop's token. Every form is read and checked
against cross-site posting as the buyer's are (`web.forms`).
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.catalog.domain import Merchant
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.errors import CommerceError, NotFound, Unauthenticated
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.commerce.web.deps import Catalog
from keranjang.commerce.web.errors import API_REFUSALS, status_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.i18n import words_of
from keranjang.commerce.web.rendering import address_message, in_words, localised, templates
from keranjang.commerce.web.sessions import SessionCookie, SignedCookie
from keranjang.commerce.web.wording import say
from keranjang.infra.credentials import token_digest
from keranjang.infra.refusals import RefusingRoute
from keranjang.infra.throttle import login_attempt

SESSION_COOKIE = "kj_seller"
SESSION_SALT = "keranjang.seller-session"
SESSION_HOURS = 12
SESSION = SignedCookie(SessionCookie(SESSION_COOKIE, SESSION_HOURS * 3600, "/seller"), SESSION_SALT)
S = OrderStatus
STATUS_LABELS = {
    S.AWAITING_PAYMENT: "Menunggu pembayaran",
    S.PAID: "Perlu dikirim",
    S.SHIPPED: "Dikirim",
    S.DELIVERED: "Sampai di pembeli",
    S.COMPLETED: "Selesai",
    S.CANCELLED: "Dibatalkan",
    S.EXPIRED: "Kedaluwarsa",
    S.REFUNDED: "Dana dikembalikan",
    S.RETURNED: "Kembali ke toko lama",
}


class SignInRequired(Exception):
    """No valid seller session: the visitor is sent to the login page."""


class SellerRoute(RefusingRoute):
    """Seller pages answer inside the seller center: a visitor without a session goes to the
    login page, a refusal (not found, not permitted) is a seller-center page with its status,
    and no page is cached, framed or named in another site's Referer."""

    refusals = API_REFUSALS.rendered_by(lambda request, exc, _status: error_page(request, exc))

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def seller_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                response = RedirectResponse("/seller/login", status_code=303)
            except RequestValidationError:  # only a path's id can fail: no such page
                response = error_page(request, NotFound("no such page", code="no_page"))
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Referrer-Policy"] = "same-origin"
            return response

        return seller_handler


def seller_router() -> APIRouter:
    return APIRouter(prefix="/seller", route_class=SellerRoute, include_in_schema=False)


router = seller_router()


ERROR_HEADINGS = {404: "Tidak ditemukan", 403: "Permintaan ditolak"}


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("merchant", getattr(request.state, "merchant", None))
    context.setdefault("labels", STATUS_LABELS)
    words = in_words(request, context)
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    return localised(request, response, words)


def error_page(request: Request, exc: CommerceError) -> HTMLResponse:
    status = status_of(exc)
    words = words_of(request)
    heading = words._(ERROR_HEADINGS.get(status, "Ada masalah"))
    return render(request, "seller_error.html", status, heading=heading, message=say(exc, words))


def address_error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    """An unknown or malformed address under /seller, in the seller center's frame."""
    shown = words_of(request)._(heading), address_message(request, status, message)
    return render(request, "seller_error.html", status, heading=shown[0], message=shown[1])


# the session cookie -----------------------------------------------------------------------------


def start_session(request: Request, response: Response, merchant_id: int, token: str) -> None:
    SESSION.issue(request, response, {"m": merchant_id, "t": token_digest(token)})


def signed_in(request: Request, svc: CatalogService) -> Merchant | None:
    """The merchant of this browser's session, if its cookie is genuine, young enough and was
    made with the shop's current token."""
    claims = SESSION.read(request)
    if claims is None:
        return None
    try:
        merchant_id, digest = int(claims["m"]), str(claims["t"])
    except (KeyError, TypeError, ValueError):
        return None
    return svc.merchant_with_token_digest(merchant_id, digest)


def current_merchant(request: Request, svc: Catalog) -> Merchant:
    merchant = signed_in(request, svc)
    if merchant is None:
        raise SignInRequired
    request.state.merchant = merchant
    return merchant


Seller = Annotated[Merchant, Depends(current_merchant)]


# signing in and out -----------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, svc: Catalog) -> Response:
    if signed_in(request, svc) is not None:
        return RedirectResponse("/seller", status_code=303)
    return render(request, "seller_login.html")


@router.post("/login", dependencies=[CrossSiteChecked])
def login(request: Request, svc: Catalog, form: Form) -> Response:
    token = form.get("token", "").strip()
    try:
        with login_attempt(request, token, Unauthenticated):
            merchant = svc.authenticate_merchant(token)
    except Unauthenticated:
        problem = words_of(request)._(
            "Token toko tidak dikenal. Tempel token yang Anda terima saat toko didaftarkan."
        )
        return render(request, "seller_login.html", 401, problem=problem)
    response = RedirectResponse("/seller", status_code=303)
    start_session(request, response, merchant.id, token)
    return response


@router.post("/logout", dependencies=[CrossSiteChecked])
def logout(request: Request) -> Response:
    response = RedirectResponse("/seller/login", status_code=303)
    SESSION.clear(request, response)
    return response

"""Signing in to the seller center, and what every seller page shares.

A session is a signed cookie (itsdangerous) holding the merchant id, the digest of the shop token
it was made with (never the token) and when it was made, on commerce's clock. It ends after
`SESSION_HOURS`, on log-out, and as soon as that token stops being the shop's token.

Against cross-site requests the cookie is SameSite=Lax and every POST must come from this shop's
own origin: its Origin header, or its Referer when a browser sends no Origin.
"""

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from keranjang.commerce.catalog.domain import Merchant
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.errors import (
    CommerceError,
    Invalid,
    NotFound,
    NotPermitted,
    Unauthenticated,
)
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.commerce.web.deps import Catalog, commerce_of, settings_of
from keranjang.commerce.web.errors import RefusingRoute, status_of
from keranjang.commerce.web.rendering import templates
from keranjang.infra import secret_files
from keranjang.infra.credentials import token_digest

SESSION_COOKIE = "kj_seller"
SESSION_SALT = "keranjang.seller-session"
SESSION_HOURS = 12
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 40
WIB = timezone(timedelta(hours=7), "WIB")
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
}


class SignInRequired(Exception):
    """No valid seller session: the visitor is sent to the login page."""


class SellerRoute(RefusingRoute):
    """Seller pages answer inside the seller center: a visitor without a session goes to the
    login page, a refusal (not found, not permitted) is a seller-center page with its status,
    and no page is cached, framed or named in another site's Referer."""

    def refuse(self, request: Request, exc: CommerceError, status: int) -> Response:
        return error_page(request, exc)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def seller_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                response = RedirectResponse("/seller/login", status_code=303)
            except RequestValidationError:  # only a path's id can fail: no such page
                response = error_page(request, NotFound("Halaman ini tidak ada."))
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Referrer-Policy"] = "same-origin"
            return response

        return seller_handler


def seller_router() -> APIRouter:
    return APIRouter(prefix="/seller", route_class=SellerRoute, include_in_schema=False)


router = seller_router()


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("merchant", getattr(request.state, "merchant", None))
    context.setdefault("labels", STATUS_LABELS)
    context.setdefault("wib", wib)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def wib(iso_time: str) -> str:
    """A stored UTC time as sellers in Indonesia read it (Western Indonesian Time)."""
    return f"{datetime.fromisoformat(iso_time).astimezone(WIB):%d-%m-%Y %H:%M} WIB"


def error_page(request: Request, exc: CommerceError) -> HTMLResponse:
    status = status_of(exc)
    heading = {404: "Tidak ditemukan", 403: "Permintaan ditolak"}.get(status, "Ada masalah")
    return render(request, "seller_error.html", status, heading=heading, message=str(exc))


# the session cookie -----------------------------------------------------------------------------


def session_serializer(settings: CommerceSettings) -> URLSafeSerializer:
    """Signs seller sessions with commerce's secret (the attribution cookie's), under a salt of
    their own so that neither cookie can stand in for the other."""
    secret = settings.secret_key or secret_files.load_or_create(
        settings.data_dir / "commerce-secret-key"
    )
    return URLSafeSerializer(secret, salt=SESSION_SALT)


def _serializer(request: Request) -> URLSafeSerializer:
    serializer: URLSafeSerializer = request.app.state.seller_sessions
    return serializer


def _now(request: Request) -> float:
    now: datetime = commerce_of(request).clock.now()
    return now.timestamp()


def start_session(request: Request, response: Response, merchant_id: int, token: str) -> None:
    value = {"m": merchant_id, "t": token_digest(token), "at": int(_now(request))}
    settings: CommerceSettings = settings_of(request)
    response.set_cookie(
        SESSION_COOKIE,
        str(_serializer(request).dumps(value)),
        max_age=SESSION_HOURS * 3600,
        path="/seller",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or settings.public_url.startswith("https://"),
    )


def signed_in(request: Request, svc: CatalogService) -> Merchant | None:
    """The merchant of this browser's session, if its cookie is genuine, young enough and was
    made with the shop's current token."""
    try:
        value = _serializer(request).loads(request.cookies.get(SESSION_COOKIE, ""))
        merchant_id, digest, made_at = int(value["m"]), str(value["t"]), int(value["at"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if not 0 <= _now(request) - made_at <= SESSION_HOURS * 3600:
        return None
    return svc.merchant_with_token_digest(merchant_id, digest)


def current_merchant(request: Request, svc: Catalog) -> Merchant:
    merchant = signed_in(request, svc)
    if merchant is None:
        raise SignInRequired
    request.state.merchant = merchant
    return merchant


Seller = Annotated[Merchant, Depends(current_merchant)]


# cross-site requests and forms ------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def same_origin(request: Request) -> None:
    """Refuse a POST that a browser sent from another site, or that does not say where it comes
    from: only this shop's own pages submit seller forms."""
    settings: CommerceSettings = settings_of(request)
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if _origin(source) not in {_origin(str(request.base_url)), _origin(settings.public_url)}:
        raise NotPermitted(
            "Formulir ini tidak dikirim dari halaman Pusat Penjual toko ini; buka halamannya "
            "lagi dan kirim dari sana."
        )


async def form_data(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded form, the only kind these pages send. Read by hand because
    Starlette's form parser needs python-multipart, which commerce does not depend on, and the
    standard library reads this encoding well."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in {"application/x-www-form-urlencoded", ""}:
        raise Invalid("Kirim formulir sebagai application/x-www-form-urlencoded.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Invalid(f"Formulir terlalu besar (lebih dari {MAX_FORM_BYTES} byte).")
    try:
        fields = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError as exc:
        raise Invalid(f"Formulir berisi lebih dari {MAX_FORM_FIELDS} isian.") from exc
    return dict(fields)


Form = Annotated[dict[str, str], Depends(form_data)]
CHECKED = [Depends(same_origin)]


# signing in and out -----------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, svc: Catalog) -> Response:
    if signed_in(request, svc) is not None:
        return RedirectResponse("/seller", status_code=303)
    return render(request, "seller_login.html")


@router.post("/login", dependencies=CHECKED)
def login(request: Request, svc: Catalog, form: Form) -> Response:
    token = form.get("token", "").strip()
    try:
        merchant = svc.authenticate_merchant(token)
    except Unauthenticated:
        problem = "Token toko tidak dikenal. Tempel token yang Anda terima saat toko didaftarkan."
        return render(request, "seller_login.html", 401, problem=problem)
    response = RedirectResponse("/seller", status_code=303)
    start_session(request, response, merchant.id, token)
    return response


@router.post("/logout", dependencies=CHECKED)
def logout() -> Response:
    response = RedirectResponse("/seller/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/seller", httponly=True, samesite="lax")
    return response

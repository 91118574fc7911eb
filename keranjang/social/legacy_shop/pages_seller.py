"""The seller tools in the app's pages: signing in with the seller token into a signed session,
the products with their price and stock, and the balance. Orders are `pages_seller_orders`.

The session cookie holds the seller token's digest, never the token, signed with social's
session secret (itsdangerous) and dated: it ends after 12 hours, at log-out, or as soon as the
seller's token changes (the digest no longer matches)."""

from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from keranjang.infra import secret_files
from keranjang.infra.credentials import token_digest
from keranjang.infra.http_errors import MAX_ID, PathId
from keranjang.infra.throttle import login_attempt
from keranjang.social.i18n import N_, number, words_of
from keranjang.social.legacy_shop import domain, listings
from keranjang.social.legacy_shop.api import Shop
from keranjang.social.legacy_shop.pages_forms import CrossSiteChecked, Form, whole_number
from keranjang.social.legacy_shop.pages_render import render
from keranjang.social.legacy_shop.service import LegacyShop

router = APIRouter(prefix="/legacy/seller", include_in_schema=False)
COOKIE = "kj_legacy_seller"
COOKIE_PATH = "/legacy/seller"
SESSION_SECONDS = 12 * 3600
SALT = "keranjang.social.legacy-seller-session"
MAX_STOCK = 10_000_000
LOGIN = "/legacy/seller/login"
WRONG_TOKEN = N_("Token penjual itu tidak berlaku. Tempel token yang kamu terima saat toko dibuka.")
PRICE_HINT = N_("Isi harga dalam rupiah, angka bulat 1 atau lebih.")
STOCK_HINT = N_("Isi stok 0 sampai {high}.")


@cache
def _secret_in(path: Path) -> str:
    return secret_files.load_or_create(path)


def _serializer(request: Request) -> URLSafeTimedSerializer:
    settings = request.app.state.settings
    secret = settings.session_secret or _secret_in(settings.resolved_session_secret_file)
    return URLSafeTimedSerializer(secret, salt=SALT)


def seller_or_none(request: Request, legacy: LegacyShop) -> int | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        digest = _serializer(request).loads(cookie, max_age=SESSION_SECONDS)
        return legacy.selling.authenticate_digest(str(digest))
    except (BadSignature, domain.Unauthenticated):
        return None


def signed_in_seller(request: Request, legacy: Shop) -> int:
    """The signed-in seller; anyone else is sent to sign in."""
    seller_id = seller_or_none(request, legacy)
    if seller_id is None:
        raise HTTPException(303, "sign in first", headers={"Location": LOGIN})
    return seller_id


Seller = Annotated[int, Depends(signed_in_seller)]


def seller_page(
    request: Request, legacy: LegacyShop, seller_id: int, name: str, /, **context: object
) -> Response:
    status = context.pop("status_code", 200)
    assert isinstance(status, int)
    seller = legacy.selling.seller(seller_id)
    return render(request, name, status, seller=seller, **context)


@router.get("", response_class=HTMLResponse)
def home(seller_id: Seller) -> Response:
    return RedirectResponse("/legacy/seller/orders", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, legacy: Shop) -> Response:
    if seller_or_none(request, legacy) is not None:
        return RedirectResponse("/legacy/seller/orders", status_code=303)
    return render(request, "seller_login.html")


@router.post("/login", dependencies=[CrossSiteChecked])
def log_in(request: Request, form: Form, legacy: Shop) -> Response:
    token = form.get("token", "").strip()
    try:
        with login_attempt(request, token, domain.Unauthenticated):
            legacy.selling.authenticate(token)
    except domain.Unauthenticated:
        return render(request, "seller_login.html", 401, errors={"token": WRONG_TOKEN})
    response = RedirectResponse("/legacy/seller/orders", status_code=303)
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(token_digest(token)),
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", dependencies=[CrossSiteChecked])
def log_out() -> Response:
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
    return response


@router.get("/products", response_class=HTMLResponse)
def products(
    request: Request,
    seller_id: Seller,
    legacy: Shop,
    disimpan: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    saved = whole_number(disimpan, 1, MAX_ID)
    return _products_page(request, legacy, seller_id, saved=saved)


def _products_page(
    request: Request, legacy: LegacyShop, seller_id: int, /, **context: object
) -> Response:
    listed = legacy.selling.products(seller_id)
    return seller_page(
        request, legacy, seller_id, "seller_products.html", products=listed, **context
    )


@router.post("/products/{product_id}", dependencies=[CrossSiteChecked])
def edit_product(
    request: Request, product_id: PathId, form: Form, seller_id: Seller, legacy: Shop
) -> Response:
    typed = {"price_idr": form.get("price_idr", ""), "stock": form.get("stock", "")}
    price = whole_number(typed["price_idr"], 1, listings.MAX_PRICE_IDR)
    stock = whole_number(typed["stock"], 0, MAX_STOCK)
    errors, words = {}, words_of(request)
    if price is None:
        errors[f"{product_id}.price_idr"] = PRICE_HINT
    if stock is None:
        errors[f"{product_id}.stock"] = words._(STOCK_HINT, high=number(MAX_STOCK, words))
    if errors:
        values = {f"{product_id}.{k}": v for k, v in typed.items()}
        return _products_page(
            request, legacy, seller_id, status_code=422, errors=errors, values=values
        )
    legacy.selling.edit_product(seller_id, product_id, {"price_idr": price, "stock": stock})
    return RedirectResponse(f"/legacy/seller/products?disimpan={product_id}", status_code=303)


@router.get("/balance", response_class=HTMLResponse)
def balance(request: Request, seller_id: Seller, legacy: Shop) -> Response:
    money = legacy.selling.balance(seller_id)
    return seller_page(request, legacy, seller_id, "seller_balance.html", balance=money)

"""Signing up, logging in and out, in the browser: the session lives in an HttpOnly cookie, and
a buyer who was adding a product when asked to log in finds it in the cart afterwards."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.errors import Conflict, Invalid, Unauthenticated, Unclaimed
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.i18n import INDONESIAN, Words, words_of
from keranjang.commerce.web.pages.buyer import cart
from keranjang.commerce.web.pages.buyer.guard import (
    Shopper,
    buyer_or_none,
    buying,
    forget_session,
    local_path,
    personal_page,
    remember_session,
    session_token,
)
from keranjang.commerce.web.rendering import ShopPageRoute, buyer_signed_in
from keranjang.commerce.web.wording import say
from keranjang.infra.throttle import login_attempt

MIN_PASSWORD = 10
router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)
NextQuery = Annotated[str, Query(alias="next", max_length=1000)]
OptionalNumber = Annotated[str, Query(max_length=12)]


def account_page(
    request: Request, name: str, status_code: int = 200, /, **context: object
) -> Response:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return personal_page(request, name, status_code, signed_in=buyer_signed_in(request), **context)


def _pending_context(next_path: str, product_id: str, quantity: str) -> dict[str, object]:
    pending = cart.pending_add({"product_id": product_id, "quantity": quantity})
    return {"next": local_path(next_path), "pending": pending}


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    next_path: NextQuery = "/",
    product_id: OptionalNumber = "",
    quantity: OptionalNumber = "",
) -> Response:
    context = _pending_context(next_path, product_id, quantity)
    if buyer_or_none(request) is not None and context["pending"] is None:
        return RedirectResponse(str(context["next"]), status_code=303)
    return account_page(request, "login.html", **context)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(
    request: Request,
    next_path: NextQuery = "/",
    product_id: OptionalNumber = "",
    quantity: OptionalNumber = "",
) -> Response:
    return account_page(request, "signup.html", **_pending_context(next_path, product_id, quantity))


@router.post("/login", dependencies=[CrossSiteChecked])
def log_in(request: Request, form: Form) -> Response:
    context = _pending_context(
        form.get("next", ""), form.get("product_id", ""), form.get("quantity", "")
    )
    email = form.get("email", "").strip()
    try:
        with login_attempt(request, email, Unauthenticated):
            token = buying(request).log_in(email, form.get("password", ""))
    except Unauthenticated:
        error = words_of(request)._(
            "Email atau kata sandi salah. Periksa lagi, atau daftar bila belum punya akun."
        )
        return account_page(
            request, "login.html", 401, error=error, values={"email": email}, **context
        )
    return _signed_in(request, token, context)


@router.post("/signup", dependencies=[CrossSiteChecked])
def sign_up(request: Request, form: Form) -> Response:
    context = _pending_context(
        form.get("next", ""), form.get("product_id", ""), form.get("quantity", "")
    )
    values = {"name": form.get("name", "").strip(), "email": form.get("email", "").strip()}
    words = words_of(request)
    errors = signup_errors(values, form.get("password", ""), words)
    if not errors:
        try:
            token = buying(request).sign_up(values["email"], values["name"], form["password"])
        except Unclaimed:
            errors["email"] = words._(
                "Email ini sudah punya akun dari belanja sebelumnya di aplikasi. Minta link "
                "klaim di halaman /claim untuk membuat kata sandinya."
            )
        except Conflict:
            errors["email"] = words._("Email ini sudah terdaftar. Silakan masuk.")
        except Invalid as exc:
            errors["email"] = words._("Pendaftaran ditolak: {why}", why=say(exc, words))
        else:
            return _signed_in(request, token, context)
    return account_page(request, "signup.html", 422, errors=errors, values=values, **context)


def signup_errors(
    values: dict[str, str], password: str, words: Words = INDONESIAN
) -> dict[str, str]:
    """What to fix in a sign-up form, field by field, before asking the service."""
    errors = {}
    if not 1 <= len(values["name"]) <= 120:
        errors["name"] = words._("Isi nama kamu (paling banyak 120 huruf).")
    email = values["email"]
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        errors["email"] = words._("Isi alamat email seperti nama@contoh.com.")
    if not MIN_PASSWORD <= len(password) <= 200:
        errors["password"] = words._("Kata sandi minimal {min} karakter.", min=MIN_PASSWORD)
    return errors


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, buyer: Shopper) -> Response:
    """The signed-in buyer's own corner: orders, cart, signing out."""
    return personal_page(request, "account.html")


@router.post("/logout", dependencies=[CrossSiteChecked])
def log_out(request: Request) -> Response:
    token = session_token(request)
    if token:
        buying(request).log_out(token)
    response = RedirectResponse("/", status_code=303)
    forget_session(request, response)
    return response


def _signed_in(request: Request, token: str, context: dict[str, object]) -> Response:
    """Keep the session, finish adding the product the buyer was adding, and go on."""
    where = str(context["next"])
    pending = context["pending"]
    if isinstance(pending, cart.PendingAdd):
        buyer = buying(request).buyer_id(token)
        capped = cart.add_to_cart(request, buyer, pending)
        where = cart.added_url(pending, capped)
    response = RedirectResponse(where, status_code=303)
    remember_session(request, response, token)
    return response

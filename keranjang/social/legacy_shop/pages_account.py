"""Viewers' sign-up, log-in and log-out in the browser, and who is signed in on the shop's pages.

These pages live with the in-app shop because an account is needed only to buy in it (a viewer
watches without one); when the shop is switched off they close with it, and the viewers' API
stays. The session is the viewers' signed page cookie, the same one their API sets."""

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.infra.throttle import login_attempt
from keranjang.social.domain import Conflict, Invalid, Unauthenticated
from keranjang.social.i18n import N_, words_of
from keranjang.social.legacy_shop.pages_forms import (
    CrossSiteChecked,
    Form,
    local_path,
    origin_of,
    own_origins,
)
from keranjang.social.legacy_shop.pages_render import render
from keranjang.social.viewers import domain as viewers
from keranjang.social.viewers.api import cookies
from keranjang.social.viewers.cookies import COOKIE, MAX_AGE_SECONDS
from keranjang.social.viewers.service import ViewerService

router = APIRouter(prefix="/legacy/account", include_in_schema=False)
NextQuery = Annotated[str, Query(alias="next", max_length=1000)]
SIGNUP_HINTS = {
    "name": N_("Isi nama kamu (1 sampai 80 huruf)."),
    "email": N_("Isi alamat email seperti nama@contoh.com."),
    "password": N_("Kata sandi {low} sampai {high} karakter."),
}
PASSWORD_BOUNDS = {"low": viewers.MIN_PASSWORD, "high": viewers.MAX_PASSWORD}
WRONG_LOGIN = N_("Email atau kata sandi salah. Periksa lagi, atau daftar dulu.")
TAKEN = N_("Email ini sudah terdaftar. Silakan masuk.")


def viewer_service(request: Request) -> ViewerService:
    svc: ViewerService = request.app.state.viewers
    return svc


def viewer_or_none(request: Request) -> viewers.Viewer | None:
    token = cookies(request).token(request.cookies.get(COOKIE))
    if token is None:
        return None
    try:
        return viewer_service(request).authenticate(token)
    except Unauthenticated:
        return None


def login_url(next_path: str) -> str:
    return "/legacy/account/login?next=" + quote(next_path, safe="/")


def signed_in_viewer(request: Request) -> viewers.Viewer:
    """The signed-in viewer; anyone else is sent to log in and brought back afterwards."""
    viewer = viewer_or_none(request)
    if viewer is not None:
        return viewer
    if request.method == "GET":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:  # a form's own address cannot be opened again: back to the page it was on
        back = _path_of(request.headers.get("referer", ""), request)
    # FastAPI answers an HTTPException with its status and headers: here, a redirect.
    raise HTTPException(303, "log in first", headers={"Location": login_url(local_path(back))})


Buyer = Annotated[viewers.Viewer, Depends(signed_in_viewer)]


def _path_of(url: str, request: Request) -> str:
    if origin_of(url) not in own_origins(request):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _remember(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        cookies(request).seal(token),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _signed_in(request: Request, token: str, next_path: str) -> Response:
    response = RedirectResponse(local_path(next_path), status_code=303)
    _remember(request, response, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next_path: NextQuery = "") -> Response:
    if viewer_or_none(request) is not None:
        return RedirectResponse(local_path(next_path), status_code=303)
    return render(request, "login.html", next=local_path(next_path))


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, next_path: NextQuery = "") -> Response:
    return render(request, "signup.html", next=local_path(next_path))


@router.post("/login", dependencies=[CrossSiteChecked])
def log_in(request: Request, form: Form) -> Response:
    next_path = local_path(form.get("next"))
    email = form.get("email", "").strip()
    try:
        with login_attempt(request, email, Unauthenticated):
            signed = viewer_service(request).log_in(email, form.get("password", ""))
    except Unauthenticated:
        errors = {"password": WRONG_LOGIN}
        values = {"email": email}
        return render(request, "login.html", 401, errors=errors, values=values, next=next_path)
    return _signed_in(request, signed.token, next_path)


@router.post("/signup", dependencies=[CrossSiteChecked])
def sign_up(request: Request, form: Form) -> Response:
    next_path = local_path(form.get("next"))
    values = {"name": form.get("name", "").strip(), "email": form.get("email", "").strip()}
    new = viewers.NewViewer(values["email"], values["name"], form.get("password", ""))
    errors = signup_errors(new)
    if not errors:
        try:
            signed = viewer_service(request).sign_up(new)
        except Conflict:
            errors["email"] = TAKEN
        except Invalid:
            errors["email"] = SIGNUP_HINTS["email"]
        else:
            return _signed_in(request, signed.token, next_path)
    words = words_of(request)
    errors = {field: words._(hint, **PASSWORD_BOUNDS) for field, hint in errors.items()}
    return render(request, "signup.html", 422, errors=errors, values=values, next=next_path)


def signup_errors(new: viewers.NewViewer) -> dict[str, str]:
    """What to fix in a sign-up form, field by field, by the viewers' own rules."""
    checks = {
        "name": lambda: viewers.check_name(new.name),
        "email": lambda: viewers.check_email(new.email),
        "password": lambda: viewers.check_password(new.password),
    }
    errors = {}
    for field, check in checks.items():
        try:
            check()
        except Invalid:
            errors[field] = SIGNUP_HINTS[field]
    return errors


@router.post("/logout", dependencies=[CrossSiteChecked])
def log_out(request: Request) -> Response:
    token = cookies(request).token(request.cookies.get(COOKIE))
    if token:
        viewer_service(request).log_out(token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, httponly=True, samesite="lax")
    return response

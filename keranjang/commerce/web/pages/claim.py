"""Claiming an account in the browser: the one-time link a buyer of a moved merchant gets opens
a page (phone width, in Indonesian) to set a password, and the buyer is signed in. A used or
expired link says so and offers a new one by email."""

from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.buying.accounts import AccountService
from keranjang.commerce.buying.domain import MAX_PASSWORD, MIN_PASSWORD
from keranjang.commerce.errors import Gone, Invalid, NotFound
from keranjang.commerce.web.api.claims import claim_url
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.i18n import INDONESIAN, Words, words_of
from keranjang.commerce.web.pages.buyer.guard import personal_page, remember_session
from keranjang.commerce.web.rendering import ShopPageRoute, buyer_signed_in
from keranjang.commerce.web.wording import say
from keranjang.infra.throttle import login_attempt

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)
Token = Annotated[str, Query(max_length=200)]
SPENT = {
    Gone: (410, "Link ini sudah dipakai atau kedaluwarsa."),
    NotFound: (404, "Link ini tidak kami kenali. Periksa lagi link-nya."),
}


def accounts(request: Request) -> AccountService:
    svc: AccountService = commerce_of(request).accounts
    return svc


def spent_page(request: Request, exc: Gone | NotFound) -> Response:
    status, heading = SPENT[type(exc)]
    return claim_page(request, status, spent=words_of(request)._(heading))


def claim_page(request: Request, status_code: int = 200, /, **context: object) -> Response:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return personal_page(
        request, "claim.html", status_code, signed_in=buyer_signed_in(request), **context
    )


@router.get("/claim", response_class=HTMLResponse)
def open_link(request: Request, token: Token = "") -> Response:
    try:
        found = accounts(request).claim_for(token)
    except (Gone, NotFound) as exc:
        return spent_page(request, exc)
    return claim_page(request, token=token, account=found)


@router.post("/claim", dependencies=[CrossSiteChecked])
def set_password(request: Request, form: Form) -> Response:
    token, password = form.get("token", ""), form.get("password", "")
    svc = accounts(request)
    try:
        with login_attempt(request, token, Gone, NotFound):  # a link guessed, or spent
            found = svc.claim_for(token)
    except (Gone, NotFound) as exc:
        return spent_page(request, exc)
    words = words_of(request)
    errors = _password_errors(password, form.get("password2", ""), words)
    if not errors:
        try:
            session = svc.claim(token, password)
        except Invalid as exc:
            errors["password"] = words._("Kata sandi ditolak: {why}", why=say(exc, words))
        except (Gone, NotFound) as exc:  # claimed by another tab a moment ago
            return spent_page(request, exc)
        else:
            response = RedirectResponse("/orders", status_code=303)
            remember_session(request, response, session)
            return response
    return claim_page(request, 422, token=token, account=found, errors=errors)


@router.post("/claim/request", dependencies=[CrossSiteChecked])
def ask_again(request: Request, form: Form) -> Response:
    email = form.get("email", "").strip()[:254]
    token = accounts(request).request_claim_link(email)
    if token is not None:  # no mail in the demo: the link is logged for the operator
        log.info("claim_link_issued", link=claim_url(request, token))
    words = words_of(request)
    asked = words._(
        "Bila email itu punya akun yang belum diklaim, link baru sudah kami kirim ke sana. "
        "Link berlaku sekali, selama 7 hari."
    )
    return claim_page(request, 202, asked=asked, spent=words._("Minta link baru"))


def _password_errors(password: str, again: str, words: Words = INDONESIAN) -> dict[str, str]:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return {"password": words._("Kata sandi minimal {min} karakter.", min=MIN_PASSWORD)}
    if password != again:
        return {"password2": words._("Kedua kata sandi tidak sama. Ketik ulang.")}
    return {}

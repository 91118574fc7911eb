"""A creator's own pages in social: sign in (handle and password, throttled like every log-in),
sign out, and the dashboard (their content and pins, their e-commerce permission, their figures
from commerce). The session is a signed cookie of its own, carrying a page-session token."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.infra import forms
from keranjang.infra.throttle import login_attempt
from keranjang.social import domain, error_words
from keranjang.social.creators.payout_account import PayoutAccounts
from keranjang.social.creators.service import CreatorAccounts
from keranjang.social.i18n import words_of
from keranjang.social.pages import render
from keranjang.social.viewers.cookies import MAX_AGE_SECONDS, SessionCookies

COOKIE = "kj_creator"
SALT = "keranjang.social.creator-session"
REFUSED = (
    "Permintaan ditolak: formulir ini tidak dikirim dari halaman Keranjang Social. Buka lagi "
    "halamannya dan kirim ulang dari sana."
)
router = APIRouter(prefix="/kreator", include_in_schema=False)


def accounts(request: Request) -> CreatorAccounts:
    svc: CreatorAccounts = request.app.state.creator_accounts
    return svc


def payouts(request: Request) -> PayoutAccounts:
    svc: PayoutAccounts = request.app.state.creator_payouts
    return svc


def sealed(request: Request) -> SessionCookies:
    cookies: SessionCookies = request.app.state.creator_cookies
    return cookies


def session_token(request: Request) -> str | None:
    return sealed(request).token(request.cookies.get(COOKIE))


def creator_or_none(request: Request) -> domain.Creator | None:
    try:
        return accounts(request).authenticate(session_token(request))
    except domain.Unauthenticated:
        return None


def signed_in_creator(request: Request) -> domain.Creator:
    """The signed-in creator; anyone else is sent to the sign-in page."""
    creator = creator_or_none(request)
    if creator is None:
        # FastAPI answers an HTTPException with its status and headers: here, a redirect.
        raise HTTPException(303, "sign in first", headers={"Location": "/kreator/masuk"})
    return creator


async def own_form(request: Request) -> dict[str, str]:
    """The posted form, if it came from social's own pages."""
    if not forms.from_own_pages(request, request.app.state.settings.public_url):
        raise domain.NotPermitted(REFUSED, "cross_site_form")
    try:
        return await forms.urlencoded(request)
    except forms.FormRefused as exc:
        raise domain.Invalid(str(exc), "form_refused") from exc


SignedIn = Annotated[domain.Creator, Depends(signed_in_creator)]
OwnForm = Annotated[dict[str, str], Depends(own_form)]


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, creator: SignedIn) -> HTMLResponse:
    board = accounts(request).dashboard(creator)
    problem = board.figures_problem
    said = None if problem is None else error_words.say(words_of(request), problem)
    return render(
        request, "creator_dashboard.html", board=board, figures_problem=said, active="creator"
    )


@router.get("/rekening", response_class=HTMLResponse)
def payout_account_page(request: Request, creator: SignedIn) -> HTMLResponse:
    return _account_page(request, creator, None, {})


@router.post("/rekening", response_class=HTMLResponse)
def set_payout_account(request: Request, creator: SignedIn, form: OwnForm) -> HTMLResponse:
    """Only the signed-in creator's own account: the id comes from the session, never the form."""
    try:
        payouts(request).set(creator.id, form)
    except (domain.Invalid, domain.FiguresUnavailable) as exc:
        said = error_words.say(words_of(request), exc)
        return _account_page(request, creator, said, form, status=exc.status)
    return _account_page(request, creator, None, {}, saved=True)


def _account_page(
    request: Request,
    creator: domain.Creator,
    error: str | None,
    typed: dict[str, str],
    *,
    status: int = 200,
    saved: bool = False,
) -> HTMLResponse:
    try:
        state, problem = payouts(request).of_creator(creator.id), None
    except domain.FiguresUnavailable as exc:
        state, problem = None, error_words.say(words_of(request), exc)
    return render(
        request,
        "creator_account.html",
        status,
        state=state,
        problem=problem,
        error=error,
        typed=typed,
        saved=saved,
        active="creator",
    )


@router.get("/masuk", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    if creator_or_none(request) is not None:
        return RedirectResponse("/kreator", status_code=303)
    return render(request, "creator_login.html", handle="", error=None, active="creator")


@router.post("/masuk")
def log_in(request: Request, form: OwnForm) -> Response:
    handle = form.get("handle", "").strip()[:40]
    try:
        with login_attempt(request, handle, domain.Unauthenticated):
            token = accounts(request).log_in(handle, form.get("password", "")[:200])
    except domain.Unauthenticated as exc:
        said = error_words.say(words_of(request), exc)
        return render(
            request, "creator_login.html", 401, handle=handle, error=said, active="creator"
        )
    response = RedirectResponse("/kreator", status_code=303)
    response.set_cookie(
        COOKIE,
        sealed(request).seal(token),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/keluar")
def log_out(request: Request, form: OwnForm) -> Response:
    token = session_token(request)
    if token:
        accounts(request).log_out(token)
    response = RedirectResponse("/kreator/masuk", status_code=303)
    response.delete_cookie(COOKIE, httponly=True, samesite="lax")
    return response

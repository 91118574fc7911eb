"""The operator's pages, in Indonesian, at phone width: progress per category and overall, the
ETA, each merchant's phase (the page refreshes itself), and on a merchant's page the actions:
force a move with a reason, roll back with a reason, purge.

An operator signs in by pasting the operator token; the browser keeps a signed, dated session
cookie holding the token's digest (never the token), which ends after 12 hours, at log-out, or
as soon as the operator token changes. Forms are refused unless this app's own pages sent them."""

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from keranjang.infra import secret_files
from keranjang.infra.credentials import is_operator, token_digest
from keranjang.infra.http_errors import PathId
from keranjang.infra.throttle import login_attempt
from keranjang.migration.api import Service, status_of
from keranjang.migration.errors import MigrationError
from keranjang.migration.phases import Phase

router = APIRouter(include_in_schema=False)
COOKIE = "kj_migration_operator"
SESSION_SECONDS = 12 * 3600
SALT = "keranjang.migration.operator-session"
MAX_FORM_BYTES = 8 * 1024
MAX_FORM_FIELDS = 10
REFRESH_SECONDS = 5
LOCALE = "id_ID"
JAKARTA = ZoneInfo("Asia/Jakarta")
PHASE_LABELS = {
    Phase.PLANNED: "Direncanakan",
    Phase.BOUND: "Terikat",
    Phase.COPYING: "Menyalin",
    Phase.CATCHING_UP: "Mengejar",
    Phase.CUT_OVER: "Dialihkan",
    Phase.VERIFIED: "Terverifikasi",
    Phase.PURGED: "Dibersihkan",
    Phase.ROLLED_BACK: "Dikembalikan",
}
ACTIONS = {"force": "Paksa pindah", "rollback": "Kembalikan ke aplikasi", "purge": "Bersihkan"}
FOREIGN_FORM = "Formulir ditolak: kirim dari halaman layanan migrasi ini."


def wib(at: datetime | None) -> str:
    if at is None:
        return "-"
    return format_datetime(at if at.tzinfo else at.replace(tzinfo=UTC), "d MMM y, HH.mm z",
                           tzinfo=JAKARTA, locale=LOCALE)  # fmt: skip


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False
templates.env.globals.update(
    wib=wib,
    rupiah=lambda amount: format_currency(amount, "IDR", locale=LOCALE),
    number=lambda n: format_decimal(n, locale=LOCALE),
    phase_label=lambda p: PHASE_LABELS[Phase(p)],
    phases=list(Phase),
    actions=ACTIONS,
)


def render(request: Request, name: str, status: int = 200, /, **context: object) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status, status=status, message=message)


@cache
def _secret(path: Path) -> str:
    return secret_files.load_or_create(path)


def _serializer(request: Request) -> URLSafeTimedSerializer:
    data_dir = Path(request.app.state.settings.data_dir)
    return URLSafeTimedSerializer(_secret(data_dir / "migration-session-key"), salt=SALT)


def signed_in(request: Request) -> str:
    """The operator of this session; anyone else is sent to sign in."""
    expected = request.app.state.settings.admin_token
    cookie = request.cookies.get(COOKIE)
    try:
        digest = _serializer(request).loads(cookie or "", max_age=SESSION_SECONDS)
    except BadSignature:
        digest = None
    if not expected or digest != token_digest(expected):
        raise HTTPException(303, "sign in first", headers={"Location": "/login"})
    return "operator:web"


Operator = Annotated[str, Depends(signed_in)]


async def same_origin(request: Request) -> None:
    """Refuse a form another site made a browser send (CSRF): the browser's `Sec-Fetch-Site`,
    else `Origin` or `Referer`, must name this app. The same rule as the other services' pages,
    written out here because the migration imports no other part's web code."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        allowed = site in ("same-origin", "none")
    else:
        claimed = request.headers.get("origin") or request.headers.get("referer") or ""
        parts, own = urlsplit(claimed), urlsplit(str(request.base_url))
        allowed = bool(parts.scheme) and (parts.scheme, parts.netloc) == (own.scheme, own.netloc)
    if not allowed:
        raise HTTPException(403, FOREIGN_FORM)


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form within its limits, read with the standard library (no uploads here,
    so no multipart parser is needed)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "Formulir terlalu besar.")
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS)  # fmt: skip
    except ValueError:
        raise HTTPException(400, "Formulir berisi terlalu banyak isian.") from None
    return {name: value[:1000] for name, value in reversed(pairs)}


Form = Annotated[dict[str, str], Depends(form)]
Checked = Depends(same_origin)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html")


@router.post("/login", dependencies=[Checked])
def login(request: Request, fields: Form) -> Response:
    token = fields.get("token", "").strip()
    attempt = login_attempt(request, token)
    if not is_operator(token, request.app.state.settings.admin_token):
        attempt.failed()
        return render(request, "login.html", 401, error="Token operator salah.")
    response = RedirectResponse("/", status_code=303)
    cookie = _serializer(request).dumps(token_digest(token))
    response.set_cookie(COOKIE, cookie, max_age=SESSION_SECONDS, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/logout", dependencies=[Checked])
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request, svc: Service, _who: Operator, phase: Annotated[Phase | None, Query()] = None
) -> HTMLResponse:
    status = svc.status()
    moves = svc.merchants(phase, 0, 200)
    return render(request, "dashboard.html", status=status, moves=moves, phase=phase,
                  refresh=REFRESH_SECONDS)  # fmt: skip


@router.get("/merchants/{seller_id}", response_class=HTMLResponse)
def merchant_page(
    request: Request, seller_id: PathId, svc: Service, _who: Operator, done: str | None = None
) -> HTMLResponse:
    return _merchant(request, svc, seller_id, done=ACTIONS.get(done or ""))


def _merchant(request: Request, svc: Service, seller_id: int, /, **context: object) -> HTMLResponse:
    status = context.pop("status", 200)
    assert isinstance(status, int)
    move = svc.merchant(seller_id)
    events = svc.events(seller_id, 30)
    can_act = svc.parts.mover is not None
    return render(request, "merchant.html", status, move=move, events=events, can_act=can_act,
                  **context)  # fmt: skip


@router.post("/merchants/{seller_id}/{action}", dependencies=[Checked])
def act(
    request: Request, seller_id: PathId, action: str, *, svc: Service, who: Operator, fields: Form
) -> Response:
    if action not in ACTIONS:
        raise HTTPException(404, "Tindakan itu tidak ada.")
    reason = fields.get("reason", "").strip()
    try:
        if action == "force":
            svc.force(seller_id, who, reason)
        elif action == "rollback":
            svc.rollback(seller_id, who, reason)
        else:
            svc.purge(seller_id, who)
    except MigrationError as exc:
        status = status_of(exc)
        return _merchant(request, svc, seller_id, status=status, error=str(exc), reason=reason)
    return RedirectResponse(f"/merchants/{seller_id}?done={quote(action)}", status_code=303)

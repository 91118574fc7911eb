"""The operator's pages, in Indonesian first (English by `?lang=en`, the remembered switch or
the browser; the catalog is `migration/locale/en/LC_MESSAGES/migration.po`), at phone width: progress per category and overall, the
ETA, the moves a run left for the operator (with the command that tries each again), each
merchant's phase (the page refreshes itself), and on a merchant's page the actions:
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
from keranjang.infra.i18n import Catalog, Words
from keranjang.infra.throttle import login_attempt
from keranjang.migration import errors
from keranjang.migration.api import Service, status_of
from keranjang.migration.errors import MigrationError
from keranjang.migration.phases import Phase
from keranjang.migration.reports import retry_command

router = APIRouter(include_in_schema=False)
COOKIE = "kj_migration_operator"
SESSION_SECONDS = 12 * 3600
SALT = "keranjang.migration.operator-session"
MAX_FORM_BYTES = 8 * 1024
MAX_FORM_FIELDS = 10
REFRESH_SECONDS = 5
LOCALE = "id_ID"
JAKARTA = ZoneInfo("Asia/Jakarta")
CATALOG = Catalog("migration", Path(__file__).resolve().parent / "locale", "migration_lang")
MOMENT = {"id": "d MMM y, HH.mm", "en": "d MMM y, HH:mm"}  # the locale's months, always WIB


def N_(text: str) -> str:
    """Marks a text for the catalog where it is defined; it is translated where it is shown."""
    return text


PHASE_LABELS = {
    Phase.PLANNED: N_("Direncanakan"),
    Phase.BOUND: N_("Terikat"),
    Phase.COPYING: N_("Menyalin"),
    Phase.CATCHING_UP: N_("Mengejar"),
    Phase.CUT_OVER: N_("Dialihkan"),
    Phase.VERIFIED: N_("Terverifikasi"),
    Phase.PURGED: N_("Dibersihkan"),
    Phase.ROLLED_BACK: N_("Dikembalikan"),
}
ACTIONS = {
    "force": N_("Paksa pindah"),
    "rollback": N_("Kembalikan ke aplikasi"),
    "purge": N_("Bersihkan"),
}
# A move's history, in the operator's words (an event the table does not know shows its name).
EVENTS = {
    "planned": N_("Masuk rencana migrasi"),
    "bound": N_("Terikat ke toko Keranjang"),
    "copy_started": N_("Mulai menyalin"),
    "copied": N_("Tersalin"),
    "cut_over": N_("Dialihkan"),
    "cutover_abandoned": N_("Peralihan dibatalkan"),
    "cutover_refused": N_("Peralihan ditolak"),
    "mismatch": N_("Verifikasi menemukan selisih"),
    "verified": N_("Terverifikasi"),
    "purged": N_("Dibersihkan"),
    "rolled_back": N_("Dikembalikan ke aplikasi"),
    "forced": N_("Dipaksa pindah oleh operator"),
    "way_back": N_("Jalan kembali disiapkan"),
    "batch_split": N_("Kelompok dipecah; sebagian menunggu putaran berikutnya"),
    "left_for_operator": N_("Ditinggalkan untuk operator"),
    "retried": N_("Dicoba lagi oleh operator"),
}
# What the operator is told of a refusal, by the migration's error class (its English developer
# message follows as the technical detail).
REFUSALS: dict[type[MigrationError], str] = {
    errors.IllegalPhase: N_("Toko ini tidak bisa ke tahap itu dari tahapnya sekarang."),
    errors.NotFound: N_("Penjual itu tidak ada di rencana migrasi atau di toko dalam aplikasi."),
    errors.NotConfirmed: N_(
        "Penjual belum mengonfirmasi pindah; operator bisa memaksa pindah dengan alasan."
    ),
    errors.OverBudget: N_("Perkiraan jeda peralihan melebihi batas; akan dicoba lagi nanti."),
    errors.Mismatch: N_("Verifikasi menemukan kedua sisi tidak sama; lihat rinciannya."),
    errors.WindowClosed: N_(
        "Batas waktu kembali sudah lewat (atau, untuk pembersihan, belum lewat)."
    ),
    errors.Unsettled: N_(
        "Masih ada pencairan atau pengembalian dana yang belum selesai; kembalikan lagi nanti."
    ),
    errors.Claimed: N_("Pekerja lain sedang memindahkan penjual ini; coba lagi sebentar lagi."),
}
REFUSED = N_("Migrasi menolak tindakan ini.")
NO_REASON = N_("Tulis alasannya: alasan disimpan di jurnal migrasi.")
# English messages the app's handlers pass to `error_page`, in the operator's words.
APP_MESSAGES = {
    "the migration's databases cannot be reached now; try again shortly": N_(
        "Basis data migrasi tidak dapat dihubungi sekarang; coba lagi sebentar."
    ),
}
FOREIGN_FORM = N_("Formulir ditolak: kirim dari halaman layanan migrasi ini.")


def wib(at: datetime | None, words: Words = CATALOG.words("id")) -> str:
    """`27 Mar 2024, 16.00 WIB`, with the locale's month names; "-" for no time."""
    if at is None:
        return "-"
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    pattern = MOMENT.get(words.lang, MOMENT["id"])
    return format_datetime(moment, pattern, tzinfo=JAKARTA, locale=words.locale) + " WIB"


def refusal(words: Words, exc: MigrationError) -> str:
    said = next((text for cls, text in REFUSALS.items() if isinstance(exc, cls)), REFUSED)
    return words._(said)


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False
templates.env.globals.update(
    rupiah=lambda amount: format_currency(amount, "IDR", locale=LOCALE),
    phases=list(Phase),
    actions=ACTIONS,
    retry_command=retry_command,
    N_=N_,
)


def render(request: Request, name: str, status: int = 200, /, **context: object) -> HTMLResponse:
    """A page in the operator's language; `?lang=` is remembered for the next pages."""
    words = CATALOG.words_of(request)
    context |= {
        "w": words,
        "_": words._,
        "lang": words.lang,
        "switch": CATALOG.switch_url(request, words),
        "wib": lambda at: wib(at, words),
        "number": lambda n: format_decimal(n, locale=words.locale),
        "phase_label": lambda p: words._(PHASE_LABELS[Phase(p)]),
        "event_label": lambda what: words._(EVENTS[what]) if what in EVENTS else what,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    CATALOG.remember(request, response, words)
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """`message` in Indonesian (a catalog text is worded in the reader's locale)."""
    message = CATALOG.words_of(request)._(APP_MESSAGES.get(message, message))
    return render(request, "error.html", status, status=status, message=message)


def refused_page(request: Request, exc: MigrationError) -> HTMLResponse:
    """A refusal on a page: the operator's words, the developer's message as the detail."""
    said = refusal(CATALOG.words_of(request), exc)
    status = status_of(exc)
    return render(request, "error.html", status, status=status, message=said, detail=str(exc))


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
            raise HTTPException(413, N_("Formulir terlalu besar."))
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS)  # fmt: skip
    except ValueError:
        raise HTTPException(400, N_("Formulir berisi terlalu banyak isian.")) from None
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
        return render(request, "login.html", 401, error=N_("Token operator salah."))
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
    left = svc.left_for_operator(50)
    return render(request, "dashboard.html", status=status, moves=moves, phase=phase, left=left,
                  refresh=REFRESH_SECONDS)  # fmt: skip


@router.get("/merchants/{seller_id}", response_class=HTMLResponse)
def merchant_page(
    request: Request, seller_id: PathId, svc: Service, _who: Operator, done: str | None = None
) -> HTMLResponse:
    try:
        return _merchant(request, svc, seller_id, done=ACTIONS.get(done or ""))
    except MigrationError as exc:
        return refused_page(request, exc)


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
        raise HTTPException(404, N_("Tindakan itu tidak ada."))
    reason = fields.get("reason", "").strip()
    if action != "purge" and not reason:
        said = CATALOG.words_of(request)._(NO_REASON)
        return _merchant(request, svc, seller_id, status=422, error=said, reason=reason)
    try:
        if action == "force":
            svc.force(seller_id, who, reason)
        elif action == "rollback":
            svc.rollback(seller_id, who, reason)
        else:
            svc.purge(seller_id, who)
    except MigrationError as exc:
        said = refusal(CATALOG.words_of(request), exc)
        return _merchant(request, svc, seller_id, status=status_of(exc), error=said,
                         detail=str(exc), reason=reason)  # fmt: skip
    return RedirectResponse(f"/merchants/{seller_id}?done={quote(action)}", status_code=303)

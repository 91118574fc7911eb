"""Who reads the dashboard: a browser signs in once with the regulator's (or an operator's) token
and keeps a signed, dated session cookie holding the role and the token's digest (never the
token), which ends after 12 hours, at sign-out, or as soon as that token changes. A client that
sends `Authorization: Bearer` reads the pages without a session. Forms are refused unless this
monitor's own pages sent them (CSRF), the same rule as the migration's operator pages."""

from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from keranjang.evidence.tokens import is_regulator
from keranjang.infra import secret_files
from keranjang.infra.auth import bearer
from keranjang.infra.credentials import is_operator, token_digest
from keranjang.oversight.errors import InvalidRequest, NotPermitted
from keranjang.oversight.web.auth import regulator_of

COOKIE = "kj_oversight_session"
SESSION_SECONDS = 12 * 3600
SALT = "keranjang.oversight.reader-session"
MAX_FORM_BYTES = 8 * 1024
MAX_FORM_FIELDS = 10


class SignInNeeded(Exception):
    """The page needs a reader; the browser is sent to sign in (not a domain error)."""


@cache
def _secret(path: Path) -> str:
    return secret_files.load_or_create(path)


def _serializer(request: Request) -> URLSafeTimedSerializer:
    data_dir = Path(request.app.state.settings.data_dir)
    return URLSafeTimedSerializer(_secret(data_dir / "oversight-session-key"), salt=SALT)


def role_of(request: Request, token: str | None) -> str | None:
    """`operator` or `regulator` for a token this monitor accepts now, else None."""
    if is_operator(token, request.app.state.settings.admin_token):
        return "operator"
    if is_regulator(token, regulator_of(request)):
        return "regulator"
    return None


def _current_digest(request: Request, role: str) -> str | None:
    expected = (
        request.app.state.settings.admin_token if role == "operator" else regulator_of(request)
    )
    return token_digest(expected) if expected else None


def session_role(request: Request) -> str | None:
    try:
        role, digest = _serializer(request).loads(
            request.cookies.get(COOKIE) or "", max_age=SESSION_SECONDS
        )
    except (BadSignature, ValueError, TypeError):
        return None
    return role if digest == _current_digest(request, str(role)) else None


async def page_reader(request: Request) -> str:
    """The reader of this page (a bearer token or the session); anyone else signs in first."""
    found = role_of(request, await bearer(request.headers.get("authorization")))
    found = found or session_role(request)
    if found is None:
        raise SignInNeeded
    return found


def session_cookie(request: Request, role: str, token: str) -> str:
    return _serializer(request).dumps([role, token_digest(token)])


async def same_origin(request: Request) -> None:
    """Refuse a form another site made a browser send: `Sec-Fetch-Site`, else `Origin` or
    `Referer`, must name this monitor."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        allowed = site in ("same-origin", "none")
    else:
        claimed = request.headers.get("origin") or request.headers.get("referer") or ""
        parts, own = urlsplit(claimed), urlsplit(str(request.base_url))
        allowed = bool(parts.scheme) and (parts.scheme, parts.netloc) == (own.scheme, own.netloc)
    if not allowed:
        raise NotPermitted("Formulir ditolak: kirim dari halaman pemantau ini.")


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form within its limits, read with the standard library."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InvalidRequest("Formulir terlalu besar.")
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS)  # fmt: skip
    except ValueError:
        raise InvalidRequest("Formulir berisi terlalu banyak isian.") from None
    return {name: value[:1000] for name, value in reversed(pairs)}


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this monitor only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


Reader = Annotated[str, Depends(page_reader)]
Form = Annotated[dict[str, str], Depends(form)]
Checked = Depends(same_origin)

"""Session cookies, one way for every audience: the buyer's session, the seller center's and the
attribution a hand-off left in the browser.

Each is HttpOnly (page scripts never read it), SameSite=Lax (other sites' forms do not carry
it; `web.forms` refuses what other origins of the same site send), Secure whenever the shop is
reached over https, and lives as long as its audience says.

A signed cookie (`SignedCookie`) holds a few claims signed with commerce's secret
(itsdangerous) under a salt of its audience, so no audience's cookie can stand in for
another's, and dated on commerce's clock: it is void past its lifetime even if a browser keeps
it. The buyer's session cookie holds the token the buyer service issued instead: the database
already vouches for it and revokes it at log-out, and it stays the bearer token the API takes.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from keranjang.commerce.buying.service import SESSION_DAYS
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.web.deps import commerce_of, settings_of
from keranjang.infra import secret_files

SECRET_FILE = "commerce-secret-key"  # noqa: S105 (a file name, not a secret)
Claims = Mapping[str, str | int]


def signing_secret(settings: CommerceSettings) -> str:
    """Commerce's cookie secret: the configured one, or one made once and kept in the data
    folder (so sessions survive a restart)."""
    return settings.secret_key or _secret_in(settings.data_dir)


@cache
def _secret_in(data_dir: Path) -> str:
    return secret_files.load_or_create(data_dir / SECRET_FILE)


def served_over_https(request: Request) -> bool:
    """This request came over https, or the shop's public address is https (a TLS proxy in
    front may forward plain http)."""
    return request.url.scheme == "https" or settings_of(request).public_url.startswith("https://")


@dataclass(frozen=True)
class SessionCookie:
    """One audience's cookie: its name, lifetime and path, set and cleared with the same
    attributes every time."""

    name: str
    max_age_seconds: int
    path: str = "/"

    def set(self, request: Request, response: Response, value: str) -> None:
        response.set_cookie(
            self.name,
            value,
            max_age=self.max_age_seconds,
            path=self.path,
            httponly=True,
            samesite="lax",
            secure=served_over_https(request),
        )

    def value(self, request: Request) -> str | None:
        return request.cookies.get(self.name) or None

    def clear(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            self.name,
            path=self.path,
            httponly=True,
            samesite="lax",
            secure=served_over_https(request),
        )


@dataclass(frozen=True)
class SignedCookie:
    """A cookie whose value is claims signed under `salt`, with the moment it was issued."""

    cookie: SessionCookie
    salt: str

    def issue(self, request: Request, response: Response, claims: Claims) -> None:
        signed = dict(claims) | {"at": int(_now(request))}
        self.cookie.set(request, response, str(self._serializer(request).dumps(signed)))

    def read(self, request: Request) -> dict[str, Any] | None:
        """The claims, if the cookie is genuine and younger than its lifetime; else None.

        The age is checked here rather than by itsdangerous's timed signer, which reads the
        wall clock: commerce's clock is the one every other deadline uses (and tests move)."""
        value = self.cookie.value(request)
        if value is None:
            return None
        try:
            claims = self._serializer(request).loads(value)
            age = _now(request) - int(claims["at"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if not isinstance(claims, dict) or not 0 <= age <= self.cookie.max_age_seconds:
            return None
        return claims

    def clear(self, request: Request, response: Response) -> None:
        self.cookie.clear(request, response)

    def _serializer(self, request: Request) -> URLSafeSerializer:
        return URLSafeSerializer(signing_secret(settings_of(request)), salt=self.salt)


# The buyer's session: the token BuyingService issued (`pages.buyer.guard` reads and writes it).
BUYER_SESSION = SessionCookie("kj_sesi", SESSION_DAYS * 86_400)


def _now(request: Request) -> float:
    return commerce_of(request).clock.now().timestamp()

"""The attribution cookie: after a hand-off, the buyer's browser carries a signed reference to
the attribution it recorded, so the creator is credited through login, cart and checkout. It
holds only commerce's own row id, signed with commerce's secret (itsdangerous), and expires with
the attribution window."""

from fastapi import Request, Response
from itsdangerous import BadSignature, TimestampSigner

from keranjang.commerce.web.deps import settings_of

ATTRIBUTION_COOKIE = "kj_attr"


def _signer(request: Request) -> TimestampSigner:
    signer: TimestampSigner = request.app.state.attribution_signer
    return signer


def _window_seconds(request: Request) -> int:
    return int(settings_of(request).attribution_window_days) * 86_400


def remember_attribution(request: Request, response: Response, attribution_id: int) -> None:
    value = _signer(request).sign(str(attribution_id)).decode()
    response.set_cookie(
        ATTRIBUTION_COOKIE,
        value,
        max_age=_window_seconds(request),
        httponly=True,
        samesite="lax",
    )


def remembered_attribution(request: Request) -> int | None:
    """The attribution this browser arrived with, if its cookie is genuine and in the window."""
    value = request.cookies.get(ATTRIBUTION_COOKIE)
    if not value:
        return None
    try:
        return int(_signer(request).unsign(value, max_age=_window_seconds(request)))
    except (BadSignature, ValueError):
        return None

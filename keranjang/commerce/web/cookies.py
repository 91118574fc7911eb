"""The attribution cookie: after a hand-off, the buyer's browser carries a signed reference to
the attribution it recorded, so the creator is credited through login, cart and checkout. It
holds only commerce's own ids (the attribution's row and the product it led to, whose page then
greets the visitor as coming from a creator), signed like every session cookie (`web.sessions`, under a
salt of its own), and expires with the attribution window."""

from fastapi import Request, Response

from keranjang.commerce.web.deps import settings_of
from keranjang.commerce.web.sessions import SessionCookie, SignedCookie

ATTRIBUTION_COOKIE = "kj_attr"
ATTRIBUTION_SALT = "keranjang.attribution"


def _cookie(request: Request) -> SignedCookie:
    """The cookie lives as long as the attribution window, which is configured."""
    window_seconds = int(settings_of(request).attribution_window_days) * 86_400
    return SignedCookie(SessionCookie(ATTRIBUTION_COOKIE, window_seconds), ATTRIBUTION_SALT)


def remember_attribution(
    request: Request, response: Response, attribution_id: int, product_id: int
) -> None:
    _cookie(request).issue(request, response, {"a": attribution_id, "p": product_id})


def remembered_attribution(request: Request) -> int | None:
    """The attribution this browser arrived with, if its cookie is genuine and in the window."""
    claims = _cookie(request).read(request)
    if claims is None:
        return None
    try:
        return int(claims["a"])
    except (KeyError, TypeError, ValueError):
        return None


def attributed_product(request: Request) -> int | None:
    """The product the remembered hand-off led to, if the cookie is genuine and in the window."""
    claims = _cookie(request).read(request)
    product = claims.get("p") if claims is not None else None
    return product if isinstance(product, int) else None

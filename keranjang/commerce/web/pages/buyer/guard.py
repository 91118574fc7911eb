"""What every buyer page shares: the session cookie, who is signed in, keeping `next=` on this
shop, and rendering a personal page. Forms and their cross-site check are `web.forms`."""

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from keranjang.commerce.buying.service import BuyingService
from keranjang.commerce.errors import Unauthenticated
from keranjang.commerce.web import rendering
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.forms import origin_of, own_origins
from keranjang.commerce.web.sessions import BUYER_SESSION

# The token BuyingService issued, kept where page scripts cannot read it (see `web.sessions`).
SESSION = BUYER_SESSION
SESSION_COOKIE = SESSION.name
MAX_NEXT_LENGTH = 500


def buying(request: Request) -> BuyingService:
    svc: BuyingService = commerce_of(request).buying
    return svc


# -- the session cookie ------------------------------------------------------------------------


def remember_session(request: Request, response: Response, token: str) -> None:
    SESSION.set(request, response, token)


def forget_session(request: Request, response: Response) -> None:
    SESSION.clear(request, response)


def session_token(request: Request) -> str | None:
    return SESSION.value(request)


def buyer_or_none(request: Request) -> int | None:
    token = session_token(request)
    if token is None:
        return None
    try:
        return buying(request).buyer_id(token)
    except Unauthenticated:
        return None


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def signed_in_buyer(request: Request) -> int:
    """The signed-in buyer; anyone else is sent to log in and brought back afterwards."""
    buyer = buyer_or_none(request)
    if buyer is not None:
        return buyer
    if request.method == "GET":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:  # a form's own address cannot be opened again; go back to the page it was on
        back = local_path(_path_of(request.headers.get("referer", ""), request))
    # FastAPI answers an HTTPException with its status and headers: here, a redirect.
    raise HTTPException(303, "log in first", headers={"Location": login_url(back)})


Shopper = Annotated[int, Depends(signed_in_buyer)]


# -- where to go next ---------------------------------------------------------------------------


def local_path(candidate: str | None, default: str = "/") -> str:
    """`next=` leads only to a path on this shop: an absolute path, not `//host` (another site
    to a browser), no backslash (browsers read `/\\host` as `//host`), no spaces or control
    characters (browsers drop some, which can turn `/\\t/host` into `//host`)."""
    if not candidate or len(candidate) > MAX_NEXT_LENGTH or not candidate.startswith("/"):
        return default
    if candidate.startswith("//") or any(c == "\\" or ord(c) <= 0x20 for c in candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate


def _path_of(url: str, request: Request) -> str:
    """The path (and query) of a URL on this shop; "/" for anything else."""
    if origin_of(url) not in own_origins(request):
        return "/"
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- pages -------------------------------------------------------------------------------------


def personal_page(
    request: Request, name: str, status_code: int = 200, /, **context: object
) -> HTMLResponse:
    """A page about one buyer: never stored by a shared cache, nor kept for the back button."""
    context.setdefault("signed_in", True)
    response = rendering.render(request, name, status_code, **context)
    response.headers["Cache-Control"] = "no-store"
    return response

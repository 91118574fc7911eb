"""What every buyer page shares: the session cookie, who is signed in, the cross-site check on
forms, reading a form, keeping `next=` on this shop, and rendering a personal page."""

from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from keranjang.commerce.buying.service import SESSION_DAYS, BuyingService
from keranjang.commerce.errors import Invalid, NotPermitted, Unauthenticated
from keranjang.commerce.web import rendering
from keranjang.commerce.web.deps import commerce_of, settings_of

SESSION_COOKIE = "kj_sesi"
MAX_FORM_BYTES = 16_384
MAX_FORM_FIELDS = 40
MAX_NEXT_LENGTH = 500
# `Sec-Fetch-Site` values of a request this shop's own pages made (or the buyer typed).
OWN_FETCH_SITES = frozenset({"same-origin", "none"})


def buying(request: Request) -> BuyingService:
    svc: BuyingService = commerce_of(request).buying
    return svc


# -- the session cookie ------------------------------------------------------------------------


def remember_session(request: Request, response: Response, token: str) -> None:
    """The session token BuyingService issued, kept where page scripts cannot read it."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_DAYS * 86_400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_served_over_https(request),
    )


def forget_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_served_over_https(request),
    )


def _served_over_https(request: Request) -> bool:
    """This request came over https, or the shop's public address is https (a TLS proxy in
    front may forward plain http)."""
    public: str = settings_of(request).public_url
    return request.url.scheme == "https" or public.startswith("https://")


def buyer_or_none(request: Request) -> int | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
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


# -- forms -------------------------------------------------------------------------------------


def same_origin(request: Request) -> None:
    """Refuse a form that another site made the buyer's browser post (CSRF).

    The session cookie is SameSite=Lax, which stops other *sites*; but other origins on the same
    site (social on another port of the same host, a sibling subdomain) still get it sent. So a
    post counts only when the browser says it came from this shop: `Sec-Fetch-Site`, which pages
    cannot forge, or else `Origin`, or else `Referer`. A post with none of them is refused: every
    browser that can hold a session sends one. This is the rule of Go's CrossOriginProtection,
    written out here because it is a dozen lines and, unlike per-buyer tokens, it leaves the
    cached product pages free of buyer-specific parts."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        allowed = site in OWN_FETCH_SITES
    else:
        claimed = request.headers.get("origin") or request.headers.get("referer") or ""
        allowed = _origin_of(claimed) in _own_origins(request)
    if not allowed:
        raise NotPermitted(
            "Permintaan ditolak: formulir ini tidak dikirim dari halaman Keranjang. "
            "Buka lagi halamannya di toko dan kirim ulang."
        )


CrossSiteChecked = Depends(same_origin)


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form, first value of each field. Starlette's `request.form()` needs
    python-multipart; these forms are urlencoded, which the standard library reads."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Invalid("Formulir terlalu besar.")
    try:
        parsed = parse_qs(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:
        raise Invalid("Formulir berisi terlalu banyak isian.") from None
    return {name: values[0] for name, values in parsed.items()}


Form = Annotated[dict[str, str], Depends(form_fields)]


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


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def _own_origins(request: Request) -> set[str]:
    return {_origin_of(str(request.base_url)), _origin_of(settings_of(request).public_url)}


def _path_of(url: str, request: Request) -> str:
    """The path (and query) of a URL on this shop; "/" for anything else."""
    if _origin_of(url) not in _own_origins(request):
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

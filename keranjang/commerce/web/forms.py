"""What every form of the shop, the buyer's pages and the seller center shares: the one rule
against cross-site requests, and reading an urlencoded form within its limits."""

from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, Request

from keranjang.commerce.errors import Invalid, NotPermitted
from keranjang.commerce.web.deps import settings_of

MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 40
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", ""})
# `Sec-Fetch-Site` values of a request this shop's own pages made (or the person typed).
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
REFUSED = (
    "Permintaan ditolak: formulir ini tidak dikirim dari halaman Keranjang. Buka lagi "
    "halamannya (di toko atau di Pusat Penjual) dan kirim ulang dari sana."
)


async def same_origin(request: Request) -> None:
    """Refuse a form that another site, or another origin of this site, made a browser post
    (CSRF).

    Session cookies are SameSite=Lax, which stops other *sites*; but other origins on the same
    site (social on another port of the same host, a sibling subdomain) still get them sent. So
    a post counts only when the browser says it came from this shop: `Sec-Fetch-Site`, which
    pages cannot forge, or else `Origin`, or else `Referer`. A post with none of them is refused:
    every browser that can hold a session sends one. This is the rule of Go's
    CrossOriginProtection, written out here because no library of our stack has it and it is a
    dozen lines; unlike per-form tokens it leaves cached pages free of per-person parts."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        allowed = site in OWN_FETCH_SITES
    else:
        claimed = request.headers.get("origin") or request.headers.get("referer") or ""
        allowed = origin_of(claimed) in own_origins(request)
    if not allowed:
        raise NotPermitted(REFUSED)


# For a route's `dependencies=[CrossSiteChecked]`.
CrossSiteChecked = Depends(same_origin)


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form, the first value of each field, read up to `MAX_FORM_BYTES`.

    Read by hand because Starlette's `request.form()` needs python-multipart, which commerce
    does not depend on for forms that are all urlencoded, and the standard library reads that
    encoding well."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        raise Invalid("Kirim formulir sebagai application/x-www-form-urlencoded.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Invalid(f"Formulir terlalu besar (lebih dari {MAX_FORM_BYTES} byte).")
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:
        raise Invalid(f"Formulir berisi lebih dari {MAX_FORM_FIELDS} isian.") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


Form = Annotated[dict[str, str], Depends(form_fields)]


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lowercased; "" for anything that is not absolute."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins(request: Request) -> set[str]:
    """The origins this shop answers on: the one this request came to, and its public one."""
    own = {origin_of(str(request.base_url)), origin_of(settings_of(request).public_url)}
    return own - {""}  # a post that names no origin is never one of ours

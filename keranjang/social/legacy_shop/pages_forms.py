"""What every form of the in-app shop's pages shares: the one rule against cross-site requests,
reading an urlencoded form within its limits, and keeping `next=` on this site."""

from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, Request

from keranjang.social.legacy_shop import domain

MAX_FORM_BYTES = 32 * 1024
MAX_FORM_FIELDS = 40
MAX_FIELD_CHARS = 5_000
MAX_NEXT_LENGTH = 500
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", ""})
# `Sec-Fetch-Site` values of a request this app's own pages made (or the person typed).
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
REFUSED = (
    "Permintaan ditolak: formulir ini tidak dikirim dari halaman aplikasi ini. Buka lagi "
    "halamannya dan kirim ulang dari sana."
)


async def same_origin(request: Request) -> None:
    """Refuse a form another site, or another origin of this site, made a browser post (CSRF).

    The session cookies are SameSite=Lax, which stops other *sites*; other origins of the same
    site (commerce on another port of the same host) still get them sent. So a post counts
    only when the browser says it came from this app: `Sec-Fetch-Site` (pages cannot forge
    it), else `Origin`, else `Referer`; a post with none of them is refused. Go's
    CrossOriginProtection rule, a dozen lines no library of our stack offers; unlike per-form
    tokens it keeps no per-person state in the pages."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        allowed = site in OWN_FETCH_SITES
    else:
        claimed = request.headers.get("origin") or request.headers.get("referer") or ""
        allowed = origin_of(claimed) in own_origins(request)
    if not allowed:
        raise domain.NotPermitted(REFUSED)


# For a route's `dependencies=[CrossSiteChecked]`.
CrossSiteChecked = Depends(same_origin)


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form, the first value of each field, up to `MAX_FORM_BYTES`.

    Parsed with the standard library rather than adding python-multipart for FastAPI's `Form`:
    every form of these pages is urlencoded (no uploads), `parse_qsl` reads that encoding well,
    and the limits on size and field count are ours to state here."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        raise domain.Invalid("Kirim formulir sebagai application/x-www-form-urlencoded.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise domain.Invalid(f"Formulir terlalu besar (lebih dari {MAX_FORM_BYTES} byte).")
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:
        raise domain.Invalid(f"Formulir berisi lebih dari {MAX_FORM_FIELDS} isian.") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value[:MAX_FIELD_CHARS])
    return fields


Form = Annotated[dict[str, str], Depends(form_fields)]


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lowercased; "" for anything not absolute."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins(request: Request) -> set[str]:
    """The origins this app answers on: the one this request came to, and its public one."""
    own = {origin_of(str(request.base_url)), origin_of(request.app.state.settings.public_url)}
    return own - {""}


def local_path(candidate: str | None, default: str = "/legacy/orders") -> str:
    """`next=` leads only to a path of this app: absolute, not `//host` (another site to a
    browser), no backslash (read as `/`), no spaces or control characters."""
    if not candidate or len(candidate) > MAX_NEXT_LENGTH or not candidate.startswith("/"):
        return default
    if candidate.startswith("//") or any(c == "\\" or ord(c) <= 0x20 for c in candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate


def whole_number(text: str, lowest: int, highest: int) -> int | None:
    """A whole number typed in a form ("1.250.000" and "1 250 000" too), within bounds; else
    None (the page says what to type)."""
    digits = text.strip().replace(".", "").replace(" ", "")
    if not digits.isdigit() or not digits.isascii() or len(digits) > 15:
        return None
    value = int(digits)
    return value if lowest <= value <= highest else None

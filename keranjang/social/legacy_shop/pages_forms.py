"""What every form of the in-app shop's pages shares: the one rule against cross-site requests,
reading an urlencoded form within its limits, and keeping `next=` on this site."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from keranjang.infra import forms
from keranjang.infra.forms import origin_of
from keranjang.social.legacy_shop import domain

MAX_FORM_BYTES = 32 * 1024
MAX_FORM_FIELDS = 40
MAX_FIELD_CHARS = 5_000
MAX_NEXT_LENGTH = 500
REFUSED = (
    "Permintaan ditolak: formulir ini tidak dikirim dari halaman aplikasi ini. Buka lagi "
    "halamannya dan kirim ulang dari sana."
)


async def same_origin(request: Request) -> None:
    """Refuse a form another site, or another origin of this site, made a browser post (CSRF):
    the rule in `infra.forms.from_own_pages`, against this app's public URL."""
    if not forms.from_own_pages(request, request.app.state.settings.public_url):
        raise domain.NotPermitted(REFUSED, "cross_site_form")


# For a route's `dependencies=[CrossSiteChecked]`.
CrossSiteChecked = Depends(same_origin)


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form, the first value of each field (each cut at `MAX_FIELD_CHARS`), up to
    `MAX_FORM_BYTES`."""
    try:
        fields = await forms.urlencoded(request, MAX_FORM_BYTES, MAX_FORM_FIELDS)
    except forms.FormRefused as exc:
        raise domain.Invalid(str(exc), "form_refused") from None
    return {name: value[:MAX_FIELD_CHARS] for name, value in fields.items()}


Form = Annotated[dict[str, str], Depends(form_fields)]


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

"""What every form of the shop, the buyer's pages and the seller center shares: the one rule
against cross-site requests, and reading an urlencoded form within its limits."""

from typing import Annotated

from fastapi import Depends, Request

from keranjang.commerce.errors import Invalid, NotPermitted
from keranjang.commerce.web.deps import settings_of
from keranjang.infra import forms
from keranjang.infra.forms import origin_of

MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 40
REFUSED = (
    "Permintaan ditolak: formulir ini tidak dikirim dari halaman Keranjang. Buka lagi "
    "halamannya (di toko atau di Pusat Penjual) dan kirim ulang dari sana."
)


async def same_origin(request: Request) -> None:
    """Refuse a form that another site, or another origin of this site, made a browser post
    (CSRF): the rule in `infra.forms.from_own_pages`, against this shop's public URL."""
    if not forms.from_own_pages(request, settings_of(request).public_url):
        raise NotPermitted(REFUSED, code="cross_site")


# For a route's `dependencies=[CrossSiteChecked]`.
CrossSiteChecked = Depends(same_origin)


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form, the first value of each field, read up to `MAX_FORM_BYTES`."""
    try:
        return await forms.urlencoded(request, MAX_FORM_BYTES, MAX_FORM_FIELDS)
    except forms.FormRefused as exc:
        raise Invalid(str(exc), code="form_unreadable") from None


Form = Annotated[dict[str, str], Depends(form_fields)]


def own_origins(request: Request) -> set[str]:
    """The origins this shop answers on: the one this request came to, and its public one."""
    own = {origin_of(str(request.base_url)), origin_of(settings_of(request).public_url)}
    return own - {""}  # a post that names no origin is never one of ours

"""The viewer's settings page (`/pengaturan`, Indonesian): shopping personalisation on or off.
Off: the feed is newest first and nothing the viewer watches is kept (what was kept is
deleted). A change is posted from this page only (cross-site posts are refused)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.infra import forms
from keranjang.social import domain
from keranjang.social.i18n import N_
from keranjang.social.pages import personalisation, render
from keranjang.social.viewers.api import viewer_or_none

CHOICES = {"nyala": True, "mati": False}
REFUSED = (
    "Permintaan ditolak: formulir ini tidak dikirim dari halaman Keranjang Social. Buka lagi "
    "halaman Pengaturan dan kirim ulang dari sana."
)
SAVED = {"nyala": N_("Personalisasi dinyalakan."), "mati": N_("Personalisasi dimatikan.")}
router = APIRouter(include_in_schema=False)


def _login_url(request: Request) -> str | None:
    """The viewers' sign-in page lives in the in-app shop's frame while it is open."""
    return (
        None if request.app.state.legacy_shop is None else "/legacy/account/login?next=/pengaturan"
    )


@router.get("/pengaturan", response_class=HTMLResponse)
def settings_page(request: Request, saved: str | None = None) -> HTMLResponse:
    viewer = viewer_or_none(request)
    if viewer is None:
        return render(request, "settings.html", 401, viewer=None, login_url=_login_url(request),
                      active="settings")  # fmt: skip
    on = personalisation(request).is_on(viewer.id)
    return render(request, "settings.html", viewer=viewer, on=on, saved=SAVED.get(saved or ""),
                  active="settings")  # fmt: skip


@router.post("/pengaturan", response_class=HTMLResponse)
async def choose(request: Request) -> Response:
    if not forms.from_own_pages(request, request.app.state.settings.public_url):
        raise domain.NotPermitted(REFUSED, "settings_cross_site")
    try:
        form = await forms.urlencoded(request)
    except forms.FormRefused as exc:
        raise domain.Invalid(str(exc), "form_refused") from exc
    viewer = viewer_or_none(request)
    if viewer is None:
        raise domain.Unauthenticated(
            "Masuk dulu untuk mengubah pengaturan personalisasi.", "settings_sign_in"
        )
    choice = form.get("personalisasi", "")
    if choice not in CHOICES:
        raise domain.Invalid(
            "Pilih 'nyala' atau 'mati' untuk personalisasi, lalu simpan.", "personalisation_choice"
        )
    personalisation(request).choose(viewer.id, CHOICES[choice])
    return RedirectResponse(f"/pengaturan?saved={choice}", status_code=303)

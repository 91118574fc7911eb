"""How the in-app shop's pages are drawn: its templates, in the reader's language (social's
catalog: Indonesian first, English by `?lang=`, the remembered switch or the browser), rupiah
and times as people in Indonesia read them (`Rp1.250.000`, `27 Mar 2024, 16.00 WIB`, with the
locale's month names), order states and payment methods in the reader's words, and personal
pages that no shared cache keeps."""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from keranjang.payments import PaymentMethod
from keranjang.social.i18n import N_, Words, page_words, remember, reworded, rupiah, wib, words_of
from keranjang.social.legacy_shop.error_words import STATUS_LABELS, status_label
from keranjang.social.legacy_shop.views import OrderView

__all__ = ["METHODS", "STATUS_LABELS", "render", "rupiah", "wib"]

METHODS = {
    PaymentMethod.VIRTUAL_ACCOUNT: N_("Virtual Account (transfer bank)"),
    PaymentMethod.QRIS: "QRIS",
    PaymentMethod.EWALLET: "E-wallet",
}
ACTORS = {"buyer": N_("Pembeli"), "seller": N_("Penjual"), "partner": N_("Mitra pembayaran")}
SYSTEM = N_("Sistem")
# Reasons the shop itself writes in an order's history (a seller's reason is shown as typed).
SYSTEM_REASONS = {"no payment in time": N_("Tidak dibayar tepat waktu")}
# Texts the page code hands over as they are, worded here in the reader's locale.
WORDED = ("problem", "heading", "message", "detail")


def actor_label(actor: str) -> str:
    """Who moved an order, in the buyer's words."""
    return ACTORS.get(actor.split(":", 1)[0], SYSTEM)


def item_count(order: OrderView) -> int:
    return sum(line.quantity for line in order.lines)


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False  # templates ship with the package; never re-stat them
templates.env.globals.update(rupiah=rupiah, item_count=item_count, methods=METHODS, N_=N_)


def _in_words(words: Words, context: dict[str, object]) -> None:
    """The texts page code gave in Indonesian (`errors`, `notices`, a problem), in the reader's
    locale; texts already worded stay as they are."""
    errors = context["errors"]
    assert isinstance(errors, dict)
    context["errors"] = {k: reworded(words, str(v)) for k, v in errors.items()}
    notices = context.get("notices")
    if isinstance(notices, list):
        context["notices"] = [reworded(words, str(n)) for n in notices]
    for key in WORDED:
        if isinstance(context.get(key), str):
            context[key] = reworded(words, str(context[key]))


def render(
    request: Request, name: str, status_code: int = 200, /, **context: object
) -> HTMLResponse:
    """A page of the shop; personal pages (about one buyer or seller) are never stored by a
    shared cache nor kept for the back button."""
    words = words_of(request)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("viewer", None)
    context.setdefault("seller", None)
    _in_words(words, context)
    context |= page_words(request, words)
    context["status_label"] = lambda status: status_label(words, status)
    context["actor_label"] = lambda actor: words._(actor_label(actor))
    context["reason_label"] = lambda reason: words._(SYSTEM_REASONS.get(str(reason), str(reason)))
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    remember(request, response, words)
    return response

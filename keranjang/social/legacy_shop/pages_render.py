"""How the in-app shop's pages are drawn: its templates, rupiah and times as people in Indonesia
read them (`Rp1.250.000`, `27 Mar 2024, 16.00 WIB`, with Babel's Indonesian month names and the
zone from `zoneinfo`), order states and payment methods in Indonesian, and personal pages that
no shared cache keeps."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from keranjang.payments import PaymentMethod
from keranjang.social.legacy_shop.domain import OrderStatus
from keranjang.social.legacy_shop.views import OrderView

LOCALE = "id_ID"
JAKARTA = ZoneInfo("Asia/Jakarta")  # Western Indonesian Time (UTC+7, no daylight saving)
MOMENT = "d MMM y, HH.mm z"  # `z` is the zone's short name in the locale: WIB

STATUS_LABELS = {
    OrderStatus.AWAITING_PAYMENT: "Menunggu pembayaran",
    OrderStatus.PAID: "Dibayar",
    OrderStatus.SHIPPED: "Dikirim",
    OrderStatus.DELIVERED: "Sampai",
    OrderStatus.COMPLETED: "Selesai",
    OrderStatus.CANCELLED: "Dibatalkan",
    OrderStatus.EXPIRED: "Kedaluwarsa",
    OrderStatus.REFUNDED: "Dana dikembalikan",
}
METHODS = {
    PaymentMethod.VIRTUAL_ACCOUNT: "Virtual Account (transfer bank)",
    PaymentMethod.QRIS: "QRIS",
    PaymentMethod.EWALLET: "E-wallet",
}


def rupiah(amount: int) -> str:
    """`Rp350.000`: whole rupiah, dots between thousands."""
    return format_currency(amount, "IDR", locale=LOCALE)


def wib(at: datetime) -> str:
    """`27 Mar 2024, 16.00 WIB`; a time without a zone is UTC, as the shop stores every time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return format_datetime(at, MOMENT, tzinfo=JAKARTA, locale=LOCALE)


def actor_label(actor: str) -> str:
    """Who moved an order, in the buyer's words."""
    kind = actor.split(":", 1)[0]
    return {"buyer": "Pembeli", "seller": "Penjual", "partner": "Mitra pembayaran"}.get(
        kind, "Sistem"
    )


def item_count(order: OrderView) -> int:
    return sum(line.quantity for line in order.lines)


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False  # templates ship with the package; never re-stat them
templates.env.globals.update(
    rupiah=rupiah,
    wib=wib,
    status_label=lambda status: STATUS_LABELS[OrderStatus(status)],
    actor_label=actor_label,
    item_count=item_count,
    methods=METHODS,
)


def render(
    request: Request, name: str, status_code: int = 200, /, **context: object
) -> HTMLResponse:
    """A page of the shop; personal pages (about one buyer or seller) are never stored by a
    shared cache nor kept for the back button."""
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("viewer", None)
    context.setdefault("seller", None)
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response

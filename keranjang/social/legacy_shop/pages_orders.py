"""The buyer's orders in the app: the list, each order's page (status, lines, address, tracking
number, history in WIB), paying on the partner's page (which sends the buyer back here), the
page waiting for the partner's notification until the order shows paid, and confirming
receipt."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.infra.http_errors import PathId
from keranjang.payments import PaymentMethod
from keranjang.social.i18n import N_
from keranjang.social.legacy_shop import domain
from keranjang.social.legacy_shop.api import Shop
from keranjang.social.legacy_shop.pages_account import Buyer
from keranjang.social.legacy_shop.pages_forms import CrossSiteChecked, Form
from keranjang.social.legacy_shop.pages_render import render
from keranjang.social.legacy_shop.service import LegacyShop
from keranjang.social.legacy_shop.views import PaymentView
from keranjang.social.viewers.domain import Viewer

router = APIRouter(prefix="/legacy", include_in_schema=False)
# While an order waits for the partner's news, its page looks again this often.
WAITING_REFRESH_SECONDS = 3
CHOOSE_METHOD = N_("Pilih metode pembayaran.")
PARTNER_DOWN = N_("Mitra pembayaran sedang tidak bisa dihubungi. Coba lagi sebentar lagi.")
NOT_PAYABLE = N_(
    "Pesanan ini tidak bisa dibayar lagi (sudah dibayar, dibatalkan, atau lewat waktu)."
)
NOT_DELIVERED = N_("Pesanan ini belum sampai, atau sudah selesai.")


def order_url(request: Request, order_id: int) -> str:
    """The order's page at this app's public address (the partner sends the buyer there)."""
    return f"{request.app.state.settings.public_url.rstrip('/')}/legacy/orders/{order_id}"


def start_payment(
    request: Request, viewer: Viewer, legacy: LegacyShop, order_id: int, method: PaymentMethod
) -> PaymentView | None:
    """The order's payment at the partner, or None when the partner cannot be reached now (the
    order stands; its page pays later)."""
    try:
        return legacy.paying.start(
            viewer.id, order_id, method, finish_url=order_url(request, order_id)
        )
    except domain.PartnerDown:
        return None


@router.get("/orders", response_class=HTMLResponse)
def orders(request: Request, viewer: Buyer, legacy: Shop, baru: str = "") -> Response:
    placed = legacy.buying.orders(viewer.id)
    return render(request, "orders.html", viewer=viewer, orders=placed, fresh=bool(baru))


def order_page(
    request: Request, viewer: Viewer, legacy: LegacyShop, order_id: int, /, **context: object
) -> Response:
    order = legacy.buying.order(viewer.id, order_id)
    waiting = order.status is domain.OrderStatus.AWAITING_PAYMENT and order.payment is not None
    status = context.pop("status_code", 200)
    assert isinstance(status, int)
    return render(
        request,
        "order.html",
        status,
        viewer=viewer,
        order=order,
        refresh=WAITING_REFRESH_SECONDS if waiting and not context.get("problem") else None,
        **context,
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order(request: Request, order_id: PathId, viewer: Buyer, legacy: Shop) -> Response:
    return order_page(request, viewer, legacy, order_id)


@router.post("/orders/{order_id}/pay", dependencies=[CrossSiteChecked])
def pay(request: Request, order_id: PathId, form: Form, viewer: Buyer, legacy: Shop) -> Response:
    try:
        method = PaymentMethod(form.get("method", ""))
    except ValueError:
        errors = {"method": CHOOSE_METHOD}
        return order_page(request, viewer, legacy, order_id, status_code=422, errors=errors)
    try:
        payment = legacy.paying.start(
            viewer.id, order_id, method, finish_url=order_url(request, order_id)
        )
    except (domain.Conflict, domain.PartnerDown) as exc:
        problem = PARTNER_DOWN if isinstance(exc, domain.PartnerDown) else NOT_PAYABLE
        return order_page(request, viewer, legacy, order_id, status_code=409, problem=problem)
    if payment.redirect_url:
        return RedirectResponse(payment.redirect_url, status_code=303)
    return RedirectResponse(f"/legacy/orders/{order_id}", status_code=303)


@router.post("/orders/{order_id}/received", dependencies=[CrossSiteChecked])
def received(request: Request, order_id: PathId, viewer: Buyer, legacy: Shop) -> Response:
    try:
        legacy.buying.confirm_received(viewer.id, order_id)
    except domain.Conflict:
        problem = NOT_DELIVERED
        return order_page(request, viewer, legacy, order_id, status_code=409, problem=problem)
    return RedirectResponse(f"/legacy/orders/{order_id}", status_code=303)

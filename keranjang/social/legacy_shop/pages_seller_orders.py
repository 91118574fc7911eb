"""The seller's orders in the app's seller tools: the list (by status), each order's page (the
address to ship to, lines, history in WIB), shipping with a tracking number, marking delivered,
and cancelling with a reason (a paid order's money goes back through the partner). A seller sees
its own orders only: another's is not found."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.infra.http_errors import PathId
from keranjang.social.i18n import N_, words_of
from keranjang.social.legacy_shop import domain
from keranjang.social.legacy_shop.api import Shop
from keranjang.social.legacy_shop.domain import OrderStatus
from keranjang.social.legacy_shop.pages_forms import CrossSiteChecked, Form
from keranjang.social.legacy_shop.pages_seller import Seller, seller_page
from keranjang.social.legacy_shop.selling import MAX_TRACKING
from keranjang.social.legacy_shop.service import LegacyShop

router = APIRouter(prefix="/legacy/seller", include_in_schema=False)
CHANGED = N_("Pesanan ini sudah berubah status; lihat riwayatnya di bawah.")
TRACKING_HINT = N_("Isi nomor resi pengiriman (3 sampai {high} karakter).")
REASON_HINT = N_("Tulis alasan pembatalan (3 sampai 500 huruf): pembeli membacanya.")


@router.get("/orders", response_class=HTMLResponse)
def orders(
    request: Request,
    seller_id: Seller,
    legacy: Shop,
    status: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    chosen = next((s for s in OrderStatus if s.value == status), None)
    listed = legacy.selling.orders(seller_id, chosen)
    return seller_page(
        request, legacy, seller_id, "seller_orders.html", orders=listed, chosen=chosen
    )


def order_page(
    request: Request, legacy: LegacyShop, seller_id: int, order_id: int, /, **context: object
) -> Response:
    order = legacy.selling.order(seller_id, order_id)
    return seller_page(request, legacy, seller_id, "seller_order.html", order=order, **context)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order(request: Request, order_id: PathId, seller_id: Seller, legacy: Shop) -> Response:
    return order_page(request, legacy, seller_id, order_id)


def _done(order_id: int) -> Response:
    return RedirectResponse(f"/legacy/seller/orders/{order_id}", status_code=303)


@router.post("/orders/{order_id}/ship", dependencies=[CrossSiteChecked])
def ship(
    request: Request, order_id: PathId, form: Form, seller_id: Seller, legacy: Shop
) -> Response:
    tracking = form.get("tracking_number", "").strip()
    if not 3 <= len(tracking) <= MAX_TRACKING:
        hint = words_of(request)._(TRACKING_HINT, high=MAX_TRACKING)
        return order_page(
            request,
            legacy,
            seller_id,
            order_id,
            status_code=422,
            errors={"tracking_number": hint},
            values={"tracking_number": tracking},
        )
    try:
        legacy.selling.ship(seller_id, order_id, tracking)
    except domain.Conflict:
        return order_page(request, legacy, seller_id, order_id, status_code=409, problem=CHANGED)
    return _done(order_id)


@router.post("/orders/{order_id}/deliver", dependencies=[CrossSiteChecked])
def deliver(request: Request, order_id: PathId, seller_id: Seller, legacy: Shop) -> Response:
    try:
        legacy.selling.mark_delivered(seller_id, order_id)
    except domain.Conflict:
        return order_page(request, legacy, seller_id, order_id, status_code=409, problem=CHANGED)
    return _done(order_id)


@router.post("/orders/{order_id}/cancel", dependencies=[CrossSiteChecked])
def cancel(
    request: Request, order_id: PathId, form: Form, seller_id: Seller, legacy: Shop
) -> Response:
    reason = form.get("reason", "").strip()
    if not 3 <= len(reason) <= 500:
        hint = REASON_HINT
        return order_page(
            request,
            legacy,
            seller_id,
            order_id,
            status_code=422,
            errors={"reason": hint},
            values={"reason": reason},
        )
    try:
        legacy.selling.cancel(seller_id, order_id, reason)
    except domain.Conflict:
        return order_page(request, legacy, seller_id, order_id, status_code=409, problem=CHANGED)
    return _done(order_id)

"""The seller center's order pages: the shop's orders by status, one order with the steps it
allows (ship with a tracking number, mark delivered, cancel with a reason), and its invoice."""

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.errors import Conflict, IllegalTransition, Invalid, NotFound, RefundRefused
from keranjang.commerce.money.refunding import RefundAsk, RefundService
from keranjang.commerce.orders.domain import TRANSITIONS, OrderStatus, OrderView
from keranjang.commerce.orders.service import FulfilmentService
from keranjang.commerce.web.deps import Fulfilment, Invoices, commerce_of
from keranjang.commerce.web.errors import status_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.i18n import CATALOG, words_of
from keranjang.commerce.web.invoice_rendering import pdf_response, render_html
from keranjang.commerce.web.pages.seller.session import (
    STATUS_LABELS,
    Seller,
    render,
    seller_router,
)
from keranjang.commerce.web.rendering import localised
from keranjang.commerce.web.wording import say
from keranjang.infra.http_errors import PathId

# The order page's labels, which a refusal names a field by.
LABELS = {"tracking_number": "Nomor resi", "reason": "Alasan pembatalan"}
# The longest reason the order history keeps (the seller API's limit).
MAX_REASON = 500
router = seller_router()


@router.get("/orders", response_class=HTMLResponse)
def order_list(request: Request, merchant: Seller, svc: Fulfilment) -> HTMLResponse:
    wanted = request.query_params.get("status") or None
    if wanted is not None and wanted not in STATUS_LABELS:
        raise NotFound(f"no order status {wanted!r}", code="no_status", params={"status": wanted})
    status = None if wanted is None else OrderStatus(wanted)
    listed = svc.merchant_orders(merchant.id, status)
    return render(request, "seller_orders.html", orders=listed, status=status)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request, order_id: PathId, merchant: Seller, svc: Fulfilment
) -> HTMLResponse:
    return _order_page(request, own_order(svc, merchant.id, order_id))


@router.post("/orders/{order_id}/ship", dependencies=[CrossSiteChecked])
def ship(
    request: Request, order_id: PathId, merchant: Seller, svc: Fulfilment, form: Form
) -> Response:
    tracking = form.get("tracking_number", "").strip()
    return _step(request, merchant.id, order_id, lambda: svc.ship(merchant.id, order_id, tracking))


@router.post("/orders/{order_id}/deliver", dependencies=[CrossSiteChecked])
def deliver(request: Request, order_id: PathId, merchant: Seller, svc: Fulfilment) -> Response:
    return _step(request, merchant.id, order_id, lambda: svc.deliver(merchant.id, order_id))


@router.post("/orders/{order_id}/cancel", dependencies=[CrossSiteChecked])
def cancel(
    request: Request, order_id: PathId, merchant: Seller, svc: Fulfilment, form: Form
) -> Response:
    reason = form.get("reason", "")

    def cancel_with_reason() -> object:
        if len(reason) > MAX_REASON:
            raise Invalid(
                f"a cancel reason has at most {MAX_REASON} characters",
                code="reason_too_long",
                params={"max": MAX_REASON},
            )
        return svc.merchant_cancel(merchant.id, order_id, reason)

    return _step(request, merchant.id, order_id, cancel_with_reason)


@router.post("/orders/{order_id}/refund", dependencies=[CrossSiteChecked])
def refund(request: Request, order_id: PathId, merchant: Seller, form: Form) -> Response:
    """Nothing is refunded until the seller chose the items (`scope=items`, with quantities or
    the shipping) or everything (`scope=all`, shipping included), and then confirmed the amount
    on the page this answers first; `confirm=1` is what the confirmation's button sends."""
    refunds: RefundService = commerce_of(request).refunds
    try:
        ask = refund_ask(order_id, merchant.id, form)
        amount = refunds.preview(ask, merchant.id)
    except (Invalid, Conflict, RefundRefused) as exc:
        order = own_order(commerce_of(request).fulfilment, merchant.id, order_id)
        return _order_page(request, order, say(exc, words_of(request), LABELS), status_of(exc))
    if form.get("confirm") != "1":
        order = own_order(commerce_of(request).fulfilment, merchant.id, order_id)
        asked = {k: v for k, v in form.items() if k in ("scope", "shipping", "reason") or _q(k)}
        confirming = RefundConfirmation(amount, asked, ask.quantities is None)
        return _order_page(request, order, confirming=confirming)
    return _step(request, merchant.id, order_id, lambda: refunds.refund(ask, merchant.id))


@dataclass(frozen=True)
class RefundConfirmation:
    """What the seller confirms: the amount, and the form's fields sent again with `confirm`."""

    amount_idr: int
    fields: dict[str, str]
    everything: bool


def refund_ask(order_id: int, merchant_id: int, form: dict[str, str]) -> RefundAsk:
    """The refund the form asks for, or `Invalid` saying what to choose."""
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid(
            f"write a refund reason of at most {MAX_REASON} characters",
            code="refund_reason",
            params={"max": MAX_REASON},
        )
    scope = form.get("scope", "")
    actor = f"merchant:{merchant_id}"
    if scope == "all":
        return RefundAsk(order_id, actor, reason)
    if scope != "items":
        raise Invalid("choose the items to refund, or everything", code="refund_scope")
    quantities = _quantities(form)
    shipping = form.get("shipping") == "1"
    if not quantities and not shipping:
        raise Invalid("give quantities to refund, or the shipping", code="refund_what")
    return RefundAsk(order_id, actor, reason, quantities, shipping)


def _q(name: str) -> bool:
    return name.startswith("q_")


def _quantities(form: dict[str, str]) -> dict[int, int]:
    asked = {}
    for name, value in form.items():
        if _q(name) and value.strip() not in ("", "0"):
            try:
                asked[int(name[2:])] = int(value)
            except ValueError:
                raise Invalid(
                    "a refunded quantity is a whole number", code="refund_whole"
                ) from None
    return asked


@router.get("/orders/{order_id}/invoice", response_class=HTMLResponse)
def invoice(request: Request, order_id: PathId, merchant: Seller, svc: Invoices) -> HTMLResponse:
    """The invoice page, its links to the seller center's own PDF and order page."""
    issued = svc.for_merchant(merchant.id, order_id)
    here = f"/seller/orders/{order_id}"
    words = words_of(request)
    switch = CATALOG.switch_url(request, words)
    pdf = f"{here}/invoice.pdf"
    html = render_html(issued, pdf_path=pdf, back_path=here, words=words, switch=switch)
    return localised(request, HTMLResponse(html), words)


@router.get("/orders/{order_id}/invoice.pdf")
def invoice_pdf(request: Request, order_id: PathId, merchant: Seller, svc: Invoices) -> Response:
    return pdf_response(svc.for_merchant(merchant.id, order_id), words_of(request))


def _order_page(
    request: Request,
    order: OrderView,
    problem: str = "",
    status_code: int = 200,
    confirming: RefundConfirmation | None = None,
) -> HTMLResponse:
    allowed = TRANSITIONS[OrderStatus(order.status)]
    context: dict[str, object] = {"allowed": allowed, "problem": problem, "confirming": confirming}
    if OrderStatus.REFUNDED in allowed and confirming is None:
        context["everything_idr"] = _everything(request, order)
    return render(request, "seller_order.html", status_code, order=order, **context)


def _everything(request: Request, order: OrderView) -> int | None:
    """What refunding everything left would return, or None when nothing can be refunded."""
    refunds: RefundService = commerce_of(request).refunds
    try:
        return refunds.preview(RefundAsk(order.id, "preview", "-"), order.merchant_id)
    except (Invalid, Conflict):
        return None


def _step(
    request: Request, merchant_id: int, order_id: int, step: Callable[[], object]
) -> Response:
    """Take a fulfilment step and go back to the order; a refusal (a move the order's state does
    not allow, a bad input) is shown on the order's page, with the order as it was."""
    try:
        step()
    except (Invalid, Conflict, IllegalTransition, RefundRefused) as exc:
        order = own_order(commerce_of(request).fulfilment, merchant_id, order_id)
        return _order_page(request, order, say(exc, words_of(request), LABELS), status_of(exc))
    return RedirectResponse(f"/seller/orders/{order_id}", status_code=303)


def own_order(svc: FulfilmentService, merchant_id: int, order_id: int) -> OrderView:
    """One of the shop's orders; another shop's is not found."""
    try:
        return svc.merchant_order(merchant_id, order_id)
    except NotFound:
        raise NotFound(
            f"no order with id {order_id} in your shop",
            code="not_your_shop_order",
            params={"id": order_id},
        ) from None

"""A buyer's orders in the browser: the list, one order (paying, cancelling, the invoice), and
the page the partner's pay page sends the buyer back to, which keeps checking until the
partner's notification has marked the order paid."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.catalog.domain import Merchant
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.errors import (
    Conflict,
    IllegalTransition,
    Invalid,
    NotFound,
    PaymentUnavailable,
)
from keranjang.commerce.money import invoices
from keranjang.commerce.money.domain import Choice, PaymentView
from keranjang.commerce.money.paying import PayingService
from keranjang.commerce.money.settlement import SettlementService
from keranjang.commerce.orders.domain import OrderView
from keranjang.commerce.orders.service import FulfilmentService
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.i18n import CATALOG, words_of
from keranjang.commerce.web.invoice_rendering import pdf_response, render_html
from keranjang.commerce.web.pages.buyer.guard import Shopper, personal_page
from keranjang.commerce.web.rendering import ShopPageRoute, localised
from keranjang.commerce.web.wording import STATUS_NAMES, note
from keranjang.infra.http_errors import PathId
from keranjang.payments import PaymentMethod

router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)
STATUS_LABELS = STATUS_NAMES
# How a buyer may pay, as the forms offer it: a virtual account at a chosen bank, QRIS, e-wallet.
METHODS = {
    "virtual_account:bca": "Virtual Account BCA",
    "virtual_account:bni": "Virtual Account BNI",
    "virtual_account:bri": "Virtual Account BRI",
    "virtual_account:permata": "Virtual Account Permata",
    "qris": "QRIS",
    "ewallet": "E-wallet (GoPay)",
}
DEFAULT_METHOD = "virtual_account:bca"


def read_choice(value: str) -> Choice | None:
    """The form's method (`virtual_account` alone: the partner's default bank), or None."""
    if value not in METHODS and value != PaymentMethod.VIRTUAL_ACCOUNT.value:
        return None
    method, _, bank = value.partition(":")
    return Choice(PaymentMethod(method), bank or None)


def choice_value(payment: PaymentView | None) -> str | None:
    """The form's value for the method (and bank) a payment has, if the forms offer it."""
    if payment is None:
        return None
    account: object = payment.instructions.get("virtual_account") or {}
    bank = str(account.get("bank", "")).lower() if isinstance(account, dict) else ""
    value = f"{payment.method}:{bank}" if bank else payment.method
    return value if value in METHODS else None


def method_label(choice: Choice) -> str:
    value = f"{choice.method.value}:{choice.va_bank}" if choice.va_bank else choice.method.value
    return METHODS.get(value, "Virtual Account")


# Statuses of an order that was paid, so it has an invoice.
INVOICED = frozenset({"paid", "shipped", "delivered", "completed", "refunded"})
# What the partner's pay page says when it sends the buyer back after paying.
PAID_OUTCOMES = frozenset({"settlement", "capture"})
CHECK_EVERY_SECONDS = 2
MAX_CHECKS = 60
PageNumber = Annotated[int, Query(ge=0, le=10_000)]


def shops(request: Request) -> dict[int, Merchant]:
    catalog: CatalogService = commerce_of(request).catalog
    return {m.id: m for m in catalog.merchants()}


def fulfilment(request: Request) -> FulfilmentService:
    svc: FulfilmentService = commerce_of(request).fulfilment
    return svc


def order_context(request: Request) -> dict[str, object]:
    words = words_of(request)

    def noted(reason: str) -> str:
        return note(reason, words, STATUS_LABELS)

    return {"shops": shops(request), "labels": STATUS_LABELS, "note": noted}


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    buyer: Shopper,
    transaction_status: Annotated[str, Query(max_length=40)] = "",
    check: PageNumber = 0,
) -> Response:
    """The buyer's orders. Back from paying a checkout's one payment, the page checks again
    until the partner's news has marked its orders paid."""
    mine = fulfilment(request).buyer_orders(buyer)
    waiting = transaction_status in PAID_OUTCOMES and any(
        o.status == "awaiting_payment" for o in mine
    )
    refresh = None
    if waiting and check < MAX_CHECKS:
        refresh = "/orders?" + urlencode(dict(request.query_params) | {"check": check + 1})
    context = {"waiting": waiting, "refresh": refresh, "refresh_seconds": CHECK_EVERY_SECONDS}
    return personal_page(request, "orders.html", orders=mine, **context, **order_context(request))


def _order(request: Request, buyer: int, order_id: int) -> OrderView:
    try:
        return fulfilment(request).buyer_order(buyer, order_id)
    except NotFound:
        raise NotFound("no such order in your account", code="not_your_order") from None


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request,
    order_id: PathId,
    buyer: Shopper,
    transaction_status: Annotated[str, Query(max_length=40)] = "",
    check: PageNumber = 0,
) -> Response:
    order = _order(request, buyer, order_id)
    unpaid = order.status == "awaiting_payment"
    waiting = unpaid and transaction_status in PAID_OUTCOMES
    refresh = None
    paying: PayingService = commerce_of(request).paying
    current = choice_value(paying.payment_of(buyer, order_id)) if unpaid else None
    if waiting and check < MAX_CHECKS:
        refresh = f"/orders/{order_id}?transaction_status={transaction_status}&check={check + 1}"
    return personal_page(
        request,
        "order.html",
        order=order,
        unpaid=unpaid,
        waiting=waiting,
        gave_up=waiting and refresh is None,
        payment_failed=unpaid and transaction_status in {"cancel", "deny", "expire"},
        refresh=refresh,
        refresh_seconds=CHECK_EVERY_SECONDS,
        invoiced=bool(order.invoice_number) or order.status in INVOICED,
        methods=METHODS,
        refunds_waiting=_refunds_waiting(request, buyer, order_id),
        current_method=current,
        chosen_method=current or DEFAULT_METHOD,
        **order_context(request),
    )


def _refunds_waiting(request: Request, buyer: int, order_id: int) -> list[object]:
    """Refunds of this order that wait for the buyer's bank account (a bank-transfer payment)."""
    svc = commerce_of(request).bank_refunds
    return [r for r in svc.waiting(buyer) if r.order_id == order_id] if svc else []


@router.post("/orders/{order_id}/pay", dependencies=[CrossSiteChecked])
def pay(request: Request, order_id: PathId, form: Form, buyer: Shopper) -> Response:
    """To the partner's pay page: the same payment again if one of this method was started;
    one of another method is replaced by one of the method chosen now."""
    method = read_choice(form.get("method", ""))
    if method is None:
        raise Invalid("choose a payment method", code="pick_method")
    try:
        payment = start_payment(request, buyer, order_id, method)
    except NotFound:
        raise NotFound("no such order in your account", code="not_your_order") from None
    except Conflict:
        raise Conflict("the order is not awaiting payment", code="not_payable") from None
    if payment is None:
        raise PaymentUnavailable("the payment partner cannot be reached", code="partner_down")
    return RedirectResponse(payment.instructions.get("redirect_url") or f"/orders/{order_id}", 303)


def start_payment(
    request: Request, buyer: int, order_id: int, method: Choice
) -> PaymentView | None:
    """The order's payment at the partner, or None while the partner cannot take it (a second
    press of the button gets the payment the first one stored)."""
    paying: PayingService = commerce_of(request).paying
    try:
        return paying.start(buyer, order_id, method)
    except PaymentUnavailable:
        return None


@router.post("/orders/{order_id}/cancel", dependencies=[CrossSiteChecked])
def cancel(request: Request, order_id: PathId, form: Form, buyer: Shopper) -> Response:
    reason = form.get("reason", "").strip()[:500] or "dibatalkan pembeli"
    try:
        fulfilment(request).buyer_cancel(buyer, order_id, reason)
    except NotFound:
        raise NotFound("no such order in your account", code="not_your_order") from None
    except Conflict:
        raise Conflict(
            "a paid order is cancelled by its shop", code="buyer_cancel_unpaid_only"
        ) from None
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


@router.post("/orders/{order_id}/received", dependencies=[CrossSiteChecked])
def received(request: Request, order_id: PathId, buyer: Shopper) -> Response:
    """The buyer confirms the goods arrived: the order completes."""
    settlement: SettlementService = commerce_of(request).settlement
    try:
        settlement.confirm_received(buyer, order_id)
    except NotFound:
        raise NotFound("no such order in your account", code="not_your_order") from None
    except IllegalTransition:
        raise Conflict(
            "an order is received once delivered", code="receive_after_delivery"
        ) from None
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


# -- the invoice ---------------------------------------------------------------------------------


def _invoice(request: Request, buyer: int, order_id: int) -> invoices.Invoice:
    svc: invoices.InvoiceService = commerce_of(request).invoices
    try:
        return svc.for_buyer(buyer, order_id)
    except NotFound:
        raise NotFound("no such order in your account", code="not_your_order") from None
    except Conflict:
        raise Conflict("no invoice before payment", code="invoice_after_payment") from None


@router.get("/orders/{order_id}/invoice", response_class=HTMLResponse)
def invoice_page(request: Request, order_id: PathId, buyer: Shopper) -> Response:
    words = words_of(request)
    switch = CATALOG.switch_url(request, words)
    html = render_html(_invoice(request, buyer, order_id), words=words, switch=switch)
    return localised(request, HTMLResponse(html, headers={"Cache-Control": "no-store"}), words)


@router.get("/orders/{order_id}/invoice.pdf")
def invoice_pdf(request: Request, order_id: PathId, buyer: Shopper) -> Response:
    return pdf_response(_invoice(request, buyer, order_id), words_of(request))

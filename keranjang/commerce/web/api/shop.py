"""The buyer's JSON API: accounts, the cart, checkout and orders."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from keranjang.commerce.buying.domain import COURIERS, MAX_QUANTITY, CartLine
from keranjang.commerce.errors import Invalid, PaymentUnavailable, Unauthenticated
from keranjang.commerce.money.domain import Choice
from keranjang.commerce.money.invoices import Invoice
from keranjang.commerce.money.paying import PlacedOrder
from keranjang.commerce.money.paying_together import pay_together
from keranjang.commerce.web.api.views import (
    InvoiceOut,
    OrderDetailOut,
    OrderOut,
    PaymentOut,
    invoice_out,
    order_detail_out,
    order_out,
    payment_out,
    with_payment,
)
from keranjang.commerce.web.cookies import remembered_attribution
from keranjang.commerce.web.deps import Buying, Fulfilment, Invoices, Paying
from keranjang.commerce.web.errors import ApiRoute
from keranjang.commerce.web.i18n import words_of
from keranjang.commerce.web.invoice_rendering import pdf_filename, render_pdf
from keranjang.commerce.web.wording import word
from keranjang.infra.auth import bearer
from keranjang.infra.http_errors import MAX_ID, PathId
from keranjang.infra.throttle import login_attempt
from keranjang.payments import NotificationRejected, PaymentMethod


class SignUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254, examples=["siti@example.com"])
    name: str = Field(max_length=120, examples=["Siti Rahma"])
    password: str = Field(max_length=200)


class LogInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class SessionOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'.")


class QuantityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="0 removes the product.")


class CartLineOut(BaseModel):
    product_id: int
    merchant_id: int
    title: str
    unit_price_idr: int
    quantity: int
    amount_idr: int


class CartOut(BaseModel):
    lines: list[CartLineOut]
    subtotal_idr: int


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recipient: str = Field(min_length=1, max_length=120)
    phone: str = Field(pattern=r"^\+?[0-9]{8,15}$")
    street: str = Field(min_length=3, max_length=300)
    city: str = Field(min_length=2, max_length=80)
    postal_code: str = Field(pattern=r"^[0-9]{5}$")


class SavedAddressIn(AddressIn):
    label: str = Field(default="Rumah", max_length=40, examples=["Rumah", "Kantor"])


class SavedAddressOut(BaseModel):
    id: int
    label: str
    recipient: str
    phone: str
    street: str
    city: str
    postal_code: str


VA_BANKS = r"^(bca|bni|bri|permata|cimb)$"  # what Midtrans bank_transfer and Xendit both take


class CheckoutIn(BaseModel):
    """Ship to `shipping_address`, or to a saved address by `address_id`: exactly one."""

    model_config = ConfigDict(extra="forbid")
    shipping_address: AddressIn | None = None
    address_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    payment_method: PaymentMethod | None = Field(
        default=None,
        description="virtual_account, qris or ewallet: each order's payment is created at the "
        "partner at once and answered as `payment` (else pay later: POST /api/orders/{id}/payment); "
        "a cart across shops is paid at one partner payment, each order's `payment` its share",
    )
    va_bank: str | None = Field(
        default=None,
        pattern=VA_BANKS,
        description="the bank of the virtual account (with payment_method virtual_account)",
    )
    courier: str | None = Field(
        default=None,
        description="the courier, whose flat price is each shop's shipping (see GET /api/couriers)",
    )


def current_buyer(svc: Buying, token: Annotated[str | None, Depends(bearer)]) -> int:
    return svc.buyer_id(token)


Buyer = Annotated[int, Depends(current_buyer)]
log = structlog.get_logger(__name__)
router = APIRouter(tags=["buying"], route_class=ApiRoute)


@router.post("/api/buyers", status_code=201, response_model=SessionOut)
def sign_up(body: SignUpIn, svc: Buying) -> SessionOut:
    return SessionOut(token=svc.sign_up(body.email, body.name, body.password))


@router.post("/api/buyers/sessions", status_code=201, response_model=SessionOut)
def log_in(body: LogInIn, svc: Buying, request: Request) -> SessionOut:
    with login_attempt(request, body.email, Unauthenticated):
        return SessionOut(token=svc.log_in(body.email, body.password))


def cart_out(lines: list[CartLine]) -> CartOut:
    return CartOut(
        lines=[
            CartLineOut(**line.__dict__, amount_idr=line.amount_idr)  # frozen dataclass fields
            for line in lines
        ],
        subtotal_idr=sum(line.amount_idr for line in lines),
    )


@router.get("/api/cart", response_model=CartOut)
def cart(buyer: Buyer, svc: Buying) -> CartOut:
    return cart_out(svc.cart(buyer))


@router.put("/api/cart/items/{product_id}", response_model=CartOut)
def set_quantity(
    product_id: PathId, body: QuantityIn, buyer: Buyer, svc: Buying, request: Request
) -> CartOut:
    svc.set_quantity(buyer, product_id, body.quantity, remembered_attribution(request))
    return cart_out(svc.cart(buyer))


@router.get("/api/addresses", response_model=list[SavedAddressOut])
def my_addresses(buyer: Buyer, svc: Buying) -> list[SavedAddressOut]:
    return [SavedAddressOut.model_validate(a, from_attributes=True) for a in svc.addresses(buyer)]


@router.post("/api/addresses", status_code=201, response_model=SavedAddressOut)
def save_address(body: SavedAddressIn, buyer: Buyer, svc: Buying) -> SavedAddressOut:
    saved = svc.add_address(buyer, body.label, body.model_dump(exclude={"label"}))
    return SavedAddressOut.model_validate(saved, from_attributes=True)


@router.delete("/api/addresses/{address_id}", status_code=204)
def delete_address(address_id: PathId, buyer: Buyer, svc: Buying) -> None:
    svc.delete_address(buyer, address_id)


class CourierOut(BaseModel):
    code: str
    name: str
    price_idr: int
    days: str


@router.get("/api/couriers", response_model=list[CourierOut], summary="Couriers and their price")
def couriers() -> list[CourierOut]:
    """What `courier` at checkout may be; its price is each shop's shipping."""
    return [CourierOut(**c.__dict__) for c in COURIERS.values()]


def refused_checkout(request: Request, refusal: dict[str, Any], status: int) -> JSONResponse:
    """A stored refusal as answered again, its message in this request's language."""
    kind = re.sub(r"(?<!^)(?=[A-Z])", "_", str(refusal.get("error", ""))).lower()
    codes = [str(refusal.get("code", "")), kind]
    message = word(codes, refusal.get("params") or {}, words_of(request))
    return JSONResponse(refusal | {"message": message}, status_code=status)


@router.post(
    "/api/checkout",
    status_code=201,
    summary="Turn the cart into one order per merchant, holding the stock",
    responses={409: {"description": "Out of stock, or the same key is still in progress"}},
)
async def checkout(
    request: Request,
    body: CheckoutIn,
    token: Annotated[str | None, Depends(bearer)],
    *,
    svc: Buying,
    paying: Paying,
    idempotency_key: Annotated[
        str,
        Header(
            min_length=8,
            max_length=100,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="A new random key per checkout; retries with it get the same answer.",
        ),
    ],
) -> JSONResponse:
    """Async: the checkout waits for its group's transaction (`placing`) without holding a
    worker thread; only the calls to the payment partner take one."""
    if (body.shipping_address is None) == (body.address_id is None):
        raise Invalid(
            "give either shipping_address or address_id (a saved address)",
            code="address_either",
        )
    answer = await svc.checkout_with_token(
        token, idempotency_key, body.model_dump(exclude_none=True)
    )
    if answer.status_code != 201:
        return refused_checkout(request, answer.body, answer.status_code)
    if body.payment_method is None:
        return JSONResponse(answer.body, status_code=answer.status_code)
    assert answer.buyer_id is not None, "a placed checkout names its buyer"
    orders = answer.body["orders"]
    placed = [placed_order(o) for o in orders]
    choice = Choice(body.payment_method, body.va_bank)
    if len(placed) > 1:  # a cart across shops: one payment for all its orders
        outcomes = await run_in_threadpool(pay_together, paying, answer.buyer_id, placed, choice)
    else:
        outcomes = await run_in_threadpool(
            paying.pay_placed_orders,
            answer.buyer_id,
            placed,
            choice,
            answer.replayed,
        )
    paid = [with_payment(o, p) for o, p in zip(orders, outcomes, strict=True)]
    return JSONResponse(answer.body | {"orders": paid}, status_code=201)


def placed_order(order: dict[str, Any]) -> PlacedOrder:
    """An order of a checkout answer, as paying needs it (read from the answer: no query)."""
    hold = datetime.fromisoformat(order["hold_expires_at"])
    return PlacedOrder(order["id"], order["number"], order["total_idr"], hold)


class BuyerCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


@router.get("/api/orders")
def my_orders(buyer: Buyer, svc: Fulfilment) -> list[OrderOut]:
    return [order_out(o) for o in svc.buyer_orders(buyer)]


@router.get("/api/orders/{order_id}")
def my_order(order_id: PathId, buyer: Buyer, svc: Fulfilment) -> OrderDetailOut:
    return order_detail_out(svc.buyer_order(buyer, order_id))


@router.post("/api/orders/{order_id}/cancel")
def cancel_my_order(
    order_id: PathId, body: BuyerCancelIn, buyer: Buyer, svc: Fulfilment
) -> OrderOut:
    return order_out(svc.buyer_cancel(buyer, order_id, body.reason))


def invoice_pdf_response(invoice: Invoice) -> Response:
    return Response(
        render_pdf(invoice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf_filename(invoice)}"'},
    )


@router.get(
    "/api/orders/{order_id}/invoice",
    response_model=InvoiceOut,
    summary="The paid order's invoice (409 while unpaid)",
    responses={200: {"content": {"application/pdf": {}}}},
)
def my_invoice(
    order_id: PathId, buyer: Buyer, svc: Invoices, format: Literal["json", "pdf"] = "json"
) -> Response:
    invoice = svc.for_buyer(buyer, order_id)
    if format == "pdf":
        return invoice_pdf_response(invoice)
    return JSONResponse(invoice_out(invoice).model_dump(mode="json"))


class PayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: PaymentMethod = Field(
        description="virtual_account, qris or ewallet: an unpaid payment of another method (or "
        "another va_bank) is replaced by one of this"
    )
    va_bank: str | None = Field(default=None, pattern=VA_BANKS)


@router.post("/api/orders/{order_id}/payment", summary="Pay an unpaid order through the partner")
def pay(order_id: PathId, body: PayIn, buyer: Buyer, svc: Paying) -> PaymentOut:
    return payment_out(svc.start(buyer, order_id, Choice(body.method, body.va_bank)))


@router.post(
    "/payments/notifications",
    tags=["payments"],
    summary="The payment partner's signed notifications (handled once each)",
)
async def payment_notification(request: Request, svc: Paying) -> JSONResponse:
    body = await request.body()
    try:
        outcome = await run_in_threadpool(svc.notified, dict(request.headers), body)
    except NotificationRejected as exc:
        log.warning("payment_notification_rejected", reason=str(exc))
        return JSONResponse({"error": "NotificationRejected", "detail": str(exc)}, 400)
    except PaymentUnavailable as exc:  # the partner retries a notification that was not taken
        return JSONResponse({"error": "PaymentUnavailable", "detail": str(exc)}, 503)
    return JSONResponse({"outcome": outcome})

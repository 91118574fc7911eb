"""The seller center's API (token-authenticated): a merchant's own products and orders."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from keranjang.commerce.catalog.domain import ProductChange
from keranjang.commerce.money.domain import BankAccount, PayoutAccount
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.commerce.web.api.catalog import Merchant, ProductOut, product_out
from keranjang.commerce.web.api.shop import invoice_pdf_response
from keranjang.commerce.web.api.views import InvoiceOut, OrderOut, invoice_out, order_out
from keranjang.commerce.web.deps import Catalog, Fulfilment, PayoutAccounts, commerce_of
from keranjang.commerce.web.errors import ApiRoute
from keranjang.infra.http_errors import PathId


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking_number: str = Field(max_length=64, examples=["JNE-1234567890"])


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=500, examples=["Stok rusak saat dikemas"])


class ProductChangeIn(BaseModel):
    """Only the fields sent change; send null (or "" for text) to remove an optional field."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    price_idr: int | None = None
    stock: int | None = Field(default=None, ge=0, le=10_000_000)
    category: str | None = Field(default=None, max_length=60)
    image_url: str | None = Field(default=None, max_length=500)
    hs_code: str | None = Field(default=None, max_length=13)
    origin_country: str | None = Field(default=None, max_length=2)
    cross_border: bool | None = None
    fob_usd_cents: int | None = None
    npb_number: str | None = Field(default=None, max_length=64)
    sni_number: str | None = Field(default=None, max_length=64)
    halal_number: str | None = Field(default=None, max_length=64)
    commission_bp: int | None = None


class PayoutAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bank_code: str = Field(max_length=10, examples=["BCA"], description="3-10 letters or digits")
    account_number: str = Field(max_length=20, examples=["1234567890"], description="5-20 digits")
    holder_name: str = Field(max_length=120, examples=["Sekar Ayu"])


class PayoutAccountOut(BaseModel):
    merchant_id: int
    bank_code: str
    account_number: str
    holder_name: str
    updated_at: datetime


def payout_account_out(account: PayoutAccount) -> PayoutAccountOut:
    return PayoutAccountOut(
        merchant_id=account.payee_id,
        bank_code=account.bank.bank_code,
        account_number=account.bank.account_number,
        holder_name=account.bank.holder_name,
        updated_at=account.updated_at,
    )


router = APIRouter(prefix="/api/seller", tags=["seller center"], route_class=ApiRoute)


@router.get("/orders")
def orders(
    merchant: Merchant, svc: Fulfilment, status: OrderStatus | None = None
) -> list[OrderOut]:
    return [order_out(o) for o in svc.merchant_orders(merchant.id, status)]


@router.post("/orders/{order_id}/ship")
def ship(order_id: PathId, body: ShipIn, merchant: Merchant, svc: Fulfilment) -> OrderOut:
    return order_out(svc.ship(merchant.id, order_id, body.tracking_number))


@router.post("/orders/{order_id}/deliver")
def deliver(order_id: PathId, merchant: Merchant, svc: Fulfilment) -> OrderOut:
    return order_out(svc.deliver(merchant.id, order_id))


@router.post("/orders/{order_id}/cancel")
def cancel(order_id: PathId, body: CancelIn, merchant: Merchant, svc: Fulfilment) -> OrderOut:
    return order_out(svc.merchant_cancel(merchant.id, order_id, body.reason))


@router.get(
    "/orders/{order_id}/invoice",
    response_model=InvoiceOut,
    summary="A paid order's invoice (409 while unpaid)",
    responses={200: {"content": {"application/pdf": {}}}},
)
def invoice(
    order_id: PathId,
    merchant: Merchant,
    request: Request,
    format: Literal["json", "pdf"] = "json",
) -> Response:
    found = commerce_of(request).invoices.for_merchant(merchant.id, order_id)
    if format == "pdf":
        return invoice_pdf_response(found)
    return JSONResponse(invoice_out(found).model_dump(mode="json"))


@router.patch("/products/{product_id}", response_model=ProductOut)
def change_product(
    product_id: PathId,
    body: ProductChangeIn,
    merchant: Merchant,
    svc: Catalog,
    request: Request,
) -> ProductOut:
    sent = body.model_dump(exclude_unset=True)
    changes = ProductChange(
        **{name: value for name, value in sent.items() if value is not None},
        cleared=frozenset(name for name, value in sent.items() if value is None),
    )
    return product_out(request, svc.change_product(merchant, product_id, changes))


@router.get(
    "/payout-account",
    summary="Where the shop's payouts go (404 until one is set)",
    response_model=PayoutAccountOut,
)
def payout_account(merchant: Merchant, svc: PayoutAccounts) -> PayoutAccountOut:
    return payout_account_out(svc.get(merchant.id))


@router.put(
    "/payout-account",
    summary="Set or replace where the shop's payouts go",
    response_model=PayoutAccountOut,
)
def set_payout_account(
    body: PayoutAccountIn, merchant: Merchant, svc: PayoutAccounts
) -> PayoutAccountOut:
    bank = BankAccount(body.bank_code, body.account_number, body.holder_name)
    return payout_account_out(svc.put(merchant.id, bank))

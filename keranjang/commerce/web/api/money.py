"""The money API: a buyer confirms receipt (the order completes), a seller refunds (full or
partial) through the payment partner, and operators read the ledger's balances and reconcile
payments with the partner."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from keranjang.commerce.money.domain import RefundStatus
from keranjang.commerce.money.reconciliation import ReconciliationService
from keranjang.commerce.money.refunding import RefundAsk
from keranjang.commerce.web.api.catalog import Merchant, require_admin
from keranjang.commerce.web.api.shop import Buyer
from keranjang.commerce.web.api.views import OrderOut, RefundOut, order_out, refund_out
from keranjang.commerce.web.deps import Refunds, Settlement, commerce_of
from keranjang.commerce.web.errors import ApiRoute
from keranjang.infra.http_errors import PathId

router = APIRouter(route_class=ApiRoute)


class RefundItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=999)


class RefundIn(BaseModel):
    """Leave `items` out to refund everything still refundable, shipping included."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, examples=["Barang rusak saat diterima"])
    items: list[RefundItemIn] | None = Field(default=None, max_length=50)
    shipping: bool = Field(default=False, description="Refund the shipping cost too.")


@router.post(
    "/api/orders/{order_id}/received",
    tags=["orders"],
    summary="The buyer confirms the goods arrived: the order completes",
)
def confirm_received(order_id: PathId, buyer: Buyer, svc: Settlement) -> OrderOut:
    return order_out(svc.confirm_received(buyer, order_id))


@router.post(
    "/api/seller/orders/{order_id}/refunds",
    status_code=201,
    tags=["seller center"],
    summary="Refund an order, fully or partly, through the payment partner",
    responses={202: {"description": "Asked of the partner, not yet answered: retried later"}},
    response_model=RefundOut,
)
async def refund_order(
    order_id: PathId, body: RefundIn, merchant: Merchant, svc: Refunds
) -> JSONResponse:
    quantities: dict[int, int] | None = None
    if body.items is not None:
        quantities = {}
        for item in body.items:
            quantities[item.product_id] = quantities.get(item.product_id, 0) + item.quantity
    ask = RefundAsk(order_id, f"merchant:{merchant.id}", body.reason, quantities, body.shipping)
    refund = await run_in_threadpool(svc.refund, ask, merchant.id)
    answer = refund_out(refund).model_dump(mode="json")
    return JSONResponse(answer, status_code=202 if refund.status == RefundStatus.REQUESTED else 201)


@router.get("/api/seller/orders/{order_id}/refunds", tags=["seller center"])
def order_refunds(order_id: PathId, merchant: Merchant, svc: Refunds) -> list[RefundOut]:
    return [refund_out(r) for r in svc.refunds_of(order_id, merchant.id)]


class BooksOut(BaseModel):
    debits_idr: int
    credits_idr: int
    balanced: bool
    balances: dict[str, int] = Field(description="Debits minus credits per account.")


@router.get(
    "/api/admin/ledger",
    dependencies=[Depends(require_admin)],
    tags=["money"],
    summary="Every account's balance and the journal's totals (operators only)",
)
def ledger_balances(request: Request) -> BooksOut:
    books = commerce_of(request).payouts.books()
    return BooksOut(
        debits_idr=books.debits_idr,
        credits_idr=books.credits_idr,
        balanced=books.balanced,
        balances=books.balances,
    )


@router.post(
    "/api/admin/reconciliation",
    dependencies=[Depends(require_admin)],
    tags=["money"],
    summary="Reconcile payments with the partner: settle what was missed, report what disagrees",
)
def reconcile(
    request: Request,
    since_hours: Annotated[
        float | None,
        Query(gt=0, le=24 * 366, description="Only payments changed this recently (default: all)."),
    ] = None,
) -> dict[str, object]:
    svc: ReconciliationService = commerce_of(request).reconciliation
    since = None if since_hours is None else timedelta(hours=since_hours)
    return svc.run(since).as_dict()

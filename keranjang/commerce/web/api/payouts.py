"""The payouts API: a seller reads its statement; operators run a payout batch and read one."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from keranjang.commerce.web.api.catalog import Merchant, require_admin
from keranjang.commerce.web.api.views import PayoutBatchOut, StatementOut, batch_out, statement_out
from keranjang.commerce.web.deps import Payouts, commerce_of
from keranjang.commerce.web.errors import ApiRoute
from keranjang.infra.http_errors import PathId

router = APIRouter(route_class=ApiRoute)


Day = Annotated[
    date | None,
    Query(description="A calendar day in Western Indonesian Time (YYYY-MM-DD), included."),
]


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minimum_idr: int = Field(
        default=10_000,
        ge=1,
        le=10**12,
        description="Pay only balances of at least this many rupiah; smaller ones wait.",
    )


@router.get(
    "/api/seller/statement",
    tags=["seller center"],
    summary="The shop's money: opening and closing balances, and every movement in between",
)
def statement(
    merchant: Merchant, svc: Payouts, since: Day = None, until: Day = None
) -> StatementOut:
    return statement_out(svc.statement(merchant.id, since, until))


@router.post(
    "/api/admin/payouts",
    status_code=201,
    dependencies=[Depends(require_admin)],
    tags=["money"],
    summary="Run a payout batch: pay out every payable balance of at least the minimum",
)
def run_batch(request: Request, svc: Payouts, body: BatchIn | None = None) -> PayoutBatchOut:
    """With a disbursement partner, each payout is then sent to the payee's bank (in transit
    until the partner confirms); without one, it is recorded as paid."""
    minimum = (body or BatchIn()).minimum_idr
    disbursing = commerce_of(request).disbursing
    if disbursing is not None:
        return batch_out(disbursing.run_batch(minimum))
    return batch_out(svc.run_batch(minimum))


@router.get(
    "/api/admin/payouts/{batch_id}",
    dependencies=[Depends(require_admin)],
    tags=["money"],
    summary="One payout batch and its payouts (operators only)",
)
def batch(batch_id: PathId, svc: Payouts) -> PayoutBatchOut:
    return batch_out(svc.batch(batch_id))

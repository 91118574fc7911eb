"""A creator's aggregate figures (hand-offs, paid orders, commission), for social only.

Social reads them over HTTP with its own service token (`figures_token`, configured on both
services) and shows each creator only their own, on the creator's pages. Without the token this
endpoint answers 401: figures are not public. What crosses is sums and counts, never a buyer's
row (DESIGN, line 3)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from keranjang.commerce.errors import NotPermitted, Unauthenticated
from keranjang.commerce.web.deps import Attribution, settings_of
from keranjang.commerce.web.errors import ApiRoute
from keranjang.infra.auth import bearer, is_operator
from keranjang.infra.http_errors import PathId


class Count(BaseModel):
    id: int
    handoffs: int


class CommissionOut(BaseModel):
    """A creator's commission in whole rupiah, summed from the ledger."""

    pending_idr: int = Field(description="Held while the orders can still be refunded.")
    payable_idr: int = Field(description="The refund window has closed: paid out next.")
    paid_out_idr: int = Field(description="Paid out so far.")


class CreatorFiguresOut(BaseModel):
    """Aggregate attribution for one creator: sums and counts only, never a buyer's row."""

    creator_id: int
    handoffs: int
    by_content: list[Count]
    by_product: list[Count]
    first_at: datetime | None
    last_at: datetime | None
    orders: int = Field(description="Paid orders with a line this creator brought.")
    commission: CommissionOut


async def require_figures_reader(
    request: Request, token: Annotated[str | None, Depends(bearer)]
) -> None:
    """Social's service token for creators' figures (constant-time check)."""
    expected = settings_of(request).figures_token
    if not expected:
        raise NotPermitted(
            "no figures token is configured on this commerce service "
            "(KERANJANG_COMMERCE_FIGURES_TOKEN)",
            code="no_figures_token",
        )
    if not is_operator(token, expected):
        raise Unauthenticated(
            "creators' figures need social's figures token as a bearer token",
            code="figures_token_needed",
        )


router = APIRouter(route_class=ApiRoute)


@router.get(
    "/attribution/creators/{creator_id}",
    response_model=CreatorFiguresOut,
    dependencies=[Depends(require_figures_reader)],
    tags=["attribution"],
    summary="Aggregate figures for one creator: hand-offs, orders, commission (sums and counts; "
    "social's figures token only)",
)
def creator_figures(creator_id: PathId, svc: Attribution) -> CreatorFiguresOut:
    f = svc.creator_figures(creator_id)
    return CreatorFiguresOut(
        creator_id=f.creator_id,
        handoffs=f.handoffs,
        by_content=[Count(id=c.key, handoffs=c.handoffs) for c in f.by_content],
        by_product=[Count(id=c.key, handoffs=c.handoffs) for c in f.by_product],
        first_at=f.first_at,
        last_at=f.last_at,
        orders=f.orders,
        commission=CommissionOut.model_validate(f.commission, from_attributes=True),
    )

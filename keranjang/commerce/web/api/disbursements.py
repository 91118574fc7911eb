"""Money out over HTTP: the disbursement partner's callbacks, and operators sending the payouts
due (and looking up those in transit). Without a disbursement partner configured, both answer
404 saying so."""

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from keranjang.commerce.errors import NotFound, PaymentUnavailable
from keranjang.commerce.money.bank_refunds import RefundTransfer
from keranjang.commerce.money.disbursing import Disbursement, DisbursingService
from keranjang.commerce.web.api.catalog import require_admin
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.errors import ApiRoute
from keranjang.payments import NotificationRejected

router = APIRouter(route_class=ApiRoute)
log = structlog.get_logger()


class DisbursementOut(BaseModel):
    payout_id: int
    key: str
    status: str
    amount_idr: int
    failure: str


def disbursing_of(request: Request) -> DisbursingService:
    disbursing = commerce_of(request).disbursing
    if disbursing is None:
        raise NotFound(
            "no disbursement partner is configured: set disbursement_partner",
            code="no_disbursement_partner",
        )
    return disbursing


def out(d: Disbursement) -> DisbursementOut:
    return DisbursementOut(
        payout_id=d.payout_id,
        key=d.key,
        status=d.status,
        amount_idr=d.amount_idr,
        failure=d.failure,
    )


@router.post(
    "/payments/disbursements/callback",
    tags=["payments"],
    summary="The disbursement partner's verified callbacks (each payout settled once)",
)
async def disbursement_callback(request: Request) -> JSONResponse:
    disbursing_of(request)
    body = await request.body()
    try:
        settled = await run_in_threadpool(settle, request, dict(request.headers), body)
    except NotificationRejected as exc:
        log.warning("disbursement_callback_rejected", reason=exc.reason)
        return JSONResponse({"error": "NotificationRejected", "detail": str(exc)}, 400)
    except PaymentUnavailable as exc:  # the partner retries a callback that was not taken
        return JSONResponse({"error": "PaymentUnavailable", "detail": str(exc)}, 503)
    if settled is None:  # not ours: answered so the partner stops, and counted in the log
        log.warning("disbursement_callback_unknown")
        return JSONResponse({"outcome": "unknown"})
    return JSONResponse({"outcome": settled.status})


def settle(
    request: Request, headers: dict[str, str], body: bytes
) -> Disbursement | RefundTransfer | None:
    """The payout or the refund transfer a verified callback names, settled; None if neither."""
    commerce = commerce_of(request)
    disbursing = disbursing_of(request)
    said = disbursing.partner.parse_callback(headers, body)
    settled = disbursing.settle_event(said)
    if settled is None and commerce.bank_refunds is not None:
        return commerce.bank_refunds.settle_event(said)
    return settled


@router.post(
    "/api/admin/payouts/send",
    dependencies=[Depends(require_admin)],
    tags=["money"],
    summary="Send every payout and refund transfer due, and look up those in transit",
)
def send_payouts(request: Request) -> list[DisbursementOut]:
    commerce = commerce_of(request)
    if commerce.bank_refunds is not None:
        commerce.bank_refunds.reconcile()
    return [out(d) for d in disbursing_of(request).run_due()]

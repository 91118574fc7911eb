"""The simulator's JSON API: Midtrans-like charge, status and refund for shops (server key as the
HTTP Basic user name), and the fault-injection switches for operators. Entry points only
translate HTTP to use cases."""

from datetime import datetime, timedelta
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.security import HTTPBasic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from keranjang.infra.auth import bearer, is_operator
from keranjang.infra.runtime import call_blocking
from keranjang.payments import midtrans_wire as wire
from keranjang.payments.simulator import domain, faults, notifications
from keranjang.payments.simulator.service import SimulatorService

OrderId = Annotated[str, Path(min_length=1, max_length=50, examples=["ORD-2024-0001"])]
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class TransactionDetails(BaseModel):
    order_id: str = Field(min_length=1, max_length=50, examples=["ORD-2024-0001"])
    gross_amount: int = Field(ge=1, le=domain.MAX_AMOUNT, description="Whole rupiah.")


class BankTransfer(BaseModel):
    bank: str = Field(max_length=10, examples=["bca"])


class ItemDetail(BaseModel):
    id: str | None = Field(default=None, max_length=50)
    name: str = Field(max_length=50)
    price: int = Field(ge=0, le=domain.MAX_AMOUNT)
    quantity: int = Field(default=1, ge=1, le=10_000)


class CustomExpiry(BaseModel):
    expiry_duration: int = Field(ge=1, le=10_080)
    unit: Literal["second", "minute", "hour", "day"] = "minute"


class Callbacks(BaseModel):
    finish: str | None = Field(default=None, max_length=500, description="Where the buyer goes.")


class ChargeIn(BaseModel):
    """Fields Midtrans knows that the simulator does not use (customer_details, …) are ignored."""

    model_config = ConfigDict(extra="ignore")
    payment_type: domain.PaymentType
    transaction_details: TransactionDetails
    bank_transfer: BankTransfer | None = None
    item_details: list[ItemDetail] = Field(default_factory=list, max_length=100)
    custom_expiry: CustomExpiry | None = None
    callbacks: Callbacks | None = None

    @model_validator(mode="after")
    def items_add_up(self) -> Self:
        total = sum(i.price * i.quantity for i in self.item_details)
        if self.item_details and total != self.transaction_details.gross_amount:
            raise ValueError("the item_details must add up to transaction_details.gross_amount")
        return self

    def to_charge(self, override_notification: str | None = None) -> domain.Charge:
        expiry = self.custom_expiry
        urls = tuple(u.strip() for u in (override_notification or "").split(",") if u.strip())
        return domain.Charge(
            order_id=self.transaction_details.order_id,
            gross_amount=self.transaction_details.gross_amount,
            payment_type=self.payment_type,
            description=", ".join(i.name for i in self.item_details),
            bank=self.bank_transfer.bank if self.bank_transfer else None,
            finish_redirect_url=self.callbacks.finish if self.callbacks else None,
            expires_in=timedelta(seconds=expiry.expiry_duration * UNITS[expiry.unit])
            if expiry
            else None,
            notification_urls=urls,
        )


class VaNumber(BaseModel):
    bank: str
    va_number: str


class Action(BaseModel):
    name: str
    method: str
    url: str


class TransactionOut(BaseModel):
    status_code: str
    status_message: str
    transaction_id: str
    order_id: str
    merchant_id: str
    gross_amount: str = Field(description='Whole rupiah with two decimals: "350000.00".')
    currency: str
    payment_type: str
    transaction_time: str = Field(description="YYYY-MM-DD HH:MM:SS, Western Indonesian Time.")
    transaction_status: str
    fraud_status: str
    expiry_time: str
    va_numbers: list[VaNumber] | None = None


class ChargeOut(TransactionOut):
    qr_string: str | None = None
    actions: list[Action]
    redirect_url: str = Field(description="The pay page to send the buyer to.")


class RefundEntry(BaseModel):
    refund_chargeback_id: str
    refund_amount: str
    created_at: str
    reason: str
    refund_key: str


class StatusOut(TransactionOut):
    """The same body a notification carries, signature included."""

    signature_key: str
    settlement_time: str | None = None
    refund_amount: str | None = None
    refunds: list[RefundEntry] | None = None


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refund_key: str | None = Field(default=None, max_length=64, description="Retry-safe key.")
    amount: int | None = Field(
        default=None, ge=1, le=domain.MAX_AMOUNT, description="Default: all."
    )
    reason: str = Field(default="", max_length=255)


class RefundOut(BaseModel):
    status_code: str
    status_message: str
    transaction_id: str
    order_id: str
    gross_amount: str
    payment_type: str
    transaction_time: str
    transaction_status: str
    refund_chargeback_id: str
    refund_amount: str
    refund_key: str


class FaultsModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicate: int = Field(default=1, ge=1, le=faults.MAX_DUPLICATES)
    delay_seconds: float = Field(default=0.0, ge=0, le=faults.MAX_DELAY_SECONDS)
    reorder: bool = False
    drop_probability: float = Field(default=0.0, ge=0, le=1)
    drop_next: int = Field(default=0, ge=0, le=faults.MAX_DROP_NEXT)
    forge: bool = False


class NotificationOut(BaseModel):
    id: int
    order_id: str
    transaction_status: str
    state: notifications.DeliveryState
    copies: int
    forged: bool
    attempts: int
    due_at: datetime
    sent_at: datetime | None
    last_error: str | None


class Counted(BaseModel):
    count: int


class DispatchOut(BaseModel):
    sent: int
    failed: int


async def service(request: Request) -> SimulatorService:
    svc: SimulatorService = request.app.state.service
    return svc


Service = Annotated[SimulatorService, Depends(service)]


def service_of(request: Request) -> SimulatorService:
    """The service without a dependency: each one FastAPI resolves costs CPU on every request."""
    svc: SimulatorService = request.app.state.service
    return svc


class ServerKey(HTTPBasic):
    """HTTP Basic credentials (for the OpenAPI scheme) and their check, as one dependency."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        credentials = await super().__call__(request)
        service_of(request).authenticate(credentials.username if credentials else None)


require_server_key = ServerKey(
    scheme_name="HTTPBasic",
    auto_error=False,
    description="The server key as the user name and an empty password.",
)


async def require_operator(request: Request, token: Annotated[str | None, Depends(bearer)]) -> None:
    expected: str | None = request.app.state.settings.admin_token
    if not expected:
        raise domain.NotPermitted("no operator token is configured on this payment simulator")
    if not is_operator(token, expected):
        raise domain.Unauthenticated("this action needs the operator's token")


def dialect(request: Request) -> str:
    name: str = request.app.state.engine.dialect.name
    return name


def pay_page_url(request: Request, tx: domain.Transaction) -> str:
    base: str = request.app.state.settings.public_url
    return f"{base.rstrip('/')}/pay/{tx.transaction_id}"


def charge_out(request: Request, svc: SimulatorService, tx: domain.Transaction) -> ChargeOut:
    body = notifications.body(tx, svc.server_key)
    page = pay_page_url(request, tx)
    qris = tx.qr_string if tx.payment_type is domain.PaymentType.QRIS else None
    actions = [Action(name="pay-page", method="GET", url=page)]
    return ChargeOut.model_validate(
        body | {"qr_string": qris, "actions": actions, "redirect_url": page}
    )


shop = APIRouter(prefix="/v2", tags=["shop API"], dependencies=[Depends(require_server_key)])
operator = APIRouter(prefix="/admin", tags=["operators"], dependencies=[Depends(require_operator)])


# The shop's endpoints are async and hand only their database work to a worker thread
# (runtime.call_blocking): a sync endpoint would take two thread hops, one for the endpoint and
# one for FastAPI's check of its answer.
@shop.post("/charge", status_code=201, response_model=ChargeOut, summary="Create a payment")
async def charge(
    body: ChargeIn,
    request: Request,
    override: Annotated[
        str | None,
        Header(
            alias="X-Override-Notification",
            max_length=1600,
            description="Send this payment's notifications to these URLs (comma-separated, "
            "at most 3) instead of the configured one, as Midtrans does.",
        ),
    ] = None,
) -> ChargeOut:
    svc, wanted = service_of(request), body.to_charge(override)
    tx = await call_blocking(dialect(request), lambda: svc.charge(wanted))
    return charge_out(request, svc, tx)


@shop.get("/{order_id}/status", response_model=StatusOut, summary="A payment's status")
async def status(order_id: OrderId, request: Request) -> StatusOut:
    svc = service_of(request)
    tx = await call_blocking(dialect(request), lambda: svc.status(order_id))
    return StatusOut.model_validate(notifications.body(tx, svc.server_key))


@shop.post("/{order_id}/refund", response_model=RefundOut, summary="Refund all or part")
async def refund(order_id: OrderId, body: RefundIn, request: Request) -> RefundOut:
    svc = service_of(request)
    ask = domain.RefundAsk(body.refund_key, body.amount, body.reason)
    done = await call_blocking(dialect(request), lambda: svc.refund(order_id, ask))
    out = notifications.body(done.transaction, svc.server_key)
    return RefundOut.model_validate(
        out
        | {
            "refund_chargeback_id": done.refund.refund_id,
            "refund_amount": wire.format_amount(done.refund.amount),
            "refund_key": done.refund.refund_key,
        }
    )


@shop.post(
    "/{order_id}/cancel",
    response_model=StatusOut,
    summary="Cancel a pending payment",
    responses={412: {"description": "The payment is no longer pending."}},
)
async def cancel(order_id: OrderId, request: Request) -> StatusOut:
    return await _end(request, order_id, domain.TxStatus.CANCEL)


@shop.post(
    "/{order_id}/expire",
    response_model=StatusOut,
    summary="Expire a pending payment now",
    responses={412: {"description": "The payment is no longer pending."}},
)
async def expire_now(order_id: OrderId, request: Request) -> StatusOut:
    return await _end(request, order_id, domain.TxStatus.EXPIRE)


async def _end(request: Request, order_id: str, status: domain.TxStatus) -> StatusOut:
    """Midtrans answers its cancel and expire APIs with the transaction's new view."""
    svc = service_of(request)
    tx = await call_blocking(dialect(request), lambda: svc.end(order_id, status))
    return StatusOut.model_validate(notifications.body(tx, svc.server_key))


@operator.get("/faults", response_model=FaultsModel, summary="The fault-injection switches")
def get_faults(svc: Service) -> FaultsModel:
    return FaultsModel.model_validate(svc.fault_switches(), from_attributes=True)


@operator.put("/faults", response_model=FaultsModel, summary="Set every switch at once")
def put_faults(body: FaultsModel, svc: Service) -> FaultsModel:
    switches = svc.set_fault_switches(faults.Faults(**body.model_dump()))
    return FaultsModel.model_validate(switches, from_attributes=True)


@operator.post(
    "/notifications/release",
    response_model=Counted,
    summary="Send held notifications (reorder switch), newest first",
)
def release(svc: Service) -> Counted:
    return Counted(count=svc.release_held())


@operator.post("/notifications/dispatch", response_model=DispatchOut, summary="Send what is due")
def dispatch(svc: Service) -> DispatchOut:
    report = svc.dispatch_due()
    return DispatchOut(sent=report.sent, failed=report.failed)


@operator.get("/notifications", response_model=list[NotificationOut], summary="The outbox")
def outbox(
    svc: Service,
    order_id: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    return [
        NotificationOut(
            id=n.id,
            order_id=n.order_id,
            transaction_status=n.transaction_status,
            state=n.state,
            copies=n.copies,
            forged=n.forged,
            attempts=n.attempts,
            due_at=n.due_at,
            sent_at=n.sent_at,
            last_error=n.last_error,
        )
        for n in svc.outbox(order_id, limit)
    ]


@operator.post(
    "/transactions/{order_id}/expire", response_model=StatusOut, summary="Expire a payment now"
)
def expire(order_id: OrderId, svc: Service) -> StatusOut:
    return StatusOut.model_validate(notifications.body(svc.expire(order_id), svc.server_key))


router = APIRouter()
router.include_router(shop)
router.include_router(operator)

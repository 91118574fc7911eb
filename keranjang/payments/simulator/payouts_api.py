"""The simulator's payouts over HTTP, at Iris' paths (`/iris/api/v1/...`, HTTP Basic with the
server key as user name), and the operators' levers: process queued payouts, release held
callbacks, dispatch the callbacks due."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from keranjang.payments.simulator.api import require_operator, require_server_key
from keranjang.payments.simulator.domain import Invalid
from keranjang.payments.simulator.payouts import PayoutAsk, PayoutDesk

iris = APIRouter(
    prefix="/iris/api/v1", tags=["payouts (Iris)"], dependencies=[Depends(require_server_key)]
)
operator = APIRouter(
    prefix="/admin/payouts", tags=["operators"], dependencies=[Depends(require_operator)]
)


class PayoutIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    beneficiary_name: str = Field(min_length=1, max_length=120)
    beneficiary_account: str = Field(min_length=5, max_length=30)
    beneficiary_bank: str = Field(min_length=2, max_length=20)
    beneficiary_email: str | None = None
    amount: str = Field(pattern=r"^\d{1,13}(\.00?)?$")
    notes: str = Field(default="", max_length=200)


class PayoutsIn(BaseModel):
    payouts: list[PayoutIn] = Field(min_length=1, max_length=100)


def desk(request: Request) -> PayoutDesk:
    found: PayoutDesk = request.app.state.payouts
    return found


Desk = Annotated[PayoutDesk, Depends(desk)]


@iris.post("/payouts", status_code=201, summary="Create payouts (queued until the bank answers)")
def create(
    body: PayoutsIn,
    payouts: Desk,
    key: Annotated[str, Header(alias="X-Idempotency-Key", min_length=1, max_length=90)],
) -> dict[str, list[dict[str, object]]]:
    made = []
    for n, p in enumerate(body.payouts):
        ask = PayoutAsk(
            key if n == 0 else f"{key}:{n}",
            int(p.amount.split(".")[0]),
            p.beneficiary_bank,
            p.beneficiary_account,
            p.beneficiary_name,
            p.notes,
        )
        made.append(payouts.create(ask))
    return {"payouts": [{"status": m["status"], "reference_no": m["reference_no"]} for m in made]}


@iris.get("/payouts/{reference_no}", summary="A payout's details and status")
def details(reference_no: str, payouts: Desk) -> dict[str, object]:
    return payouts.get(reference_no)


@iris.get("/account_validation", summary="The holder's name of a bank account")
def account_validation(
    payouts: Desk,
    bank: Annotated[str, Query(min_length=2, max_length=20)],
    account: Annotated[str, Query(min_length=5, max_length=30)],
) -> dict[str, str]:
    if not account.isdigit():
        raise Invalid("account must be digits only")
    return {
        "account_name": payouts.account_name(bank, account),
        "account_no": account,
        "bank_name": bank,
    }


@operator.post("/process", summary="The bank answers every queued payout")
def process(payouts: Desk) -> dict[str, int]:
    return {"processed": payouts.process_due()}


@operator.post("/release", summary="Send the held payout callbacks, newest first")
def release(payouts: Desk) -> dict[str, int]:
    return {"released": payouts.release_held()}


@operator.post("/dispatch", summary="Deliver the payout callbacks that are due")
def dispatch(payouts: Desk) -> dict[str, int]:
    return {"dispatched": payouts.dispatch_due()}

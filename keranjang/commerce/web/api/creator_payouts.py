"""A creator's payout account, for social only: social's creator pages forward what the signed-in
creator types (bank code, number, holder name) here with social's figures token; commerce keeps
it (social stores no bank data), checks it with the disbursement partner and records it as a
seller's, and answers with the creator's latest payout (a failed one says why). Without the
token this answers 401."""

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from keranjang.commerce.errors import NotFound
from keranjang.commerce.money.domain import BankAccount
from keranjang.commerce.money.payout_accounts import PayoutAccountService
from keranjang.commerce.web.api.attribution import require_figures_reader
from keranjang.commerce.web.api.seller import PayoutAccountIn
from keranjang.commerce.web.deps import PayoutAccounts
from keranjang.commerce.web.errors import ApiRoute
from keranjang.infra.http_errors import PathId


class BankOut(BaseModel):
    bank_code: str
    account_number: str
    holder_name: str
    updated_at: datetime


class LatestPayoutOut(BaseModel):
    amount_idr: int
    made_at: datetime
    status: str
    failure: str


class CreatorPayoutOut(BaseModel):
    creator_id: int
    account: BankOut | None
    latest_payout: LatestPayoutOut | None


router = APIRouter(
    prefix="/attribution/creators/{creator_id}/payout-account",
    route_class=ApiRoute,
    dependencies=[Depends(require_figures_reader)],
    tags=["attribution"],
)


@router.get("", summary="A creator's payout account and latest payout (social's token only)")
def creator_payout_account(creator_id: PathId, svc: PayoutAccounts) -> CreatorPayoutOut:
    return _out(svc, creator_id)


@router.put("", summary="Set or replace a creator's payout account (social's token only)")
def set_creator_payout_account(
    creator_id: PathId, body: PayoutAccountIn, svc: PayoutAccounts
) -> CreatorPayoutOut:
    svc.put_creator(creator_id, BankAccount(body.bank_code, body.account_number, body.holder_name))
    return _out(svc, creator_id)


def _out(svc: PayoutAccountService, creator_id: int) -> CreatorPayoutOut:
    try:
        got = svc.get_creator(creator_id)
        account: BankOut | None = BankOut(**vars(got.bank), updated_at=got.updated_at)
    except NotFound:
        account = None
    latest = svc.latest_creator_payout(creator_id)
    return CreatorPayoutOut(
        creator_id=creator_id,
        account=account,
        latest_payout=None if latest is None else LatestPayoutOut(**vars(latest)),
    )

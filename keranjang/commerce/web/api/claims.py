"""Claiming an account made for a buyer's past purchases (a merchant moved from the old in-app
shop): ask for a one-time link by email, then set the password through it and be signed in."""

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from keranjang.commerce.buying.domain import MAX_PASSWORD
from keranjang.commerce.errors import Gone, NotFound
from keranjang.commerce.web.api.shop import SessionOut
from keranjang.commerce.web.deps import Accounts, settings_of
from keranjang.commerce.web.errors import ApiRoute
from keranjang.infra.throttle import login_attempt

log = structlog.get_logger(__name__)
router = APIRouter(tags=["buying"], route_class=ApiRoute)
# The same answer whether or not the email has an unclaimed account: it tells nobody who buys.
REQUESTED = (
    "if an account without a password has this email, a new claim link was sent to it; "
    "the link works once, for 7 days"
)


class ClaimRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254, examples=["siti@example.com"])


class ClaimRequestedOut(BaseModel):
    detail: str


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200, description="From the claim link.")
    password: str = Field(max_length=MAX_PASSWORD)


def claim_url(request: Request, token: str) -> str:
    return f"{settings_of(request).public_url.rstrip('/')}/claim?token={token}"


@router.post(
    "/api/buyers/claims/request",
    status_code=202,
    response_model=ClaimRequestedOut,
    summary="Ask for a link to claim an account made from purchases in the old in-app shop",
)
def request_claim(body: ClaimRequestIn, svc: Accounts, request: Request) -> ClaimRequestedOut:
    token = svc.request_claim_link(body.email)
    if token is not None:
        # There is no mail in the demo: the link is logged for the operator to pass on.
        log.info("claim_link_issued", link=claim_url(request, token))
    return ClaimRequestedOut(detail=REQUESTED)


@router.post(
    "/api/buyers/claims",
    status_code=201,
    response_model=SessionOut,
    summary="Set the account's password through its claim link, and sign in",
    responses={410: {"description": "The link was used already, or has expired"}},
)
def claim(body: ClaimIn, svc: Accounts, request: Request) -> SessionOut:
    with login_attempt(request, body.token, Gone, NotFound):  # a link guessed, or spent
        return SessionOut(token=svc.claim(body.token, body.password))

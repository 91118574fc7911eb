"""Creators' JSON API for their own sign-in: set the password of the creators' pages."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from keranjang.social.api import Creator
from keranjang.social.creators.service import CreatorAccounts


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=200, description="10 to 200 characters.")


def accounts(request: Request) -> CreatorAccounts:
    svc: CreatorAccounts = request.app.state.creator_accounts
    return svc


Accounts = Annotated[CreatorAccounts, Depends(accounts)]
router = APIRouter(tags=["creators"])


@router.put(
    "/api/creators/me/password",
    status_code=204,
    summary="Set your password for the creator's pages (ends your page sessions)",
)
def set_password(body: PasswordIn, creator: Creator, svc: Accounts) -> Response:
    svc.set_password(creator.id, body.password)
    return Response(status_code=204)

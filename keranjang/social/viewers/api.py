"""Viewers' JSON API: sign up, log in and out, the profile. Logging in also sets the signed page
session cookie, so a browser that signs in through the API is signed in on the pages too."""

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from keranjang.infra.auth import bearer
from keranjang.infra.throttle import login_attempt
from keranjang.social.domain import Unauthenticated
from keranjang.social.viewers import domain
from keranjang.social.viewers.cookies import COOKIE, MAX_AGE_SECONDS, SessionCookies
from keranjang.social.viewers.service import SignedIn, ViewerService


class SignUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254, examples=["siti@example.com"])
    name: str = Field(max_length=80, examples=["Siti"])
    password: str = Field(max_length=200, description="At least 10 characters.")


class LogInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=80)


class ViewerOut(BaseModel):
    id: int
    email: str
    name: str


class SessionOut(BaseModel):
    viewer: ViewerOut
    token: str = Field(description="Bearer token for the API; shown once.")


def viewers(request: Request) -> ViewerService:
    svc: ViewerService = request.app.state.viewers
    return svc


def cookies(request: Request) -> SessionCookies:
    sealed: SessionCookies = request.app.state.cookies
    return sealed


Viewers = Annotated[ViewerService, Depends(viewers)]


def session_token(
    request: Request,
    token: Annotated[str | None, Depends(bearer)],
    cookie: Annotated[str | None, Cookie(alias=COOKIE)] = None,
) -> str | None:
    """The bearer token, or else the token sealed in the page session cookie."""
    return token or cookies(request).token(cookie)


def current_viewer(
    svc: Viewers, token: Annotated[str | None, Depends(session_token)]
) -> domain.Viewer:
    return svc.authenticate(token)


CurrentViewer = Annotated[domain.Viewer, Depends(current_viewer)]


def viewer_or_none(request: Request) -> domain.Viewer | None:
    """The viewer signed in on the pages (the session cookie), or None."""
    token = cookies(request).token(request.cookies.get(COOKIE))
    if token is None:
        return None
    try:
        return viewers(request).authenticate(token)
    except Unauthenticated:
        return None


router = APIRouter(prefix="/api/viewers", tags=["viewers"])


def _signed_in(request: Request, response: Response, signed: SignedIn) -> SessionOut:
    response.set_cookie(
        COOKIE,
        cookies(request).seal(signed.token),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return SessionOut(viewer=ViewerOut(**vars(signed.viewer)), token=signed.token)


@router.post("", status_code=201, response_model=SessionOut, summary="Sign up")
def sign_up(body: SignUpIn, svc: Viewers, request: Request, response: Response) -> SessionOut:
    signed = svc.sign_up(domain.NewViewer(body.email, body.name, body.password))
    return _signed_in(request, response, signed)


@router.post("/sessions", status_code=201, response_model=SessionOut, summary="Log in")
def log_in(body: LogInIn, svc: Viewers, request: Request, response: Response) -> SessionOut:
    with login_attempt(request, body.email, Unauthenticated):
        signed = svc.log_in(body.email, body.password)
    return _signed_in(request, response, signed)


@router.delete("/sessions/current", status_code=204, summary="Log out (token and cookie)")
def log_out(
    svc: Viewers, token: Annotated[str | None, Depends(session_token)], response: Response
) -> Response:
    if token:
        svc.log_out(token)
    response.status_code = 204
    response.delete_cookie(COOKIE)
    return response


@router.get("/me", response_model=ViewerOut, summary="Your profile")
def me(viewer: CurrentViewer) -> ViewerOut:
    return ViewerOut(**vars(viewer))


@router.patch("/me", response_model=ViewerOut, summary="Change your name")
def rename(body: RenameIn, viewer: CurrentViewer, svc: Viewers) -> ViewerOut:
    return ViewerOut(**vars(svc.rename(viewer.id, body.name)))

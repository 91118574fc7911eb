"""Social's JSON API and the yellow cart. Entry points only translate HTTP to use cases."""

from datetime import datetime
from typing import Annotated, Self

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from keranjang.infra.auth import bearer, is_operator
from keranjang.infra.http_errors import PathId
from keranjang.infra.runtime import call_blocking
from keranjang.social import domain
from keranjang.social.service import NewContent, SocialService


class CreatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handle: str = Field(examples=["rina.masak"])
    display_name: str = Field(max_length=80, examples=["Rina Masak"])
    password: str | None = Field(
        default=None,
        max_length=200,
        description="Optional: 10 to 200 characters, to sign in to the creator's own pages "
        "(/kreator/masuk). Can be set later with PUT /api/creators/me/password.",
    )


class CreatorOut(BaseModel):
    id: int
    handle: str
    display_name: str
    ecommerce_permitted: bool


class RegisteredOut(CreatorOut):
    token: str = Field(description="Bearer token for this creator's API calls; shown once.")


class PermissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    permitted: bool


class ContentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: domain.ContentKind
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    campaign: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class PinIn(BaseModel):
    """One of the two: a product of commerce's catalog, or of the legacy in-app shop."""

    model_config = ConfigDict(extra="forbid")
    product_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    legacy_product_id: int | None = Field(default=None, ge=1, le=2**63 - 1)

    @model_validator(mode="after")
    def one_product(self) -> Self:
        if (self.product_id is None) == (self.legacy_product_id is None):
            raise ValueError("name exactly one of product_id (commerce) and legacy_product_id")
        return self


class ProductOut(BaseModel):
    product_id: int
    merchant_id: int
    merchant_name: str
    title: str
    price_idr: int
    image_url: str
    in_stock: bool


class PinOut(BaseModel):
    id: int
    content_id: int
    source: domain.ProductSource = Field(
        description="commerce, or legacy: a product of the in-app shop (ids are the shop's)"
    )
    product: ProductOut
    cart_url: str


class ContentOut(BaseModel):
    id: int
    creator: CreatorOut
    kind: domain.ContentKind
    title: str
    description: str
    campaign: str | None
    live_status: domain.LiveStatus | None
    created_at: datetime
    pins: list[PinOut]


def pin_out(pin: domain.Pin) -> PinOut:
    return PinOut(
        id=pin.id,
        content_id=pin.content_id,
        source=pin.source,
        product=ProductOut.model_validate(pin.product, from_attributes=True),
        cart_url=f"/cart/{pin.id}",
    )


def content_out(c: domain.Content) -> ContentOut:
    return ContentOut(
        id=c.id,
        creator=CreatorOut.model_validate(c.creator, from_attributes=True),
        kind=c.kind,
        title=c.title,
        description=c.description,
        campaign=c.campaign,
        live_status=c.live_status,
        created_at=c.created_at,
        pins=[pin_out(p) for p in c.pins],
    )


async def service(request: Request) -> SocialService:
    svc: SocialService = request.app.state.service
    return svc


Service = Annotated[SocialService, Depends(service)]


def current_creator(svc: Service, token: Annotated[str | None, Depends(bearer)]) -> domain.Creator:
    return svc.authenticate(token)


async def require_admin(request: Request, token: Annotated[str | None, Depends(bearer)]) -> None:
    expected: str | None = request.app.state.settings.admin_token
    if not expected:
        raise domain.NotPermitted(
            "no operator token is configured on this social service", "no_operator_token"
        )
    if not is_operator(token, expected):
        raise domain.Unauthenticated(
            "this action needs the platform operator's token", "operator_only"
        )


Creator = Annotated[domain.Creator, Depends(current_creator)]
router = APIRouter()


@router.post("/api/creators", status_code=201, response_model=RegisteredOut, tags=["creators"])
def register_creator(body: CreatorIn, svc: Service) -> RegisteredOut:
    registered = svc.register_creator(body.handle, body.display_name, body.password)
    c = registered.creator
    return RegisteredOut(
        id=c.id,
        handle=c.handle,
        display_name=c.display_name,
        ecommerce_permitted=c.ecommerce_permitted,
        token=registered.token,
    )


@router.put(
    "/api/creators/{creator_id}/ecommerce-permission",
    response_model=CreatorOut,
    dependencies=[Depends(require_admin)],
    tags=["creators"],
    summary="Grant or withdraw a creator's e-commerce (affiliate) permission (operators only)",
)
def set_permission(creator_id: PathId, body: PermissionIn, svc: Service) -> CreatorOut:
    creator = svc.set_ecommerce_permission(creator_id, body.permitted)
    return CreatorOut.model_validate(creator, from_attributes=True)


@router.post("/api/content", status_code=201, response_model=ContentOut, tags=["content"])
def publish(body: ContentIn, creator: Creator, svc: Service) -> ContentOut:
    new = NewContent(body.kind, body.title, body.description, body.campaign)
    return content_out(svc.publish(creator, new))


@router.get("/api/content", response_model=list[ContentOut], tags=["content"])
def list_content(svc: Service, limit: Annotated[int, Query(ge=1, le=100)] = 50) -> list[ContentOut]:
    return [content_out(c) for c in svc.feed(limit)]


@router.get("/api/content/{content_id}", response_model=ContentOut, tags=["content"])
def get_content(content_id: PathId, svc: Service) -> ContentOut:
    return content_out(svc.content(content_id))


@router.post("/api/content/{content_id}/end", response_model=ContentOut, tags=["content"])
def end_live(content_id: PathId, creator: Creator, svc: Service) -> ContentOut:
    return content_out(svc.end_live(creator, content_id))


@router.post(
    "/api/content/{content_id}/pins", status_code=201, response_model=PinOut, tags=["pins"]
)
def pin(content_id: PathId, body: PinIn, creator: Creator, svc: Service) -> PinOut:
    if body.legacy_product_id is not None:
        return pin_out(svc.pin_legacy(creator, content_id, body.legacy_product_id))
    assert body.product_id is not None  # the model checked that one of the two is given
    return pin_out(svc.pin(creator, content_id, body.product_id))


# The route a yellow-cart tap lands on: the way into the shop, timed for the regulator.
CART_ROUTE = "/cart/{pin_id}"


@router.get(
    CART_ROUTE,
    status_code=302,
    response_class=RedirectResponse,
    tags=["yellow cart"],
    summary="The yellow cart: a signed, single-use hand-off to commerce (or, for a seller "
    "still in the legacy in-app shop, its product page in the app)",
)
async def yellow_cart(pin_id: PathId, request: Request, svc: Service) -> RedirectResponse:
    dialect = request.app.state.engine.dialect.name
    destination = await call_blocking(dialect, lambda: svc.cart_destination(pin_id))
    if destination.legacy_product_id is not None:
        target = f"/legacy/products/{destination.legacy_product_id}?pin={pin_id}"
    else:
        target = (
            f"{request.app.state.settings.commerce_url}/handoff?token={destination.handoff_token}"
        )
    return RedirectResponse(
        target,
        status_code=302,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.get("/.well-known/jwks.json", tags=["yellow cart"], summary="Hand-off verification keys")
def jwks(svc: Service) -> dict[str, list[dict[str, str]]]:
    return svc.jwks()

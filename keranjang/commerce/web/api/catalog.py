"""Commerce's JSON API: operators, merchants and the public catalog feed."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from keranjang.commerce.catalog.domain import (
    FOREIGN_REQUIREMENTS,
    MerchantKind,
    NewProduct,
    Product,
)
from keranjang.commerce.catalog.domain import (
    Merchant as Shop,
)
from keranjang.commerce.catalog.service import Incomplete, NewMerchant, Registered
from keranjang.commerce.errors import NotPermitted, Unauthenticated
from keranjang.commerce.web.deps import Catalog, settings_of
from keranjang.commerce.web.errors import ApiRoute
from keranjang.infra.auth import bearer, is_operator
from keranjang.infra.http_errors import MAX_ID, PathId


class ForeignRegistrationIn(BaseModel):
    """What a foreign merchant must give (Permendag 31/2023 Pasal 5); see `missing` answers."""

    model_config = ConfigDict(extra="forbid")
    owner_name: str | None = Field(default=None, max_length=120)
    identity_document: str | None = Field(default=None, max_length=60)
    business_legality_document: str | None = Field(default=None, max_length=500)
    legalisation_reference: str | None = Field(default=None, max_length=120)
    sni_certificate: str | None = Field(default=None, max_length=120)
    halal_certificate: str | None = Field(default=None, max_length=120)
    description_id: str | None = Field(default=None, max_length=5000)
    origin_country: str | None = Field(default=None, max_length=2)
    origin_city: str | None = Field(default=None, max_length=80)


class MerchantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(examples=["batik-sekar"], description="The shop's address: /shops/{slug}")
    name: str = Field(max_length=120, examples=["Batik Sekar"])
    kind: MerchantKind = MerchantKind.LOCAL
    city: str = Field(default="", max_length=80, examples=["Solo"])
    registration: ForeignRegistrationIn | None = Field(
        default=None, description="Required for a foreign merchant."
    )


class ApplicationOut(BaseModel):
    id: int
    slug: str
    name: str
    kind: str
    submitted: dict[str, str | None]
    missing: list[str]
    merchant_id: int | None


class MerchantOut(BaseModel):
    id: int
    slug: str
    name: str
    kind: MerchantKind
    city: str


class RegisteredOut(MerchantOut):
    token: str = Field(description="Bearer token for the seller API; shown once.")


class CrossBorderFields(BaseModel):
    """Permendag 31/2023: HS code, origin and FOB price (Pasal 19), standards numbers (Pasal 11).
    A cross-border product (sold directly from abroad) needs HS code, FOB price and NPB number,
    and its FOB price must be at least US$100 unless its HS code is on the positive list."""

    hs_code: str | None = Field(default=None, max_length=13, examples=["6205.20.00"])
    origin_country: str = Field(default="ID", max_length=2, examples=["ID", "CN"])
    cross_border: bool = Field(default=False, description="Shipped directly from abroad.")
    fob_usd_cents: int | None = Field(default=None, description="FOB price in US cents.")
    npb_number: str | None = Field(default=None, max_length=64)
    sni_number: str | None = Field(default=None, max_length=64)
    halal_number: str | None = Field(default=None, max_length=64)


class AffiliateFields(BaseModel):
    commission_bp: int = Field(
        default=0,
        description="A creator's commission on a line bought through their yellow cart, in basis "
        "points (100 = 1%), from 0 to 5000.",
    )


class ProductIn(CrossBorderFields, AffiliateFields):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    price_idr: int = Field(description="Price in whole rupiah.")
    stock: int = Field(ge=0, le=10_000_000)
    category: str = Field(default="Lainnya", max_length=60)
    image_url: str | None = Field(default=None, max_length=500)


class ProductOut(CrossBorderFields, AffiliateFields):
    id: int
    merchant: MerchantOut
    title: str
    description: str
    price_idr: int
    stock: int
    category: str
    image_url: str


class CatalogEntry(BaseModel):
    """The public catalog: exactly what social may know about a product."""

    id: int
    merchant_id: int
    merchant_name: str
    title: str
    price_idr: int
    image_url: str
    stock_status: Literal["in_stock", "out_of_stock"]


class CatalogPage(BaseModel):
    items: list[CatalogEntry]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


def image_url(request: Request, product: Product) -> str:
    if product.image_url and not product.image_url.startswith("/"):
        return product.image_url
    base: str = settings_of(request).public_url
    return f"{base}{product.image_url or f'/media/products/{product.id}.svg'}"


def catalog_entry(request: Request, p: Product) -> CatalogEntry:
    return CatalogEntry(
        id=p.id,
        merchant_id=p.merchant.id,
        merchant_name=p.merchant.name,
        title=p.title,
        price_idr=p.price_idr,
        image_url=image_url(request, p),
        stock_status="in_stock" if p.in_stock else "out_of_stock",
    )


def product_out(request: Request, p: Product) -> ProductOut:
    fields = {name: getattr(p, name) for name in ProductOut.model_fields if name != "merchant"}
    return ProductOut(
        **fields | {"image_url": image_url(request, p)},
        merchant=MerchantOut.model_validate(p.merchant, from_attributes=True),
    )


def current_merchant(svc: Catalog, token: Annotated[str | None, Depends(bearer)]) -> Shop:
    return svc.authenticate_merchant(token)


async def require_admin(request: Request, token: Annotated[str | None, Depends(bearer)]) -> None:
    expected: str | None = settings_of(request).admin_token
    if not expected:
        raise NotPermitted(
            "no operator token is configured on this commerce service", code="no_operator_token"
        )
    if not is_operator(token, expected):
        raise Unauthenticated(
            "this action needs the platform operator's token", code="operator_token_needed"
        )


Merchant = Annotated[Shop, Depends(current_merchant)]
router = APIRouter(route_class=ApiRoute)


@router.post(
    "/api/merchants",
    status_code=201,
    response_model=RegisteredOut,
    dependencies=[Depends(require_admin)],
    tags=["merchants"],
    summary="Register a merchant (operators only)",
)
def register_merchant(body: MerchantIn, svc: Catalog) -> RegisteredOut | JSONResponse:
    submitted = body.registration.model_dump() if body.registration else {}
    outcome = svc.register_merchant(
        NewMerchant(body.slug, body.name, body.kind, body.city), submitted
    )
    return registered_or_missing(outcome)


def registered_or_missing(outcome: Registered | Incomplete) -> RegisteredOut | JSONResponse:
    if isinstance(outcome, Incomplete):
        detail = [
            {
                "loc": ["body", "registration", field],
                "msg": f"missing: {FOREIGN_REQUIREMENTS[field]} (Permendag 31/2023 Pasal 5)",
                "type": "missing",
            }
            for field in outcome.missing
        ]
        body = {
            "error": "IncompleteRegistration",
            "detail": detail,
            "missing": outcome.missing,
            "application_id": outcome.application_id,
        }
        return JSONResponse(body, status_code=422)
    out = MerchantOut.model_validate(outcome.merchant, from_attributes=True)
    return RegisteredOut(**out.model_dump(), token=outcome.token)


@router.patch(
    "/api/merchant-applications/{application_id}",
    status_code=201,
    response_model=RegisteredOut,
    dependencies=[Depends(require_admin)],
    tags=["merchants"],
    summary="Add missing items to a kept foreign registration (operators only)",
)
def complete_application(
    application_id: PathId, body: ForeignRegistrationIn, svc: Catalog
) -> RegisteredOut | JSONResponse:
    return registered_or_missing(svc.complete_application(application_id, body.model_dump()))


@router.get(
    "/api/merchant-applications/{application_id}",
    dependencies=[Depends(require_admin)],
    tags=["merchants"],
    summary="A registration as submitted, with what is still missing (operators only)",
)
def get_application(application_id: PathId, svc: Catalog) -> ApplicationOut:
    return ApplicationOut.model_validate(svc.application(application_id), from_attributes=True)


@router.post("/api/products", status_code=201, response_model=ProductOut, tags=["catalog"])
def add_product(body: ProductIn, merchant: Merchant, svc: Catalog, request: Request) -> ProductOut:
    new = NewProduct(**body.model_dump())
    return product_out(request, svc.add_product(merchant, new))


@router.get("/api/products/{product_id}", response_model=ProductOut, tags=["catalog"])
def get_product(product_id: PathId, svc: Catalog, request: Request) -> ProductOut:
    return product_out(request, svc.product_on_sale(product_id))


@router.get(
    "/catalog/products",
    response_model=CatalogPage,
    tags=["public catalog"],
    summary="The public catalog feed (public fields only), in id order",
)
def catalog_feed(
    svc: Catalog,
    request: Request,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> CatalogPage:
    products = svc.products(after, limit)
    next_after = products[-1].id if len(products) == limit else None
    return CatalogPage(items=[catalog_entry(request, p) for p in products], next_after=next_after)


@router.get("/catalog/products/{product_id}", response_model=CatalogEntry, tags=["public catalog"])
def catalog_product(product_id: PathId, svc: Catalog, request: Request) -> CatalogEntry:
    return catalog_entry(request, svc.product_on_sale(product_id))

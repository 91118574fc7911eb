"""The legacy shop over HTTP for sellers (their shop token) and operators (the operator token):
open a shop, products and stock, the payout account, orders and fulfilment, the balance, and the
buyer-data counts the regulator's evidence will read."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from keranjang.infra.auth import bearer, is_operator
from keranjang.infra.http_errors import PathId
from keranjang.social.legacy_shop import domain, listings, schemas
from keranjang.social.legacy_shop.api import Shop
from keranjang.social.legacy_shop.domain import OrderStatus


def current_seller(legacy: Shop, token: Annotated[str | None, Depends(bearer)]) -> int:
    return legacy.selling.authenticate(token)


async def require_operator(request: Request, token: Annotated[str | None, Depends(bearer)]) -> None:
    expected: str | None = request.app.state.settings.admin_token
    if not expected:
        raise domain.NotPermitted(
            "no operator token is configured on this social service", "no_operator_token"
        )
    if not is_operator(token, expected):
        raise domain.Unauthenticated(
            "this action needs the platform operator's token", "operator_only"
        )


Seller = Annotated[int, Depends(current_seller)]
router = APIRouter(prefix="/legacy/api", tags=["legacy in-app shop: sellers"])


@router.post(
    "/sellers",
    status_code=201,
    response_model=schemas.RegisteredSellerOut,
    dependencies=[Depends(require_operator)],
    summary="Open a shop in the app (operators only); answers the seller token once",
)
def register(body: schemas.RegistrationIn, legacy: Shop) -> schemas.RegisteredSellerOut:
    registered = legacy.selling.register(listings.Registration(**body.model_dump()))
    out = schemas.seller_out(registered.seller)
    return schemas.RegisteredSellerOut(**out.model_dump(), token=registered.token)


@router.get("/seller", response_model=schemas.SellerOut, summary="Your shop")
def seller(seller_id: Seller, legacy: Shop) -> schemas.SellerOut:
    return schemas.seller_out(legacy.selling.seller(seller_id))


@router.put("/seller/payout-account", response_model=schemas.SellerOut)
def payout_account(
    body: schemas.PayoutAccountIn, seller_id: Seller, legacy: Shop
) -> schemas.SellerOut:
    account = listings.PayoutAccount(**body.model_dump())
    return schemas.seller_out(legacy.selling.set_payout_account(seller_id, account))


@router.get(
    "/seller/move",
    response_model=schemas.MoveConsentOut,
    summary="Whether you have confirmed your shop's move to commerce (the shop app)",
)
def move_consent(seller_id: Seller, legacy: Shop) -> schemas.MoveConsentOut:
    return schemas.move_consent_out(legacy.moving.consent(seller_id))


@router.post(
    "/seller/move",
    response_model=schemas.MoveConsentOut,
    summary="Confirm your shop's move to commerce; confirming again keeps the first time",
)
def confirm_move(seller_id: Seller, legacy: Shop) -> schemas.MoveConsentOut:
    return schemas.move_consent_out(legacy.moving.confirm(seller_id))


@router.get("/seller/balance", response_model=schemas.BalanceOut, summary="Escrow and payable")
def balance(seller_id: Seller, legacy: Shop) -> schemas.BalanceOut:
    return schemas.BalanceOut(**asdict(legacy.selling.balance(seller_id)))


@router.get("/seller/products", response_model=list[schemas.ProductOut])
def products(seller_id: Seller, legacy: Shop) -> list[schemas.ProductOut]:
    return [schemas.product_out(p) for p in legacy.selling.products(seller_id)]


@router.post("/seller/products", status_code=201, response_model=schemas.ProductOut)
def add_product(body: schemas.ListingIn, seller_id: Seller, legacy: Shop) -> schemas.ProductOut:
    listing = listings.Listing(**body.model_dump())
    return schemas.product_out(legacy.selling.add_product(seller_id, listing))


@router.patch(
    "/seller/products/{product_id}",
    response_model=schemas.ProductOut,
    summary="Edit a product: price, stock or any listing field",
)
def edit_product(
    product_id: PathId, body: schemas.ListingPatch, seller_id: Seller, legacy: Shop
) -> schemas.ProductOut:
    view = legacy.selling.edit_product(seller_id, product_id, body.changes())
    return schemas.product_out(view)


@router.get("/seller/orders", response_model=list[schemas.OrderOut])
def orders(
    seller_id: Seller, legacy: Shop, status: OrderStatus | None = None
) -> list[schemas.OrderOut]:
    return [schemas.order_out(o) for o in legacy.selling.orders(seller_id, status)]


@router.get("/seller/orders/{order_id}", response_model=schemas.OrderOut)
def order(order_id: PathId, seller_id: Seller, legacy: Shop) -> schemas.OrderOut:
    return schemas.order_out(legacy.selling.order(seller_id, order_id))


@router.post("/seller/orders/{order_id}/ship", response_model=schemas.OrderOut)
def ship(
    order_id: PathId, body: schemas.ShipIn, seller_id: Seller, legacy: Shop
) -> schemas.OrderOut:
    return schemas.order_out(legacy.selling.ship(seller_id, order_id, body.tracking_number))


@router.post("/seller/orders/{order_id}/delivered", response_model=schemas.OrderOut)
def delivered(order_id: PathId, seller_id: Seller, legacy: Shop) -> schemas.OrderOut:
    return schemas.order_out(legacy.selling.mark_delivered(seller_id, order_id))


@router.post(
    "/seller/orders/{order_id}/cancel",
    response_model=schemas.OrderOut,
    summary="Cancel with a reason; a paid order's money goes back through the partner",
)
def cancel(
    order_id: PathId, body: schemas.CancelIn, seller_id: Seller, legacy: Shop
) -> schemas.OrderOut:
    return schemas.order_out(legacy.selling.cancel(seller_id, order_id, body.reason))


@router.get(
    "/admin/buyer-data",
    response_model=schemas.BuyerDataOut,
    dependencies=[Depends(require_operator)],
    summary="Counts of buyer-data rows in social, by table and per legacy seller (no rows)",
)
def buyer_data(legacy: Shop) -> schemas.BuyerDataOut:
    counts = legacy.buyer_data_counts()
    return schemas.BuyerDataOut(
        by_table=counts.by_table,
        by_seller=[schemas.SellerBuyerDataOut(**asdict(c)) for c in counts.by_seller],
        total=counts.total,
    )

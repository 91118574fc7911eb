"""The legacy shop over HTTP for buyers: public product data, the profile's phone, addresses, the
cart, checkout, orders and their payments; the partner's notifications; the shop's errors turned
into HTTP statuses, in one table (pages and API alike); and what the shop's routes answer when it
is switched off. The pages are the `pages_*` modules."""

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from keranjang.infra.http_errors import PathId
from keranjang.infra.runtime import call_blocking
from keranjang.infra.webapp import wants_json
from keranjang.social.i18n import N_, coded_error_json, words_of
from keranjang.social.legacy_shop import domain, error_words, schemas
from keranjang.social.legacy_shop.checkout import CheckoutRequest
from keranjang.social.legacy_shop.pages_render import render
from keranjang.social.legacy_shop.service import LegacyShop
from keranjang.social.viewers.api import CurrentViewer

# The one table from the shop's errors to HTTP statuses (the most specific class wins).
STATUS: dict[type[domain.LegacyShopError], int] = {
    domain.NotFound: 404,
    domain.Invalid: 422,
    domain.Conflict: 409,
    domain.NotPermitted: 403,
    domain.Unauthenticated: 401,
    domain.NotificationRefused: 400,
    domain.Unavailable: 503,
    domain.ShopClosed: 410,
}
# Seconds a refused client waits before trying again: a seller's cutover pauses writes briefly.
RETRY_AFTER: dict[type[domain.LegacyShopError], str] = {domain.SellerFenced: "1"}
# What a page says of a refusal, by status; the shop's own words follow as the detail.
HEADINGS = {
    401: (N_("Perlu masuk"), N_("Masuk dulu, lalu coba lagi.")),
    403: (N_("Tidak diizinkan"), N_("Permintaan ini tidak diizinkan.")),
    404: (N_("Tidak ditemukan"), N_("Yang kamu cari tidak ada, atau bukan milikmu.")),
    409: (N_("Tidak bisa sekarang"), N_("Keadaannya sudah berubah; muat ulang halamannya.")),
    410: (N_("Toko dalam aplikasi sudah tutup"), N_("Belanja sekarang di toko Keranjang.")),
    422: (N_("Periksa lagi"), N_("Ada isian yang tidak bisa diterima.")),
    503: (N_("Coba lagi nanti"), N_("Layanan sedang sibuk atau tidak terjangkau.")),
}
SOMETHING_WRONG = N_("Ada yang tidak beres")


def status_of(exc: domain.LegacyShopError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def install_errors(app: FastAPI) -> None:
    @app.exception_handler(domain.LegacyShopError)
    def shop_error(request: Request, exc: domain.LegacyShopError) -> Response:
        status, detail, extra = status_of(exc), str(exc), {}
        if isinstance(exc, domain.SellerMoved):  # where the seller sells now
            extra["commerce_url"] = request.app.state.settings.commerce_url.rstrip("/") + "/"
            detail = f"{detail}: {extra['commerce_url']}"
        words = words_of(request)
        said = error_words.say(words, exc)
        if wants_json(request, "/legacy/api/", "/legacy/payments/"):
            response: Response = coded_error_json(words, exc, said, detail, status, **extra)
        else:
            heading, message = HEADINGS.get(status, (SOMETHING_WRONG, ""))
            context = {"heading": heading, "message": message, "detail": said}
            response = render(request, "error.html", status, **context)
        if status == 503:
            response.headers["Retry-After"] = RETRY_AFTER.get(type(exc), "5")
        return response


def closed_router(commerce_url: str) -> APIRouter:
    """With the shop switched off, every one of its routes answers 410 naming commerce."""
    router = APIRouter(include_in_schema=False)
    message = (
        "the in-app shop is closed: products are bought in the Keranjang shop at "
        f"{commerce_url}/ (the yellow cart takes you there)"
    )

    @router.api_route("/legacy/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def closed(rest: str) -> JSONResponse:
        raise domain.ShopClosed(message, url=f"{commerce_url}/")

    return router


def shop(request: Request) -> LegacyShop:
    legacy: LegacyShop = request.app.state.legacy_shop
    return legacy


Shop = Annotated[LegacyShop, Depends(shop)]
router = APIRouter(prefix="/legacy", tags=["legacy in-app shop"])


@router.get("/api/products/{product_id}", response_model=schemas.ProductOut)
def product(product_id: PathId, legacy: Shop) -> schemas.ProductOut:
    return schemas.product_out(legacy.selling.product(product_id))


@router.get("/api/profile", response_model=schemas.ProfileOut, summary="Your phone for delivery")
def profile(viewer: CurrentViewer, legacy: Shop) -> schemas.ProfileOut:
    return schemas.ProfileOut(phone=legacy.buying.phone(viewer.id))


@router.put("/api/profile", response_model=schemas.ProfileOut)
def set_phone(body: schemas.PhoneIn, viewer: CurrentViewer, legacy: Shop) -> schemas.ProfileOut:
    return schemas.ProfileOut(phone=legacy.buying.set_phone(viewer.id, body.phone))


@router.get("/api/addresses", response_model=list[schemas.AddressOut])
def addresses(viewer: CurrentViewer, legacy: Shop) -> list[schemas.AddressOut]:
    return [schemas.address_out(a) for a in legacy.buying.addresses(viewer.id)]


@router.post("/api/addresses", status_code=201, response_model=schemas.AddressOut)
def add_address(
    body: schemas.SavedAddressIn, viewer: CurrentViewer, legacy: Shop
) -> schemas.AddressOut:
    address = schemas.AddressIn.model_validate(body.model_dump(exclude={"label"})).to_domain()
    return schemas.address_out(legacy.buying.add_address(viewer.id, body.label, address))


@router.delete("/api/addresses/{address_id}", status_code=204)
def delete_address(address_id: PathId, viewer: CurrentViewer, legacy: Shop) -> Response:
    legacy.buying.delete_address(viewer.id, address_id)
    return Response(status_code=204)


@router.get("/api/cart", response_model=schemas.CartOut)
def cart(viewer: CurrentViewer, legacy: Shop) -> schemas.CartOut:
    return schemas.cart_out(legacy.buying.cart(viewer.id))


@router.put("/api/cart/items/{product_id}", response_model=schemas.CartOut)
def set_quantity(
    product_id: PathId, body: schemas.CartItemIn, viewer: CurrentViewer, legacy: Shop
) -> schemas.CartOut:
    view = legacy.buying.set_quantity(viewer.id, product_id, body.quantity, body.pin_id)
    return schemas.cart_out(view)


@router.post(
    "/api/checkout",
    status_code=201,
    response_model=schemas.CheckoutOut,
    summary="Check out the cart: one order per seller, exactly once per Idempotency-Key",
)
def checkout(
    body: schemas.CheckoutIn,
    viewer: CurrentViewer,
    legacy: Shop,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)] = None,
) -> schemas.CheckoutOut:
    address = body.shipping_address.to_domain() if body.shipping_address else None
    method = body.payment_method
    request = CheckoutRequest(body.address_id, address, method.value if method else None)
    placed = legacy.checkout.checkout(viewer.id, key, request)
    orders = []
    for order in placed.orders:
        payment = None
        if method is not None and order.status is domain.OrderStatus.AWAITING_PAYMENT:
            try:
                payment = legacy.paying.start(viewer.id, order.id, method)
            except domain.PartnerDown:
                payment = None  # pay later: POST /legacy/api/orders/{id}/payment
        orders.append(schemas.order_out(order, payment))
    return schemas.CheckoutOut(
        checkout_id=placed.checkout_id, replayed=placed.replayed, orders=orders
    )


@router.get("/api/orders", response_model=list[schemas.OrderOut], summary="Your order history")
def orders(viewer: CurrentViewer, legacy: Shop) -> list[schemas.OrderOut]:
    return [schemas.order_out(o) for o in legacy.buying.orders(viewer.id)]


@router.get("/api/orders/{order_id}", response_model=schemas.OrderOut)
def order(order_id: PathId, viewer: CurrentViewer, legacy: Shop) -> schemas.OrderOut:
    return schemas.order_out(legacy.buying.order(viewer.id, order_id))


@router.post("/api/orders/{order_id}/payment", response_model=schemas.PaymentOut)
def pay(
    order_id: PathId, body: schemas.PaymentIn, viewer: CurrentViewer, legacy: Shop
) -> schemas.PaymentOut:
    view = legacy.paying.start(viewer.id, order_id, body.method)
    return schemas.PaymentOut.model_validate(view, from_attributes=True)


@router.post("/api/orders/{order_id}/received", response_model=schemas.OrderOut)
def received(order_id: PathId, viewer: CurrentViewer, legacy: Shop) -> schemas.OrderOut:
    return schemas.order_out(legacy.buying.confirm_received(viewer.id, order_id))


@router.post(
    "/payments/notifications",
    response_model=schemas.NewsOut,
    summary="The payment partner's notifications of social's own payments",
)
async def notification(request: Request, legacy: Shop) -> schemas.NewsOut:
    body, headers = await request.body(), dict(request.headers)
    dialect = request.app.state.engine.dialect.name
    outcome = await call_blocking(dialect, lambda: legacy.paying.receive(headers, body))
    return schemas.NewsOut(outcome=outcome)

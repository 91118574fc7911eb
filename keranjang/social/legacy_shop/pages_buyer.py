"""The in-app shop's product sheet (where a legacy pin's yellow cart lands, `?pin=` keeping the
creator's credit) and the cart: add, change quantities, remove. A quantity past the stock is cut
to what is left, and the page says so."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.infra.http_errors import MAX_ID, PathId
from keranjang.social.i18n import N_, words_of
from keranjang.social.legacy_shop import domain
from keranjang.social.legacy_shop.api import Shop
from keranjang.social.legacy_shop.pages_account import Buyer, login_url, viewer_or_none
from keranjang.social.legacy_shop.pages_forms import CrossSiteChecked, Form, whole_number
from keranjang.social.legacy_shop.pages_render import render
from keranjang.social.legacy_shop.service import LegacyShop
from keranjang.social.legacy_shop.views import ProductView
from keranjang.social.viewers.domain import Viewer

router = APIRouter(prefix="/legacy", include_in_schema=False)
NumberQuery = Annotated[str, Query(max_length=20)]
QUANTITY_HINT = N_("Isi jumlah 1 sampai {high}.")
CART_QUANTITY_HINT = N_("Isi jumlah 0 (hapus) sampai {high}.")
SOLD_OUT = N_("Stok habis: produk ini belum bisa dibeli.")


def product_path(product_id: int, pin_id: int | None) -> str:
    return f"/legacy/products/{product_id}" + (f"?pin={pin_id}" if pin_id else "")


def _product_page(
    request: Request, p: ProductView, pin_id: int | None, /, **context: object
) -> Response:
    viewer = viewer_or_none(request)
    here = product_path(p.id, pin_id)
    context.setdefault("values", {"quantity": "1"})
    status = context.pop("status_code", 200)
    assert isinstance(status, int)
    return render(
        request,
        "product.html",
        status,
        p=p,
        pin=pin_id,
        viewer=viewer,
        login=login_url(here),
        **context,
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(
    request: Request, product_id: PathId, legacy: Shop, pin: NumberQuery = ""
) -> Response:
    pin_id = whole_number(pin, 1, MAX_ID)
    return _product_page(request, legacy.selling.product(product_id), pin_id)


def _in_cart(legacy: LegacyShop, viewer_id: int, product_id: int) -> int:
    lines = legacy.buying.cart(viewer_id).lines
    return next((line.quantity for line in lines if line.product_id == product_id), 0)


@router.post("/cart/add", dependencies=[CrossSiteChecked])
def add_to_cart(request: Request, form: Form, buyer: Buyer, legacy: Shop) -> Response:
    product_id = whole_number(form.get("product_id", ""), 1, MAX_ID)
    if product_id is None:
        raise domain.NotFound("no such product in the in-app shop", "no_product")
    p = legacy.selling.product(product_id)
    pin_id = whole_number(form.get("pin", ""), 1, MAX_ID)
    typed = form.get("quantity", "")
    quantity = whole_number(typed, 1, domain.MAX_QUANTITY)
    if quantity is None or not p.in_stock:
        words = words_of(request)
        hint = words._(QUANTITY_HINT, high=domain.MAX_QUANTITY) if p.in_stock else SOLD_OUT
        return _product_page(
            request,
            p,
            pin_id,
            status_code=422,
            errors={"quantity": hint},
            values={"quantity": typed},
        )
    wanted = _in_cart(legacy, buyer.id, p.id) + quantity
    kept = min(wanted, p.listing.stock, domain.MAX_QUANTITY)
    legacy.buying.set_quantity(buyer.id, p.id, kept, pin_id)
    capped = f"&dibatasi={p.id}" if kept < wanted else ""
    return RedirectResponse(f"/legacy/cart?ditambah={p.id}{capped}", status_code=303)


def cart_page(
    request: Request, viewer: Viewer, legacy: LegacyShop, /, **context: object
) -> Response:
    cart = legacy.buying.cart(viewer.id)
    stock = {
        line.product_id: legacy.selling.product(line.product_id).listing.stock
        for line in cart.lines
    }
    status = context.pop("status_code", 200)
    assert isinstance(status, int)
    return render(request, "cart.html", status, cart=cart, stock=stock, viewer=viewer, **context)


@router.get("/cart", response_class=HTMLResponse)
def cart(
    request: Request,
    viewer: Buyer,
    legacy: Shop,
    ditambah: NumberQuery = "",
    dibatasi: NumberQuery = "",
) -> Response:
    """`ditambah`: the product just added; `dibatasi`: the product whose quantity the stock
    cut."""
    added, capped = whole_number(ditambah, 1, MAX_ID), whole_number(dibatasi, 1, MAX_ID)
    notices, words = [], words_of(request)
    for line in legacy.buying.cart(viewer.id).lines:
        if line.product_id == added:
            notices.append(words._("{title} masuk keranjang.", title=line.title))
        if line.product_id == capped:
            notices.append(
                words._(
                    "Stok {title} tinggal {count}: jumlah di keranjang dibuat {count}.",
                    title=line.title,
                    count=line.quantity,
                )
            )
    return cart_page(request, viewer, legacy, notices=notices)


@router.post("/cart/{product_id}", dependencies=[CrossSiteChecked])
def change_quantity(
    request: Request, product_id: PathId, form: Form, viewer: Buyer, legacy: Shop
) -> Response:
    typed = form.get("quantity", "")
    quantity = 0 if "remove" in form else whole_number(typed, 0, domain.MAX_QUANTITY)
    if quantity is None:
        errors = {
            str(product_id): words_of(request)._(CART_QUANTITY_HINT, high=domain.MAX_QUANTITY)
        }
        values = {str(product_id): typed}
        return cart_page(request, viewer, legacy, status_code=422, errors=errors, values=values)
    stock = legacy.selling.product(product_id).listing.stock
    kept = min(quantity, stock)
    legacy.buying.set_quantity(viewer.id, product_id, kept)
    capped = f"?dibatasi={product_id}" if kept < quantity and kept > 0 else ""
    return RedirectResponse(f"/legacy/cart{capped}", status_code=303)

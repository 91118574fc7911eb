"""The cart in the browser: adding from a product page (logging in first when needed), the cart
grouped by shop with its shipping and totals, and changing or removing a line. Every change
keeps the creator's attribution: the line's own, or the hand-off this browser arrived with."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.buying.domain import MAX_QUANTITY, CartLine, OrderDraft
from keranjang.commerce.catalog.domain import Merchant, Product
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.errors import Invalid, NotFound
from keranjang.commerce.web.cookies import remembered_attribution
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.i18n import words_of
from keranjang.commerce.web.pages.buyer.guard import (
    Shopper,
    buyer_or_none,
    buying,
    personal_page,
)
from keranjang.commerce.web.rendering import ShopPageRoute
from keranjang.infra.http_errors import PathId

router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)


@dataclass(frozen=True)
class PendingAdd:
    """A product the buyer asked to add: kept through logging in, added once signed in."""

    product_id: int
    quantity: int


def pending_add(fields: Mapping[str, str]) -> PendingAdd | None:
    """The product and quantity a form carries (no quantity means one), or None if either is
    not a whole number in range."""
    product_id = _whole_number(fields.get("product_id", ""))
    given = fields.get("quantity", "").strip()
    quantity = _whole_number(given) if given else 1
    if not product_id or quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        return None
    return PendingAdd(product_id, quantity)


def _whole_number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


def added_url(pending: PendingAdd, capped: bool = False) -> str:
    """The cart, saying what was added, or that the quantity was cut to the stock left."""
    if capped:
        return f"/cart?capped={pending.product_id}"
    return f"/cart?added={pending.product_id}"


def add_to_cart(request: Request, buyer: int, pending: PendingAdd) -> bool:
    """Add to what is already in the cart, up to the stock left (and the most one line may
    hold); whether the quantity had to be cut to the stock."""
    svc = buying(request)
    current = next((x for x in svc.cart(buyer) if x.product_id == pending.product_id), None)
    already = current.quantity if current else 0
    quantity = min(already + pending.quantity, MAX_QUANTITY)
    return _set(request, buyer, pending.product_id, quantity, current) < quantity


def _set(
    request: Request, buyer: int, product_id: int, quantity: int, line: CartLine | None
) -> int:
    """Set the line to `quantity`, or to the stock left if that is less: what the line holds."""
    came_from = (line.attribution_id if line else None) or remembered_attribution(request)
    catalog: CatalogService = commerce_of(request).catalog
    try:
        kept = min(quantity, max(catalog.product(product_id).stock, 0))
        buying(request).set_quantity(buyer, product_id, kept, came_from)
    except NotFound:
        raise NotFound(
            f"no product with id {product_id}", code="no_product", params={"id": product_id}
        ) from None
    return kept


@router.post("/cart/add", dependencies=[CrossSiteChecked])
def add(request: Request, form: Form) -> Response:
    pending = pending_add(form)
    if pending is None:
        raise Invalid(
            f"quantity must be from 1 to {MAX_QUANTITY}",
            code="quantity",
            params={"max": MAX_QUANTITY},
        )
    buyer = buyer_or_none(request)
    if buyer is None:  # log in first; the login form carries the product and brings it back
        back = {"next": f"/products/{pending.product_id}"}
        query = urlencode(back | {"product_id": pending.product_id, "quantity": pending.quantity})
        return RedirectResponse(f"/login?{query}", status_code=303)
    capped = add_to_cart(request, buyer, pending)
    return RedirectResponse(added_url(pending, capped), status_code=303)


@router.post("/cart/{product_id}", dependencies=[CrossSiteChecked])
def change(request: Request, product_id: PathId, form: Form, buyer: Shopper) -> Response:
    """A new quantity for a line; 0 (the remove button) takes it out."""
    quantity = _whole_number(form.get("quantity", ""))
    if quantity is None or quantity > MAX_QUANTITY:
        raise Invalid(
            f"quantity must be from 0 (remove) to {MAX_QUANTITY}",
            code="quantity_or_remove",
            params={"max": MAX_QUANTITY},
        )
    line = next((x for x in buying(request).cart(buyer) if x.product_id == product_id), None)
    capped = _set(request, buyer, product_id, quantity, line) < quantity
    return RedirectResponse(f"/cart?capped={product_id}" if capped else "/cart", status_code=303)


# -- what the cart and checkout pages show ------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    line: CartLine
    product: Product

    @property
    def short_of_stock(self) -> bool:
        return self.product.stock < self.line.quantity


@dataclass(frozen=True)
class ShopGroup:
    """One shop's part of the cart: what its order would be."""

    merchant: Merchant
    lines: tuple[LineView, ...]
    draft: OrderDraft


@dataclass(frozen=True)
class CartView:
    groups: tuple[ShopGroup, ...]

    @property
    def total_idr(self) -> int:
        return sum(g.draft.total_idr for g in self.groups)

    @property
    def item_count(self) -> int:
        return sum(v.line.quantity for g in self.groups for v in g.lines)

    @property
    def short_of_stock(self) -> tuple[LineView, ...]:
        return tuple(v for g in self.groups for v in g.lines if v.short_of_stock)


def cart_view(request: Request, buyer: int, shipping_idr: int | None = None) -> CartView:
    """The cart grouped by shop, each with its shipping (the shop's default, or the chosen
    courier's price), as checkout would split it."""
    svc = buying(request)
    shipping = svc.settings.shipping_idr if shipping_idr is None else shipping_idr
    catalog: CatalogService = commerce_of(request).catalog
    lines = [LineView(x, catalog.product_view(x.product_id)) for x in svc.cart(buyer)]
    groups = []
    for merchant_id in dict.fromkeys(v.product.merchant.id for v in lines):
        mine = tuple(v for v in lines if v.product.merchant.id == merchant_id)
        draft = OrderDraft(merchant_id, tuple(v.line for v in mine), shipping)
        groups.append(ShopGroup(mine[0].product.merchant, mine, draft))
    return CartView(tuple(groups))


@router.get("/cart", response_class=HTMLResponse)
def cart_page(
    request: Request,
    buyer: Shopper,
    added: Annotated[str, Query(max_length=12)] = "",
    capped: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    view = cart_view(request, buyer)
    added_id = _whole_number(added)
    just_added = next(
        (v.line.title for g in view.groups for v in g.lines if v.line.product_id == added_id),
        None,
    )
    cut = _capped_notice(request, _whole_number(capped))
    return personal_page(request, "cart.html", cart=view, just_added=just_added, capped=cut)


def _capped_notice(request: Request, product_id: int | None) -> str | None:
    """Why the cart holds less than the buyer asked for: the stock left."""
    if not product_id:
        return None
    catalog: CatalogService = commerce_of(request).catalog
    try:
        product = catalog.product(product_id)
    except NotFound:
        return None
    words = words_of(request)
    if product.stock <= 0:
        return words._("Stok {title} habis, jadi tidak ada di keranjangmu.", title=product.title)
    return words._(
        "Stok {title} tinggal {stock}: jumlah di keranjangmu disesuaikan menjadi {stock}.",
        title=product.title,
        stock=product.stock,
    )

"""The seller center's dashboard and product pages: the shop's own catalog, added to and edited
through forms that keep what the seller typed and say next to each field what to fix."""

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.catalog.domain import Merchant, Product
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.errors import Invalid, NotFound
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.commerce.web.deps import Catalog, commerce_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.i18n import words_of
from keranjang.commerce.web.pages.seller.listing_form import TEXT_LIMITS, ProductForm, percent
from keranjang.commerce.web.pages.seller.session import Seller, render, seller_router
from keranjang.infra.http_errors import PathId

LOW_STOCK = 5
S = OrderStatus
DASHBOARD_STATUSES = (S.AWAITING_PAYMENT, S.PAID, S.SHIPPED, S.DELIVERED)
# What the shop has been paid for: orders past payment that were not cancelled or refunded.
PAID_STATUSES = (S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED)
router = seller_router()


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, merchant: Seller, svc: Catalog) -> HTMLResponse:
    figures = commerce_of(request).fulfilment.merchant_figures(merchant.id)
    low = [p for p in all_products(svc, merchant.id) if p.stock <= LOW_STOCK]
    return render(
        request,
        "seller_dashboard.html",
        counts={s: figures.get(s, (0, 0))[0] for s in DASHBOARD_STATUSES},
        revenue_idr=sum(figures.get(s, (0, 0))[1] for s in PAID_STATUSES),
        low_stock=sorted(low, key=lambda p: (p.stock, p.id)),
        low_stock_limit=LOW_STOCK,
    )


@router.get("/products", response_class=HTMLResponse)
def products(request: Request, merchant: Seller, svc: Catalog) -> HTMLResponse:
    saved = request.query_params.get("saved", "")
    listed = all_products(svc, merchant.id)
    return render(
        request, "seller_products.html", products=listed, saved=saved, commission_percent=percent
    )


@router.get("/products/new", response_class=HTMLResponse)
def new_product_page(request: Request, merchant: Seller) -> HTMLResponse:
    return product_form(request, ProductForm.blank())


@router.post("/products/new", dependencies=[CrossSiteChecked])
def add_product(request: Request, merchant: Seller, svc: Catalog, form: Form) -> Response:
    words = words_of(request)
    typed = ProductForm.submitted(form, words)
    new = typed.new_product()
    if new is not None:
        try:
            product = svc.add_product(merchant, new)
        except Invalid as exc:
            typed.refused(exc, words)
        else:
            return RedirectResponse(f"/seller/products?saved={product.id}", status_code=303)
    return product_form(request, typed, status_code=422)


@router.get("/products/{product_id}/edit", response_class=HTMLResponse)
def edit_product_page(
    request: Request, product_id: PathId, merchant: Seller, svc: Catalog
) -> HTMLResponse:
    product = own_product(svc, merchant, product_id)
    return product_form(request, ProductForm.of(product), product)


@router.post("/products/{product_id}/edit", dependencies=[CrossSiteChecked])
def edit_product(
    request: Request, product_id: PathId, merchant: Seller, svc: Catalog, form: Form
) -> Response:
    product = own_product(svc, merchant, product_id)
    words = words_of(request)
    typed = ProductForm.submitted(form, words)
    change = typed.change_of(product)
    if change is not None:
        try:
            svc.change_product(merchant, product_id, change)
        except Invalid as exc:
            typed.refused(exc, words)
        else:
            return RedirectResponse(f"/seller/products?saved={product_id}", status_code=303)
    return product_form(request, typed, product, status_code=422)


def product_form(
    request: Request,
    form: ProductForm,
    product: Product | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "seller_product_form.html",
        status_code,
        form=form,
        product=product,
        limits=TEXT_LIMITS,
    )


def own_product(svc: CatalogService, merchant: Merchant, product_id: int) -> Product:
    """The product, if this shop sells it; another shop's product is not found."""
    try:
        product = svc.product(product_id)
    except NotFound:
        product = None
    if product is None or product.merchant.id != merchant.id:
        raise NotFound(
            f"no product with id {product_id} in your shop",
            code="not_your_product",
            params={"id": product_id},
        )
    return product


def all_products(svc: CatalogService, merchant_id: int) -> list[Product]:
    found: list[Product] = []
    while page := svc.products(found[-1].id if found else 0, 200, merchant_id, on_sale=False):
        found.extend(page)
    return found

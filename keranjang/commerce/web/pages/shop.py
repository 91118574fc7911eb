"""Commerce's HTML pages: shops, product pages, the hand-off landing and generated product
pictures (the storefront, search and categories are `pages.browse`)."""

import hashlib
import threading
from html import escape
from typing import Annotated

from cachetools import TTLCache
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.catalog.domain import Product
from keranjang.commerce.catalog.search import Browse, Sort
from keranjang.commerce.errors import HandoffRefused, NotSelling
from keranjang.commerce.web.cookies import attributed_product, remember_attribution
from keranjang.commerce.web.deps import Attribution, Catalog, commerce_of, settings_of
from keranjang.commerce.web.i18n import CATALOG, words_of
from keranjang.commerce.web.pages.browse import Text, page_number
from keranjang.commerce.web.rendering import (
    ShopPageRoute,
    buyer_signed_in,
    in_words,
    localised,
    render,
    templates,
)
from keranjang.infra.http_errors import PathId
from keranjang.infra.runtime import call_blocking

router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)


# Rendered product pages, keyed by the (immutable) product view they show and what differs
# between visitors (came through a creator's yellow cart, signed in): a new view from the
# service's cache means a new key, so a page is never older than its view.
_product_pages: TTLCache[tuple[Product, bool, bool, str, str, str], bytes] = TTLCache(
    maxsize=10_000, ttl=60
)
_product_pages_lock = threading.Lock()


def product_page(request: Request, product: Product) -> HTMLResponse:
    if not product.merchant.selling:  # moving from or back to the app: no cart, no order
        raise NotSelling.shop(product.merchant.name)
    via_creator = attributed_product(request) == product.id
    signed_in = buyer_signed_in(request)
    words = words_of(request)
    switch = CATALOG.switch_url(request, words)
    key = (product, via_creator, signed_in, settings_of(request).social_url, words.lang, switch)
    with _product_pages_lock:
        html = _product_pages.get(key)
    if html is None:
        context: dict[str, object] = {"p": product, "via_creator": via_creator}
        context |= {"signed_in": signed_in, "social_url": key[3]}
        in_words(request, context)
        html = templates.get_template("product.html").render(context).encode()
        with _product_pages_lock:
            _product_pages[key] = html
    response = HTMLResponse(html)
    if via_creator or signed_in:  # differs by cookie: kept by this browser only
        response.headers["Cache-Control"] = "private, no-cache"
    return localised(request, response, words)


@router.get("/shops/{slug}", response_class=HTMLResponse)
def shop(request: Request, slug: str, svc: Catalog, page: Text = "1") -> HTMLResponse:
    merchant = svc.merchant(slug)
    found = svc.browse(Browse(sort=Sort.NEWEST, page=page_number(page), merchant_id=merchant.id))

    def link(page: int) -> str:
        return f"/shops/{slug}" + (f"?page={page}" if page > 1 else "")

    return render(request, "shop.html", merchant=merchant, results=found, link=link)


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product(request: Request, product_id: PathId, svc: Catalog) -> HTMLResponse:
    return product_page(request, svc.product_view(product_id))


@router.get("/handoff")
async def handoff_landing(
    request: Request, svc: Attribution, token: Annotated[str, Query(max_length=4096)] = ""
) -> Response:
    """Redeem the single-use token, then send the browser to the product's own address: the
    attribution rides in the signed cookie, so Back, Forward and reload show the product
    instead of a spent link."""
    if not token:
        raise HandoffRefused("missing", "this link has no hand-off token")
    dialect = commerce_of(request).engine.dialect.name
    landing = await call_blocking(dialect, lambda: svc.redeem_handoff(token))
    product_id = landing.product.id
    response = RedirectResponse(f"/products/{product_id}", status_code=303)
    remember_attribution(request, response, landing.attribution_id, product_id)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.api_route("/media/products/{product_id}.svg", methods=["GET", "HEAD"])
def product_image(product_id: PathId, svc: Catalog) -> Response:
    """A generated picture for products without one, so the demo shop needs no network."""
    p = svc.product(product_id)
    hue = int(hashlib.sha256(p.category.encode()).hexdigest()[:4], 16) % 360
    initials = escape("".join(w[0] for w in p.title.split()[:2]).upper())
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},70%,88%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 40) % 360},65%,70%)"/></linearGradient></defs>'
        '<rect width="400" height="400" fill="url(#g)"/>'
        f'<text x="200" y="230" font-family="sans-serif" font-size="120" font-weight="700" '
        f'text-anchor="middle" fill="hsl({hue},45%,30%)">{initials}</text>'
        f'<text x="200" y="330" font-family="sans-serif" font-size="26" text-anchor="middle" '
        f'fill="hsl({hue},40%,25%)">{escape(p.category)}</text></svg>'
    )
    # Social's pages load it with crossorigin="anonymous": no cookies, no referrer go with it.
    headers = {"Cache-Control": "max-age=3600", "Access-Control-Allow-Origin": "*"}
    return Response(svg, media_type="image/svg+xml", headers=headers)

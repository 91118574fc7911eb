"""Browsing the shop: the storefront's first page, search (`/search?q=`, the header's "Cari di
Keranjang" box) and category pages, each sorted and a page at a time (`catalog.search`)."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.catalog.search import Browse, Sort, browse_of
from keranjang.commerce.catalog.service import Results
from keranjang.commerce.errors import Invalid, NotFound
from keranjang.commerce.web.deps import Catalog
from keranjang.commerce.web.rendering import ShopPageRoute, render

router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)
# Taken as text and checked by `browse_of`, so a wrong value gets a page saying what to fix.
Text = Annotated[str, Query(max_length=1000)]
SORT_LABELS = {
    Sort.RELEVANCE: "Paling sesuai",
    Sort.NEWEST: "Terbaru",
    Sort.PRICE_UP: "Harga terendah",
    Sort.PRICE_DOWN: "Harga tertinggi",
}


def page_number(text: str) -> int:
    if not text.strip().isdigit() or len(text.strip()) > 6:
        raise Invalid("a page number is a whole number from 1", code="page_number")
    return int(text)


@router.get("/", response_class=HTMLResponse)
def storefront(request: Request, svc: Catalog, q: Text = "") -> Response:
    if q.strip():  # a search typed where the storefront is the form's address
        return RedirectResponse("/search?" + urlencode({"q": q.strip()}), status_code=303)
    first = svc.browse(Browse(sort=Sort.NEWEST))
    return render(
        request,
        "storefront.html",
        results=first,
        categories=svc.categories(),
        merchants=[m for m in svc.merchants() if m.selling],
    )


def asked_in_query(q: Text = "", sort: Text = "", page: Text = "1") -> tuple[str, str, int]:
    """Words, order and page as a page's address carries them (checked by `browse_of`)."""
    return q, sort, page_number(page)


Asked = Annotated[tuple[str, str, int], Depends(asked_in_query)]


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, svc: Catalog, asked: Asked) -> HTMLResponse:
    q, sort, page = asked
    return _results(request, svc, browse_of(q, None, sort, page), "/search")


@router.get("/categories/{category}", response_class=HTMLResponse)
def category(request: Request, svc: Catalog, category: str, asked: Asked) -> HTMLResponse:
    if category not in svc.categories():
        raise NotFound(
            f"no category {category!r}", code="no_category", params={"category": category}
        )
    q, sort, page = asked
    return _results(request, svc, browse_of(q, category, sort, page), f"/categories/{category}")


def _results(request: Request, svc: Catalog, asked: Browse, path: str) -> HTMLResponse:
    found: Results = svc.browse(asked)
    shown_sort = asked.sort if asked.words or asked.sort is not Sort.RELEVANCE else Sort.NEWEST

    def link(**changed: object) -> str:
        params = {"q": asked.query, "sort": asked.sort.value, "page": asked.page} | changed
        kept = {k: v for k, v in params.items() if v not in ("", None, 1, Sort.RELEVANCE.value)}
        return path + ("?" + urlencode(kept) if kept else "")

    return render(
        request,
        "search.html",
        asked=asked,
        results=found,
        sorts=SORT_LABELS,
        shown_sort=shown_sort,
        link=link,
        categories=svc.categories(),
    )

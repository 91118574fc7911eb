"""The seller center in the browser: a merchant signs in with its shop token and runs its shop:
dashboard, products, orders, invoices and its money.

    session          sign-in, the session cookie, the pages' frame
    listing_form     the product form: what the seller typed, read into a listing or a change
    catalog_pages    dashboard and products
    order_pages      orders (ship, deliver, cancel) and their invoices
    statement_pages  the statement: balances held and payable, movements, payouts
"""

from fastapi import APIRouter

from keranjang.commerce.web.pages.seller import catalog_pages, order_pages, session, statement_pages

router = APIRouter(include_in_schema=False)
for _pages in (session, catalog_pages, order_pages, statement_pages):
    router.include_router(_pages.router)

__all__ = ["router"]

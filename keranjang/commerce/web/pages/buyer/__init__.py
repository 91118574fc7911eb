"""The buyer's pages: accounts, the cart, checkout, orders and invoices, in the browser.

Every page here is about one buyer, so none is cached; every form is checked to come from this
shop (`web.forms.same_origin`). The catalog pages they start from live in `pages`."""

from fastapi import APIRouter

from keranjang.commerce.web.pages.buyer import (
    account,
    cart,
    checkout_page,
    order_pages,
    refund_account,
)

router = APIRouter(include_in_schema=False)
for part in (account, cart, checkout_page, order_pages, refund_account):
    router.include_router(part.router)

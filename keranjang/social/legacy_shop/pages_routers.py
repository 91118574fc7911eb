"""The in-app shop's pages, in the order their routes must be tried; social's app composition
mounts them with the shop's API."""

from fastapi import APIRouter

from keranjang.social.legacy_shop import (
    pages_account,
    pages_buyer,
    pages_checkout,
    pages_orders,
    pages_seller,
    pages_seller_orders,
)

ROUTERS: tuple[APIRouter, ...] = (
    pages_account.router,
    pages_buyer.router,
    pages_checkout.router,
    pages_orders.router,
    pages_seller.router,
    pages_seller_orders.router,
)

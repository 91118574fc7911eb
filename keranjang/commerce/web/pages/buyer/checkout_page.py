"""Checkout in the browser: the shipping address (saved, or new and saved if asked), the
courier and the payment method, orders placed once per rendered form (its hidden idempotency
key), then straight to the partner's pay page: one payment for every shop's order. A refused
checkout loses nothing."""

import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.buying.domain import COURIERS, MAX_LINES
from keranjang.commerce.buying.service import Answer
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.errors import Conflict, IdempotencyMismatch
from keranjang.commerce.money.domain import Choice
from keranjang.commerce.money.paying import PayingService
from keranjang.commerce.money.paying_together import pay_together
from keranjang.commerce.web.api.shop import placed_order
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.i18n import words_of
from keranjang.commerce.web.pages.buyer.cart import cart_view
from keranjang.commerce.web.pages.buyer.checkout_choices import (
    DEFAULT_COURIER,
    NEW_ADDRESS,
    read_choices,
    save_if_asked,
)
from keranjang.commerce.web.pages.buyer.guard import Shopper, buying, personal_page
from keranjang.commerce.web.pages.buyer.order_pages import (
    DEFAULT_METHOD,
    METHODS,
    method_label,
    shops,
    start_payment,
)
from keranjang.commerce.web.rendering import ShopPageRoute
from keranjang.commerce.web.wording import word

router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")
# A second press of "Buat pesanan" while the first is still being placed waits for its answer.
IN_PROGRESS_WAITS = 30
IN_PROGRESS_PAUSE_SECONDS = 0.1


def checkout_form(request: Request, buyer: int, status_code: int = 200, **context: Any) -> Response:
    """The form, with a fresh idempotency key each time it is shown: the buyer's saved
    addresses to pick from (the first picked), the couriers with their price, the methods."""
    saved = buying(request).addresses(buyer)
    first = str(saved[0].id) if saved else NEW_ADDRESS
    defaults = {"method": DEFAULT_METHOD, "courier": DEFAULT_COURIER, "address_id": first}
    values = defaults | {k: v for k, v in context.pop("values", {}).items() if v}
    context.setdefault("errors", {})
    courier = COURIERS.get(values["courier"], COURIERS[DEFAULT_COURIER])
    return personal_page(
        request,
        "checkout.html",
        status_code,
        cart=cart_view(request, buyer, courier.price_idr),
        key=uuid.uuid4().hex,
        methods=METHODS,
        couriers=COURIERS,
        saved=saved,
        values=values,
        **context,
    )


@router.get("/checkout", response_class=HTMLResponse)
def checkout_page(request: Request, buyer: Shopper) -> Response:
    return checkout_form(request, buyer)


@router.post("/checkout", dependencies=[CrossSiteChecked])
def place_orders(request: Request, form: Form, buyer: Shopper) -> Response:
    words = words_of(request)
    read = read_choices(form, buying(request).addresses(buyer), words)
    key = form.get("idempotency_key", "")
    if not read.complete or read.choice is None or not KEY.match(key):
        incomplete = words._("Formulir checkout tidak lengkap; periksa lalu kirim lagi.")
        problem = None if read.errors else incomplete
        return checkout_form(
            request, buyer, 422, values=read.values, errors=read.errors, problem=problem
        )
    answer = _checkout(request, buyer, key, read.body)
    if answer.status_code != 201:
        problem = refusal(request, buyer, answer)
        return checkout_form(
            request, buyer, answer.status_code, values=read.values, problem=problem
        )
    if not answer.replayed:
        save_if_asked(request, buyer, read)
    return pay_for(request, buyer, answer.body["orders"], read.choice)


def _checkout(request: Request, buyer: int, key: str, body: dict[str, Any]) -> Answer:
    svc = buying(request)
    for _ in range(IN_PROGRESS_WAITS):
        try:
            return svc.checkout(buyer, key, body)
        except IdempotencyMismatch:
            return Answer(422, {"error": "IdempotencyMismatch", "detail": ""})
        except Conflict:  # the same form, submitted twice, is still being placed
            time.sleep(IN_PROGRESS_PAUSE_SECONDS)
    raise Conflict("the same checkout is still being placed", code="still_placing")


def refusal(request: Request, buyer: int, answer: Answer) -> str:
    """Why checkout said no, in the buyer's words; the cart is as it was."""
    words = words_of(request)
    error = answer.body.get("error")
    if error == "EmptyCart":
        return word(["empty_cart"], {}, words)
    if error == "IdempotencyMismatch":
        return word(["idempotency_mismatch"], {}, words)
    if error == "OutOfStock":
        return words._("Stok tidak cukup.") + " " + shortage(request, buyer)
    codes = [str(answer.body.get("code", "")), "too_many_lines"]
    return word(codes, answer.body.get("params") or {"max": MAX_LINES}, words)


def shortage(request: Request, buyer: int) -> str:
    """Which lines ask for more than is left, read fresh (not from the cached views)."""
    words = words_of(request)
    catalog: CatalogService = commerce_of(request).catalog
    short = []
    for line in buying(request).cart(buyer):
        left = catalog.product(line.product_id).stock
        if left < line.quantity:
            short.append(
                words._(
                    "{title}: tersisa {left}, kamu memesan {quantity}.",
                    title=line.title,
                    left=left,
                    quantity=line.quantity,
                )
            )
    advice = words._("Ubah jumlahnya di keranjang; isi keranjangmu tetap tersimpan.")
    return " ".join([*short, advice])


def pay_for(request: Request, buyer: int, placed: list[dict[str, Any]], choice: Choice) -> Response:
    """To the partner's pay page: one payment for every order of the checkout. Where the
    partner cannot take it now, a page of the orders, each payable later from its own page."""
    if len(placed) == 1:
        payments = [start_payment(request, buyer, placed[0]["id"], choice)]
    else:
        paying: PayingService = commerce_of(request).paying
        orders = [placed_order(o) for o in placed]
        payments = [x.payment for x in pay_together(paying, buyer, orders, choice)]
    first = payments[0]
    if first is not None and first.instructions.get("redirect_url"):
        return RedirectResponse(first.instructions["redirect_url"], status_code=303)
    return personal_page(
        request,
        "pay_orders.html",
        entries=list(zip(placed, payments, strict=True)),
        shops=shops(request),
        method=words_of(request)._(method_label(choice)),
    )

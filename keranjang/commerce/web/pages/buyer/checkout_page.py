"""Checkout in the browser: the shipping address and payment method, orders placed once per
rendered form (its hidden idempotency key), then straight to the partner's pay page, or to a
list of pay links when the cart spanned several shops. A refused checkout loses nothing."""

import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from keranjang.commerce.buying.domain import MAX_LINES
from keranjang.commerce.buying.service import Answer
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.errors import Conflict, IdempotencyMismatch
from keranjang.commerce.web.api.shop import AddressIn
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.pages.buyer.cart import cart_view
from keranjang.commerce.web.pages.buyer.guard import Shopper, buying, personal_page
from keranjang.commerce.web.pages.buyer.order_pages import METHODS, shops, start_payment
from keranjang.commerce.web.rendering import ShopPageRoute
from keranjang.payments import PaymentMethod

router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)
ADDRESS_HINTS = {
    "recipient": "Isi nama penerima (paling banyak 120 huruf).",
    "phone": "Isi nomor HP 8 sampai 15 angka, boleh diawali +, contoh +6281234567890.",
    "street": "Isi alamat lengkap: jalan, nomor rumah, RT/RW (3 sampai 300 huruf).",
    "city": "Isi kota atau kabupaten (2 sampai 80 huruf).",
    "postal_code": "Kode pos terdiri dari 5 angka, contoh 40111.",
}
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")
# A second press of "Buat pesanan" while the first is still being placed waits for its answer.
IN_PROGRESS_WAITS = 30
IN_PROGRESS_PAUSE_SECONDS = 0.1


def checkout_form(
    request: Request, buyer: int, status_code: int = 200, **context: object
) -> Response:
    """The form, with a fresh idempotency key each time it is shown."""
    context.setdefault("values", {"method": PaymentMethod.VIRTUAL_ACCOUNT.value})
    context.setdefault("errors", {})
    return personal_page(
        request,
        "checkout.html",
        status_code,
        cart=cart_view(request, buyer),
        key=uuid.uuid4().hex,
        methods=METHODS,
        **context,
    )


@router.get("/checkout", response_class=HTMLResponse)
def checkout_page(request: Request, buyer: Shopper) -> Response:
    return checkout_form(request, buyer)


@router.post("/checkout", dependencies=[CrossSiteChecked])
def place_orders(request: Request, form: Form, buyer: Shopper) -> Response:
    values = {name: form.get(name, "").strip() for name in (*ADDRESS_HINTS, "method")}
    address, errors = read_address(values)
    method = read_method(values["method"], errors)
    key = form.get("idempotency_key", "")
    if address is None or method is None or not KEY.match(key):
        problem = None if errors else "Formulir checkout tidak lengkap; periksa lalu kirim lagi."
        return checkout_form(request, buyer, 422, values=values, errors=errors, problem=problem)
    answer = _checkout(request, buyer, key, address)
    if answer.status_code != 201:
        problem = refusal(request, buyer, answer)
        return checkout_form(request, buyer, answer.status_code, values=values, problem=problem)
    return pay_for(request, buyer, answer.body["orders"], method)


def read_address(values: dict[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The address as checkout stores it, or what to fix next to each field."""
    given = {name: values[name] for name in ADDRESS_HINTS}
    given["phone"] = re.sub(r"[\s-]", "", given["phone"])  # "0812-3456 7890" is a fine number
    try:
        return AddressIn(**given).model_dump(), {}
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors()}
        return None, {name: hint for name, hint in ADDRESS_HINTS.items() if name in wrong}


def read_method(value: str, errors: dict[str, str]) -> PaymentMethod | None:
    try:
        return PaymentMethod(value)
    except ValueError:
        errors["method"] = "Pilih metode pembayaran."
        return None


def _checkout(request: Request, buyer: int, key: str, address: dict[str, Any]) -> Answer:
    svc = buying(request)
    for _ in range(IN_PROGRESS_WAITS):
        try:
            return svc.checkout(buyer, key, {"shipping_address": address})
        except IdempotencyMismatch:
            return Answer(422, {"error": "IdempotencyMismatch", "detail": ""})
        except Conflict:  # the same form, submitted twice, is still being placed
            time.sleep(IN_PROGRESS_PAUSE_SECONDS)
    raise Conflict("Pesananmu masih diproses. Buka Pesanan Saya sebentar lagi.")


def refusal(request: Request, buyer: int, answer: Answer) -> str:
    """Why checkout said no, in the buyer's words; the cart is as it was."""
    error = answer.body.get("error")
    if error == "EmptyCart":
        return "Keranjangmu kosong. Tambahkan produk dulu sebelum checkout."
    if error == "IdempotencyMismatch":
        return (
            "Formulir ini sudah dipakai untuk pesanan sebelumnya. Cek Pesanan Saya; "
            "bila ingin memesan lagi, kirim formulir yang baru ini."
        )
    if error == "OutOfStock":
        return "Stok tidak cukup. " + shortage(request, buyer)
    return f"Checkout ditolak: satu checkout paling banyak {MAX_LINES} produk berbeda."


def shortage(request: Request, buyer: int) -> str:
    """Which lines ask for more than is left, read fresh (not from the cached views)."""
    catalog: CatalogService = commerce_of(request).catalog
    short = []
    for line in buying(request).cart(buyer):
        left = catalog.product(line.product_id).stock
        if left < line.quantity:
            short.append(f"{line.title}: tersisa {left}, kamu memesan {line.quantity}.")
    advice = "Ubah jumlahnya di keranjang; isi keranjangmu tetap tersimpan."
    return " ".join([*short, advice])


def pay_for(
    request: Request, buyer: int, placed: list[dict[str, Any]], method: PaymentMethod
) -> Response:
    """One order: to its pay page at the partner. Several: a page with a pay link for each."""
    # None where the partner cannot take a payment now: the order stands, its page pays later.
    payments = [start_payment(request, buyer, order["id"], method) for order in placed]
    first = payments[0] if len(payments) == 1 else None
    if first is not None and first.instructions.get("redirect_url"):
        return RedirectResponse(first.instructions["redirect_url"], status_code=303)
    return personal_page(
        request,
        "pay_orders.html",
        entries=list(zip(placed, payments, strict=True)),
        shops=shops(request),
        method=METHODS[method],
    )

"""In-app checkout in the browser: a saved address or a new one (with the phone to deliver to),
a payment method, and a hidden Idempotency-Key made fresh each time the form is shown, so a
double submit places once. Then straight to the partner's pay page (or, for a cart across
sellers, to the orders to pay). A refused checkout keeps what was typed and the cart."""

import contextlib
import re
import time
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.payments import PaymentMethod
from keranjang.social.i18n import N_, Words, words_of
from keranjang.social.legacy_shop import domain, error_words
from keranjang.social.legacy_shop.api import Shop
from keranjang.social.legacy_shop.checkout import CheckoutRequest, Placed
from keranjang.social.legacy_shop.pages_account import Buyer
from keranjang.social.legacy_shop.pages_forms import CrossSiteChecked, Form, whole_number
from keranjang.social.legacy_shop.pages_orders import start_payment
from keranjang.social.legacy_shop.pages_render import render
from keranjang.social.legacy_shop.service import LegacyShop
from keranjang.social.legacy_shop.views import PaymentView
from keranjang.social.viewers.domain import Viewer

router = APIRouter(prefix="/legacy", include_in_schema=False)
ADDRESS_HINTS = {
    "recipient": N_("Isi nama penerima (1 sampai 120 huruf)."),
    "phone": N_("Isi nomor HP 8 sampai 15 angka, boleh diawali +, contoh +6281234567890."),
    "street": N_("Isi alamat lengkap: jalan, nomor rumah, RT/RW (5 sampai 300 huruf)."),
    "city": N_("Isi kota atau kabupaten (2 sampai 80 huruf)."),
    "postal_code": N_("Kode pos terdiri dari 5 angka, contoh 40111."),
}
CHOOSE_METHOD = N_("Pilih metode pembayaran.")
CHOOSE_ADDRESS = N_("Pilih salah satu alamat tersimpan, atau isi alamat baru.")
INCOMPLETE = N_("Formulir checkout tidak lengkap; periksa lalu kirim lagi.")
SELLER_MOVED = N_(
    "Sebagian produk di keranjangmu kini dijual di toko Keranjang, bukan di aplikasi. "
    "Hapus dari keranjang dan beli lewat keranjang kuning."
)
ADDRESS_GONE = N_("Alamat tersimpan itu tidak ada lagi.")
OTHER_ADDRESS = N_("Pilih alamat lain atau isi alamat baru.")
# Stand-ins that pass the address rules, put in place of a refused field so the next check
# names the next wrong one: every wrong field is named at once.
PASSING = domain.Address("Penerima", "+6281234567890", "Jalan Contoh 1", "Kota", "40111")
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
NEW_ADDRESS = "baru"
# A second press of the form waits this long for the first press's payment.
FIRST_PRESS_WAITS = 50
FIRST_PRESS_PAUSE_SECONDS = 0.1


def checkout_form(
    request: Request,
    viewer: Viewer,
    legacy: LegacyShop,
    status_code: int = 200,
    /,
    **context: object,
) -> Response:
    """The form, with a fresh idempotency key each time it is shown."""
    saved = legacy.buying.addresses(viewer.id)
    defaults = {
        "address": str(saved[-1].id) if saved else NEW_ADDRESS,
        "recipient": viewer.name,
        "phone": legacy.buying.phone(viewer.id) or "",
        "method": PaymentMethod.VIRTUAL_ACCOUNT.value,
    }
    context.setdefault("values", defaults)
    return render(
        request,
        "checkout.html",
        status_code,
        viewer=viewer,
        cart=legacy.buying.cart(viewer.id),
        saved=saved,
        key=uuid.uuid4().hex,
        shipping_idr=legacy.checkout.rules.shipping_idr,
        **context,
    )


@router.get("/checkout", response_class=HTMLResponse)
def checkout_page(request: Request, viewer: Buyer, legacy: Shop) -> Response:
    return checkout_form(request, viewer, legacy)


def read_address(values: dict[str, str]) -> tuple[domain.Address | None, dict[str, str]]:
    """The address by the shop's own rules, or what to fix next to each field."""
    given = {name: values[name] for name in ADDRESS_HINTS}
    given["phone"] = re.sub(r"[\s.-]", "", given["phone"])  # "0812-3456 7890" is a fine number
    errors: dict[str, str] = {}
    for _ in range(len(ADDRESS_HINTS) + 1):
        try:
            address = domain.check_address(domain.Address(**given))
        except domain.Invalid as exc:
            field = str(exc.params.get("field", ""))  # the rule names the field it refused
            if field not in ADDRESS_HINTS or field in errors:
                raise
            errors[field] = ADDRESS_HINTS[field]
            given[field] = getattr(PASSING, field)
            continue
        return (None, errors) if errors else (address, {})
    return None, errors


def read_form(
    form: dict[str, str],
) -> tuple[CheckoutRequest | None, dict[str, str], dict[str, str]]:
    """(the checkout asked for, or None; what to fix; what was typed)."""
    names = (*ADDRESS_HINTS, "address", "method", "save", "label")
    values = {name: form.get(name, "").strip() for name in names}
    errors: dict[str, str] = {}
    try:
        method = PaymentMethod(values["method"])
    except ValueError:
        errors["method"] = CHOOSE_METHOD
    address_id, address = None, None
    if values["address"] == NEW_ADDRESS or not values["address"]:
        address, wrong = read_address(values)
        errors |= wrong
    else:
        address_id = whole_number(values["address"], 1, 2**63 - 1)
        if address_id is None:
            errors["address"] = CHOOSE_ADDRESS
    if errors:
        return None, errors, values
    return CheckoutRequest(address_id, address, method.value), errors, values


@router.post("/checkout", dependencies=[CrossSiteChecked])
def place_orders(request: Request, form: Form, viewer: Buyer, legacy: Shop) -> Response:
    asked, errors, values = read_form(form)
    key = form.get("idempotency_key", "")
    if asked is None or not KEY.match(key):
        problem = None if errors else INCOMPLETE
        return checkout_form(
            request, viewer, legacy, 422, values=values, errors=errors, problem=problem
        )
    try:
        placed = legacy.checkout.checkout(viewer.id, key, asked)
    except domain.SellerFenced:
        raise  # the shop is moving: the shared handler answers 503 with Retry-After
    except domain.LegacyShopError as exc:
        problem, where = refusal(words_of(request), legacy, viewer, exc)
        status = 409 if isinstance(exc, domain.Conflict) else 422
        return checkout_form(
            request, viewer, legacy, status, values=values, errors=where, problem=problem
        )
    if not placed.replayed:
        _keep_for_next_time(legacy, viewer, asked, values)
    return pay_for(request, viewer, legacy, placed, PaymentMethod(values["method"]))


def refusal(
    words: Words, legacy: LegacyShop, viewer: Viewer, exc: domain.LegacyShopError
) -> tuple[str, dict[str, str]]:
    """Why checkout said no, in the buyer's words (and the field, if one is to blame)."""
    if isinstance(exc, domain.EmptyCart | domain.KeyReused):
        return error_words.say(words, exc), {}
    if isinstance(exc, domain.OutOfStock):
        return words._("Stok tidak cukup.") + " " + shortage(words, legacy, viewer), {}
    if isinstance(exc, domain.SellerMoved):
        return SELLER_MOVED, {}
    if isinstance(exc, domain.NotFound):
        return ADDRESS_GONE, {"address": OTHER_ADDRESS}
    field = exc.params.get("field")
    if isinstance(field, str) and field in ADDRESS_HINTS:  # the address the rules refused
        return words._("Periksa alamat pengiriman."), {field: error_words.say(words, exc)}
    return words._("Checkout ditolak: {reason}", reason=error_words.say(words, exc)), {}


def shortage(words: Words, legacy: LegacyShop, viewer: Viewer) -> str:
    short = []
    for line in legacy.buying.cart(viewer.id).lines:
        left = legacy.selling.product(line.product_id).listing.stock
        if left < line.quantity:
            short.append(
                words._(
                    "{title}: tersisa {left}, kamu memesan {asked}.",
                    title=line.title,
                    left=left,
                    asked=line.quantity,
                )
            )
    keep = words._("Ubah jumlahnya di keranjang; isi keranjangmu tetap tersimpan.")
    return " ".join([*short, keep])


def _keep_for_next_time(
    legacy: LegacyShop, viewer: Viewer, asked: CheckoutRequest, values: dict[str, str]
) -> None:
    """The phone for the profile, and the new address if the buyer asked to save it."""
    address = asked.shipping_address
    if address is None:
        return
    legacy.buying.set_phone(viewer.id, address.phone)
    if values["save"]:
        # Twenty addresses kept already: the order stands, this one is not saved.
        with contextlib.suppress(domain.Conflict):
            legacy.buying.add_address(viewer.id, values["label"][:40] or "Rumah", address)


def pay_for(
    request: Request, viewer: Viewer, legacy: LegacyShop, placed: Placed, method: PaymentMethod
) -> Response:
    """One order: to its pay page at the partner. Several: to the orders, each with its pay
    button (and the one that could not be started now, too)."""
    orders = [o for o in placed.orders if o.status is domain.OrderStatus.AWAITING_PAYMENT]
    for order in orders:
        payment = _started_by_first_press(legacy, viewer, order.id) if placed.replayed else None
        payment = payment or start_payment(request, viewer, legacy, order.id, method)
        if len(placed.orders) == 1:
            where = payment.redirect_url if payment is not None else None
            return RedirectResponse(where or f"/legacy/orders/{order.id}", status_code=303)
    return RedirectResponse("/legacy/orders?baru=1", status_code=303)


def _started_by_first_press(
    legacy: LegacyShop, viewer: Viewer, order_id: int
) -> PaymentView | None:
    """The form pressed twice: the first press is starting the order's payment. Wait for it
    rather than ask the partner for a second one."""
    for _ in range(FIRST_PRESS_WAITS):
        payment = legacy.buying.order(viewer.id, order_id).payment
        if payment is not None:
            return payment
        time.sleep(FIRST_PRESS_PAUSE_SECONDS)
    return None

"""The page that asks a buyer for a bank account, only when a refund of a bank-transfer (virtual
account) payment needs one: it shows the amount and the reason, takes the account, and the money
is sent (see `money.bank_refunds`)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keranjang.commerce.errors import Conflict, Invalid, NotFound, PaymentUnavailable
from keranjang.commerce.money.bank_refunds import BankRefundService
from keranjang.commerce.money.domain import BankAccount
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.forms import CrossSiteChecked, Form
from keranjang.commerce.web.pages.buyer.guard import Shopper, personal_page
from keranjang.commerce.web.rendering import ShopPageRoute
from keranjang.infra.http_errors import PathId

router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)
# What to fix, in Indonesian, by the field the service names.
FIELD_ERRORS = {
    "bank_code": "Kode bank 3 sampai 10 huruf atau angka, misalnya BCA atau 014.",
    "account_number": "Nomor rekening 5 sampai 20 angka tanpa spasi atau tanda hubung.",
    "holder_name": "Tulis nama pemilik persis seperti di rekening.",
}
NO_SUCH_ACCOUNT = "Bank tidak menemukan rekening ini. Periksa kode bank dan nomor rekening."


def bank_refunds(request: Request) -> BankRefundService:
    svc = commerce_of(request).bank_refunds
    if svc is None:
        raise NotFound("Pengembalian dana lewat transfer bank tidak aktif di toko ini.")
    return svc


@router.get("/refunds/{refund_id}/account", response_class=HTMLResponse)
def account_page(request: Request, refund_id: PathId, buyer: Shopper) -> Response:
    refund = bank_refunds(request).of_buyer(buyer, refund_id)
    return personal_page(request, "refund_account.html", refund=refund, values={}, errors={})


@router.post("/refunds/{refund_id}/account", dependencies=[CrossSiteChecked])
def give_account(request: Request, refund_id: PathId, form: Form, buyer: Shopper) -> Response:
    svc = bank_refunds(request)
    refund = svc.of_buyer(buyer, refund_id)
    values = {k: form.get(k, "") for k in FIELD_ERRORS}
    bank = BankAccount(values["bank_code"], values["account_number"], values["holder_name"])
    try:
        svc.give_account(buyer, refund_id, bank)
    except Invalid as exc:
        errors = _errors(str(exc))
        return personal_page(
            request, "refund_account.html", 422, refund=refund, values=values, errors=errors
        )
    except Conflict:
        raise Conflict("Rekening untuk pengembalian dana ini sudah kami terima.") from None
    except PaymentUnavailable:
        raise PaymentUnavailable(
            "Bank sedang tidak bisa dihubungi untuk memeriksa rekening. Coba lagi sebentar lagi."
        ) from None
    return RedirectResponse(f"/orders/{refund.order_id}", status_code=303)


def _errors(message: str) -> dict[str, str]:
    if message.startswith("the bank has no account"):
        return {"account_number": NO_SUCH_ACCOUNT}
    field = next((f for f in FIELD_ERRORS if message.startswith(f)), "account_number")
    return {field: FIELD_ERRORS[field]}

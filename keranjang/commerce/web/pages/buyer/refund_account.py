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
from keranjang.commerce.web.i18n import words_of
from keranjang.commerce.web.pages.buyer.guard import Shopper, personal_page
from keranjang.commerce.web.rendering import ShopPageRoute
from keranjang.commerce.web.wording import say
from keranjang.infra.http_errors import PathId

router = APIRouter(include_in_schema=False, route_class=ShopPageRoute)
# The form's labels, which the refusals name a field by.
LABELS = {
    "bank_code": "Kode bank",
    "account_number": "Nomor rekening",
    "holder_name": "Nama pemilik rekening",
}


def bank_refunds(request: Request) -> BankRefundService:
    svc = commerce_of(request).bank_refunds
    if svc is None:
        raise NotFound("bank-transfer refunds are off in this shop", code="bank_refunds_off")
    return svc


@router.get("/refunds/{refund_id}/account", response_class=HTMLResponse)
def account_page(request: Request, refund_id: PathId, buyer: Shopper) -> Response:
    refund = bank_refunds(request).of_buyer(buyer, refund_id)
    return personal_page(request, "refund_account.html", refund=refund, values={}, errors={})


@router.post("/refunds/{refund_id}/account", dependencies=[CrossSiteChecked])
def give_account(request: Request, refund_id: PathId, form: Form, buyer: Shopper) -> Response:
    svc = bank_refunds(request)
    refund = svc.of_buyer(buyer, refund_id)
    values = {k: form.get(k, "") for k in LABELS}
    bank = BankAccount(values["bank_code"], values["account_number"], values["holder_name"])
    try:
        svc.give_account(buyer, refund_id, bank)
    except Invalid as exc:
        field = str(exc.params.get("field", "account_number"))
        errors = {field: say(exc, words_of(request), LABELS)}
        return personal_page(
            request, "refund_account.html", 422, refund=refund, values=values, errors=errors
        )
    except Conflict:
        raise Conflict(
            "the account for this refund was received already", code="refund_account_given"
        ) from None
    except PaymentUnavailable:
        raise PaymentUnavailable(
            "the bank cannot be asked to check the account now", code="bank_check_down"
        ) from None
    return RedirectResponse(f"/orders/{refund.order_id}", status_code=303)

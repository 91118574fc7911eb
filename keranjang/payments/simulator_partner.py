"""The payment simulator as a `PaymentPartner`: its Midtrans-like API over `http_client`, and its
notifications verified with Midtrans' signature rule.

Status lookups, refunds (which carry a refund key) and cancels are safe to repeat, so they are retried a
little on connection errors and 5xx; creating a payment is not retried (the outcome of a failed
create is unknown: look the order up instead).
"""

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from keranjang.payments import midtrans_wire as wire
from keranjang.payments.contract import (
    CreatedPayment,
    Ending,
    NewPayment,
    PaymentEvent,
    PaymentMethod,
    RefundRequest,
    RefundResult,
    VirtualAccount,
)
from keranjang.payments.errors import DuplicateOrder, PartnerRefused
from keranjang.payments.http_client import (
    RETRY_DELAYS,
    Call,
    PartnerHttp,
    Refusal,
    by_status,
    excerpt,
    json_body,
    payment_for,
)
from keranjang.payments.midtrans_models import (
    RefundAnswer,
    TransactionView,
    VaNumber,
    Wire,
    end_transaction,
    event,
    notified_event,
    refund_body,
    refund_result,
)

PAYMENT_TYPES = {
    PaymentMethod.VIRTUAL_ACCOUNT: "bank_transfer",
    PaymentMethod.QRIS: "qris",
    PaymentMethod.EWALLET: "gopay",
}


class ChargeAnswer(Wire):
    order_id: str
    transaction_id: str
    transaction_status: str
    fraud_status: str | None = None
    gross_amount: str
    expiry_time: str
    va_numbers: list[VaNumber] | None = None
    qr_string: str | None = None
    redirect_url: str | None = None


class SimulatorPartner:
    name = "simulator"

    def __init__(
        self,
        base_url: str,
        server_key: str,
        client: httpx.Client | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the simulator's base URL must be an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.server_key = server_key
        self.http = PartnerHttp(
            "the payment simulator",
            (server_key, ""),
            judged,
            client=client,
            transport=transport,
            retry_delays=retry_delays,
            sleep=sleep,
        )

    @property
    def client(self) -> httpx.Client:
        return self.http.client

    # the contract ---------------------------------------------------------------------------
    def create_payment(self, new: NewPayment) -> CreatedPayment:
        call = Call(
            "POST",
            self.base_url + "/v2/charge",
            payment_for(new),
            body=charge_body(new),
            conflict=DuplicateOrder,
        )
        return self.http.readable(created, self.http.answer(call, ChargeAnswer), new.method)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        return notified_event(body, self.server_key, "the payment simulator")

    def status(self, order_id: str) -> PaymentEvent:
        url = f"{self.base_url}/v2/{quote(order_id, safe='')}/status"
        call = Call("GET", url, f"order {order_id}", safe=True)
        return self.http.readable(event, self.http.answer(call, TransactionView))

    def refund(self, request: RefundRequest) -> RefundResult:
        url = f"{self.base_url}/v2/{quote(request.order_id, safe='')}/refund"
        what = f"the refund {request.refund_key} of order {request.order_id}"
        call = Call("POST", url, what, body=refund_body(request), safe=True)
        return self.http.readable(refund_result, self.http.answer(call, RefundAnswer))

    def cancel(self, order_id: str, ending: Ending = Ending.CANCEL) -> PaymentEvent:
        """`POST /v2/{order_id}/cancel` or `/expire`, as Midtrans'; ending again is harmless."""
        return end_transaction(self.http, self.base_url, order_id, ending, self.status)


def charge_body(new: NewPayment) -> dict[str, Any]:
    name = (new.description.strip() or f"Order {new.order_id}")[:50]
    body: dict[str, Any] = {
        "payment_type": PAYMENT_TYPES[new.method],
        "transaction_details": {"order_id": new.order_id, "gross_amount": new.gross_amount},
        "item_details": [{"name": name, "price": new.gross_amount, "quantity": 1}],
    }
    if new.va_bank:
        body["bank_transfer"] = {"bank": new.va_bank}
    if new.finish_redirect_url:
        body["callbacks"] = {"finish": new.finish_redirect_url}
    if new.expires_in is not None:
        minutes = max(1, math.ceil(new.expires_in.total_seconds() / 60))
        body["custom_expiry"] = {"expiry_duration": minutes, "unit": "minute"}
    return body


def created(answer: ChargeAnswer, method: PaymentMethod) -> CreatedPayment:
    """Raises ValueError for amounts, times or statuses that cannot be read."""
    va = answer.va_numbers[0] if answer.va_numbers else None
    return CreatedPayment(
        order_id=answer.order_id,
        partner_transaction_id=answer.transaction_id,
        status=wire.normalized_status(answer.transaction_status, answer.fraud_status),
        gross_amount=wire.parse_amount(answer.gross_amount),
        method=method,
        expires_at=wire.parse_time(answer.expiry_time),
        redirect_url=answer.redirect_url,
        virtual_account=VirtualAccount(va.bank, va.va_number) if va else None,
        qris=answer.qr_string,
    )


def judged(response: httpx.Response, conflict: type[PartnerRefused]) -> Refusal | None:
    """The simulator says what happened in the HTTP status; its message is in the body."""
    if response.is_success:
        return None
    status = response.status_code
    return Refusal(status, _message(response), by_status(status, conflict))


def _message(response: httpx.Response) -> str:
    body = json_body(response)
    if body is None:
        return excerpt(response)
    if not isinstance(body, dict):
        return str(body)[:200]
    detail = body.get("status_message") or body.get("detail") or body
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):  # FastAPI's 422
        loc = detail[0].get("loc")
        where = ".".join(str(part) for part in loc) if isinstance(loc, list) else "body"
        return f"{where}: {detail[0].get('msg', '')}"[:200]
    return str(detail)[:200]

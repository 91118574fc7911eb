"""The payment simulator as a `PaymentPartner`: its Midtrans-like API over httpx, and its
notifications verified with Midtrans' signature rule.

Every httpx error is mapped here, at the edge, onto the payments error tree. Status lookups and
refunds (which carry a refund key) are safe to repeat, so they are retried a little on connection
errors and 5xx; creating a payment is not retried (the outcome of a failed create is unknown:
look the order up instead).
"""

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from keranjang.payments import midtrans_wire as wire
from keranjang.payments.contract import (
    CreatedPayment,
    NewPayment,
    PaymentEvent,
    PaymentMethod,
    RefundRequest,
    RefundResult,
    VirtualAccount,
)
from keranjang.payments.errors import (
    DuplicateOrder,
    PartnerRefused,
    PartnerUnavailable,
    UnknownPayment,
)
from keranjang.payments.midtrans_models import (
    RefundAnswer,
    TransactionView,
    VaNumber,
    Wire,
    event,
    first_error,
    notified_event,
    refund_body,
    refund_result,
)
from keranjang.payments.retries import with_retries

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
RETRY_DELAYS = (0.2, 0.5)
PAYMENT_TYPES = {
    PaymentMethod.VIRTUAL_ACCOUNT: "bank_transfer",
    PaymentMethod.QRIS: "qris",
    PaymentMethod.EWALLET: "gopay",
}
Model = TypeVar("Model", bound=BaseModel)


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
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the simulator's base URL must be an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.server_key = server_key
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep

    # the contract ---------------------------------------------------------------------------
    def create_payment(self, new: NewPayment) -> CreatedPayment:
        response = self._call("POST", "/v2/charge", charge_body(new), idempotent=False)
        answer = _parse(ChargeAnswer, _checked(response, conflict=DuplicateOrder))
        return created(answer, new.method)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        return notified_event(body, self.server_key, "the payment simulator")

    def status(self, order_id: str) -> PaymentEvent:
        response = self._call("GET", f"/v2/{quote(order_id, safe='')}/status", idempotent=True)
        view = _parse(TransactionView, _checked(response))
        try:
            return event(view)
        except ValueError as exc:
            raise PartnerUnavailable(f"the simulator answered an unreadable status: {exc}") from exc

    def refund(self, request: RefundRequest) -> RefundResult:
        path = f"/v2/{quote(request.order_id, safe='')}/refund"
        response = self._call("POST", path, refund_body(request), idempotent=True)
        try:
            return refund_result(_parse(RefundAnswer, _checked(response)))
        except ValueError as exc:
            raise PartnerUnavailable(f"the simulator answered an unreadable refund: {exc}") from exc

    # HTTP -----------------------------------------------------------------------------------
    def _call(
        self, method: str, path: str, body: object = None, *, idempotent: bool
    ) -> httpx.Response:
        """One request; an idempotent one is retried after each delay on failure or 5xx."""
        delays = self.retry_delays if idempotent else ()
        return with_retries(lambda: self._send(method, path, body), delays, self.sleep)

    def _send(self, method: str, path: str, body: object) -> httpx.Response:
        try:
            return self.client.request(
                method,
                self.base_url + path,
                json=body,
                auth=(self.server_key, ""),
                headers={"accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(
                f"the payment simulator could not be reached ({type(exc).__name__}: {exc})"
            ) from exc


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
    try:
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
    except ValueError as exc:
        raise PartnerUnavailable(f"the simulator answered an unreadable charge: {exc}") from exc


def _checked(
    response: httpx.Response, conflict: type[PartnerRefused] = PartnerRefused
) -> httpx.Response:
    if response.is_success:
        return response
    status, message = response.status_code, _message(response)
    if status == 404:
        raise UnknownPayment(message, status)
    if status == 409:
        raise conflict(message, status)
    if 400 <= status < 500:
        raise PartnerRefused(f"the payment simulator refused ({status}): {message}", status)
    raise PartnerUnavailable(f"the payment simulator answered {status}: {message}")


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:200]
    detail = body.get("status_message") or body.get("detail") or body
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        where = ".".join(str(part) for part in detail[0].get("loc", []))
        return f"{where}: {detail[0].get('msg', '')}"[:200]
    return str(detail)[:200]


def _parse(model: type[Model], response: httpx.Response) -> Model:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise PartnerUnavailable(f"the simulator answered unreadably: {first_error(exc)}") from exc

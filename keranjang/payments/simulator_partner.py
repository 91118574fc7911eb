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
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keranjang.payments import midtrans_wire as wire
from keranjang.payments.contract import (
    CreatedPayment,
    NewPayment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    RefundRequest,
    RefundResult,
    VirtualAccount,
)
from keranjang.payments.errors import (
    DuplicateOrder,
    NotificationRejected,
    PartnerRefused,
    PartnerUnavailable,
    UnknownPayment,
)

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
RETRY_DELAYS = (0.2, 0.5)
MAX_NOTIFICATION_BYTES = 64 * 1024
PAYMENT_TYPES = {
    PaymentMethod.VIRTUAL_ACCOUNT: "bank_transfer",
    PaymentMethod.QRIS: "qris",
    PaymentMethod.EWALLET: "gopay",
}
Model = TypeVar("Model", bound=BaseModel)


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class VaNumber(Wire):
    bank: str
    va_number: str


class RefundEntry(Wire):
    created_at: str


class TransactionView(Wire):
    """A transaction as a status lookup or a notification shows it."""

    order_id: str = Field(min_length=1, max_length=50)
    transaction_id: str = Field(min_length=1, max_length=64)
    transaction_status: str
    status_code: str
    gross_amount: str
    transaction_time: str
    fraud_status: str | None = None
    payment_type: str | None = None
    settlement_time: str | None = None
    refund_amount: str | None = None
    refunds: list[RefundEntry] | None = None


class SignedNotification(TransactionView):
    signature_key: str = Field(min_length=1, max_length=256)


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


class RefundAnswer(Wire):
    order_id: str
    transaction_status: str
    refund_chargeback_id: str
    refund_amount: str
    refund_key: str


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
        """Midtrans signs the body, not the headers: only the body is read."""
        if len(body) > MAX_NOTIFICATION_BYTES:
            raise NotificationRejected(NotificationRejected.MALFORMED, "notification too large")
        try:
            n = SignedNotification.model_validate_json(body)
        except ValidationError as exc:
            raise NotificationRejected(
                NotificationRejected.MALFORMED, f"not a payment notification: {_first(exc)}"
            ) from exc
        self._verify(n)
        try:
            return event(n)
        except ValueError as exc:
            raise NotificationRejected(NotificationRejected.MALFORMED, str(exc)) from exc

    def status(self, order_id: str) -> PaymentEvent:
        response = self._call("GET", f"/v2/{quote(order_id, safe='')}/status", idempotent=True)
        view = _parse(TransactionView, _checked(response))
        try:
            return event(view)
        except ValueError as exc:
            raise PartnerUnavailable(f"the simulator answered an unreadable status: {exc}") from exc

    def refund(self, request: RefundRequest) -> RefundResult:
        body: dict[str, Any] = {"refund_key": request.refund_key, "reason": request.reason}
        if request.amount is not None:
            body["amount"] = request.amount
        path = f"/v2/{quote(request.order_id, safe='')}/refund"
        answer = _parse(RefundAnswer, _checked(self._call("POST", path, body, idempotent=True)))
        try:
            return RefundResult(
                order_id=answer.order_id,
                refund_key=answer.refund_key,
                amount=wire.parse_amount(answer.refund_amount),
                status=wire.normalized_status(answer.transaction_status, None),
                partner_refund_id=answer.refund_chargeback_id,
            )
        except ValueError as exc:
            raise PartnerUnavailable(f"the simulator answered an unreadable refund: {exc}") from exc

    # verification ---------------------------------------------------------------------------
    def _verify(self, n: SignedNotification) -> None:
        if not wire.signature_matches(
            n.order_id, n.status_code, n.gross_amount, self.server_key, n.signature_key
        ):
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE,
                "signature_key does not match: not sent by the partner, or altered on the way",
            )
        if not wire.code_matches_status(n.transaction_status, n.status_code):
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE,
                f"transaction_status {n.transaction_status!r} does not match the signed "
                f"status_code {n.status_code!r}",
            )

    # HTTP -----------------------------------------------------------------------------------
    def _call(
        self, method: str, path: str, body: object = None, *, idempotent: bool
    ) -> httpx.Response:
        """One request; an idempotent one is retried after each delay on failure or 5xx."""
        delays = self.retry_delays if idempotent else ()
        for delay in (*delays, None):
            try:
                response = self._send(method, path, body)
            except PartnerUnavailable:
                if delay is None:
                    raise
            else:
                if response.status_code < 500 or delay is None:
                    return response
            self.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

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


def event(view: TransactionView) -> PaymentEvent:
    """Raises ValueError for amounts, times or statuses that cannot be read."""
    status = wire.normalized_status(view.transaction_status, view.fraud_status)
    return PaymentEvent(
        order_id=view.order_id,
        status=status,
        gross_amount=wire.parse_amount(view.gross_amount),
        partner_transaction_id=view.transaction_id,
        partner_status=view.transaction_status,
        status_code=view.status_code,
        occurred_at=wire.parse_time(occurred(view, status)),
        method=wire.PAYMENT_TYPES.get(view.payment_type or ""),
        refunded_amount=wire.parse_amount(view.refund_amount) if view.refund_amount else 0,
    )


def occurred(view: TransactionView, status: PaymentStatus) -> str:
    """When the reported change happened: the last refund, the settlement, else the creation."""
    refunded = (PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED)
    if status in refunded and view.refunds:
        return view.refunds[-1].created_at
    if status is PaymentStatus.PAID and view.settlement_time:
        return view.settlement_time
    return view.transaction_time


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
        raise PartnerUnavailable(f"the simulator answered unreadably: {_first(exc)}") from exc


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"

"""Midtrans as a `PaymentPartner`: Core API charges for virtual accounts and QRIS, Snap for
e-wallets (a payment page to redirect the buyer to), the status API for lookups, the refund API
with a refund key, and HTTP notifications verified with Midtrans' signature rule.

Midtrans does not always say what happened in the HTTP status: a Core API answer may be HTTP 200
with `"status_code": "406"` in its body, and that code is the real outcome. So every answer is
judged by its in-body `status_code` when it carries an error there, else by its HTTP status
(Snap answers have no in-body code: `{"error_messages": [...]}` with a 4xx). "407" is the one
4xx that is not an error: it is how an expired transaction reports itself.

Every httpx error is mapped here, at the edge, onto the payments error tree. Status lookups and
refunds (which carry a refund key) are safe to repeat, so they are retried a little on connection
errors and 5xx; creating a payment is never retried (its outcome is unknown after a failure: look
the order up instead).
"""

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from keranjang.infra.clock import Clock, SystemClock
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
    PartnerRefused,
    PartnerUnavailable,
    UnknownPayment,
)
from keranjang.payments.midtrans_models import (
    ChargeAnswer,
    RefundAnswer,
    SnapAnswer,
    TransactionView,
    event,
    first_error,
    notified_event,
    refund_body,
    refund_result,
)
from keranjang.payments.retries import with_retries

API_URLS = {True: "https://api.sandbox.midtrans.com", False: "https://api.midtrans.com"}
SNAP_URLS = {True: "https://app.sandbox.midtrans.com", False: "https://app.midtrans.com"}
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
RETRY_DELAYS = (0.2, 0.5)
DEFAULT_VA_BANK = "bca"
# A Snap page lives 24 hours unless told otherwise; the adapter always says, so it knows.
SNAP_DEFAULT_EXPIRY = timedelta(hours=24)
SNAP_EWALLETS = ["gopay", "shopeepay"]
# "order_id has already been taken" (English) or "sudah digunakan" (Indonesian), Snap's 400.
SNAP_DUPLICATE = ("already been taken", "sudah digunakan", "already used")
Model = TypeVar("Model", bound=BaseModel)


class MidtransPartner:
    name = "midtrans"

    def __init__(
        self,
        server_key: str,
        *,
        sandbox: bool = True,
        client: httpx.Client | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
    ) -> None:
        if not server_key:
            raise ValueError("Midtrans needs a server key")
        self.server_key = server_key
        self.api_url = API_URLS[sandbox]
        self.snap_url = SNAP_URLS[sandbox]
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep
        self.clock = clock or SystemClock()

    # the contract ---------------------------------------------------------------------------
    def create_payment(self, new: NewPayment) -> CreatedPayment:
        if new.method is PaymentMethod.EWALLET:
            return self._snap(new)
        url = self.api_url + "/v2/charge"
        response = self._call("POST", url, charge_body(new), idempotent=False)
        return created(_parse(ChargeAnswer, _checked(response)), new)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        return notified_event(body, self.server_key, "Midtrans")

    def status(self, order_id: str) -> PaymentEvent:
        url = f"{self.api_url}/v2/{quote(order_id, safe='')}/status"
        view = _parse(TransactionView, _checked(self._call("GET", url, idempotent=True)))
        try:
            return event(view)
        except ValueError as exc:
            raise PartnerUnavailable(f"Midtrans answered an unreadable status: {exc}") from exc

    def refund(self, request: RefundRequest) -> RefundResult:
        url = f"{self.api_url}/v2/{quote(request.order_id, safe='')}/refund"
        response = self._call("POST", url, refund_body(request), idempotent=True)
        try:
            return refund_result(_parse(RefundAnswer, _checked(response)))
        except ValueError as exc:
            raise PartnerUnavailable(f"Midtrans answered an unreadable refund: {exc}") from exc

    # Snap -----------------------------------------------------------------------------------
    def _snap(self, new: NewPayment) -> CreatedPayment:
        """Snap answers only a token and a page; the transaction (and its id) exists at Midtrans
        once the buyer picks a wallet there, so the token stands for it until then."""
        start = self.clock.now().replace(microsecond=0)
        lifetime = new.expires_in or SNAP_DEFAULT_EXPIRY
        url = self.snap_url + "/snap/v1/transactions"
        response = self._call("POST", url, snap_body(new, start, lifetime), idempotent=False)
        answer = _parse(SnapAnswer, _checked(response, snap=True))
        return CreatedPayment(
            order_id=new.order_id,
            partner_transaction_id=answer.token,
            status=PaymentStatus.PENDING,
            gross_amount=new.gross_amount,
            method=new.method,
            expires_at=start + timedelta(minutes=_minutes(lifetime)),
            redirect_url=answer.redirect_url,
        )

    # HTTP -----------------------------------------------------------------------------------
    def _call(
        self, method: str, url: str, body: object = None, *, idempotent: bool
    ) -> httpx.Response:
        """One request; an idempotent one is retried after each delay on failure or 5xx (in the
        HTTP status or in the body)."""
        delays = self.retry_delays if idempotent else ()
        return with_retries(
            lambda: self._send(method, url, body),
            delays,
            self.sleep,
            failed=lambda r: outcome(r)[0] >= 500,
        )

    def _send(self, method: str, url: str, body: object) -> httpx.Response:
        try:
            return self.client.request(
                method,
                url,
                json=body,
                auth=(self.server_key, ""),
                headers={"accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(
                f"Midtrans could not be reached ({type(exc).__name__}: {exc})"
            ) from exc


def charge_body(new: NewPayment) -> dict[str, Any]:
    """A Core API charge: a bank transfer (virtual account) or a QRIS."""
    body = _order(new)
    if new.method is PaymentMethod.VIRTUAL_ACCOUNT:
        body["payment_type"] = "bank_transfer"
        body["bank_transfer"] = {"bank": new.va_bank or DEFAULT_VA_BANK}
    else:
        body["payment_type"] = "qris"
        body["qris"] = {"acquirer": "gopay"}
    if new.expires_in is not None:
        body["custom_expiry"] = {"expiry_duration": _minutes(new.expires_in), "unit": "minute"}
    return body


def snap_body(new: NewPayment, start: datetime, lifetime: timedelta) -> dict[str, Any]:
    """A Snap page offering the e-wallets, expiring `lifetime` after `start`."""
    body = _order(new) | {"enabled_payments": SNAP_EWALLETS}
    body["expiry"] = {
        "start_time": start.astimezone(wire.WIB).strftime(f"{wire.TIME_FORMAT} +0700"),
        "unit": "minute",
        "duration": _minutes(lifetime),
    }
    if new.finish_redirect_url:
        body["callbacks"] = {"finish": new.finish_redirect_url}
    return body


def _order(new: NewPayment) -> dict[str, Any]:
    name = (new.description.strip() or f"Order {new.order_id}")[:50]
    return {
        "transaction_details": {"order_id": new.order_id, "gross_amount": new.gross_amount},
        "item_details": [{"name": name, "price": new.gross_amount, "quantity": 1}],
    }


def _minutes(duration: timedelta) -> int:
    return max(1, math.ceil(duration.total_seconds() / 60))


def created(answer: ChargeAnswer, new: NewPayment) -> CreatedPayment:
    try:
        if answer.expiry_time is None:
            raise ValueError("the charge has no expiry_time")
        return CreatedPayment(
            order_id=answer.order_id,
            partner_transaction_id=answer.transaction_id,
            status=wire.normalized_status(answer.transaction_status, answer.fraud_status),
            gross_amount=wire.parse_amount(answer.gross_amount),
            method=new.method,
            expires_at=wire.parse_time(answer.expiry_time),
            virtual_account=virtual_account(answer, new),
            qris=answer.qr_string,
        )
    except ValueError as exc:
        raise PartnerUnavailable(f"Midtrans answered an unreadable charge: {exc}") from exc


def virtual_account(answer: ChargeAnswer, new: NewPayment) -> VirtualAccount | None:
    if new.method is not PaymentMethod.VIRTUAL_ACCOUNT:
        return None
    if answer.va_numbers:
        return VirtualAccount(answer.va_numbers[0].bank, answer.va_numbers[0].va_number)
    if answer.permata_va_number:
        return VirtualAccount("permata", answer.permata_va_number)
    raise ValueError("a bank transfer charge without a virtual account number")


def outcome(response: httpx.Response) -> tuple[int, Any]:
    """The real status of an answer, and its JSON body (None when it has none).

    The in-body `status_code` wins when it reports an error; otherwise the HTTP status does."""
    try:
        body = response.json()
    except ValueError:
        body = None
    code = response.status_code
    claimed = body.get("status_code") if isinstance(body, dict) else None
    if isinstance(claimed, str | int) and str(claimed).isdigit() and int(claimed) >= 400:
        code = int(claimed)
    return code, body


def _checked(response: httpx.Response, *, snap: bool = False) -> httpx.Response:
    code, body = outcome(response)
    if code < 400 or (code == 407 and isinstance(body, dict) and "transaction_status" in body):
        return response
    message = _message(response, body)
    if code >= 500 or code == 429:
        raise PartnerUnavailable(f"Midtrans answered {code}: {message}")
    if code == 404:
        raise UnknownPayment(f"Midtrans has no such transaction ({code}): {message}", code)
    if code == 406 or (snap and code == 400 and _names_a_taken_order(message)):
        raise DuplicateOrder(f"Midtrans already has this order id ({code}): {message}", code)
    raise PartnerRefused(f"Midtrans refused ({code}): {message}", code)


def _names_a_taken_order(message: str) -> bool:
    return "order_id" in message and any(phrase in message for phrase in SNAP_DUPLICATE)


def _message(response: httpx.Response, body: Any) -> str:
    if not isinstance(body, dict):
        return (response.text[:200] or response.reason_phrase).strip()
    parts = [str(body.get("status_message") or "")]
    for key in ("validation_messages", "error_messages"):
        if isinstance(body.get(key), list):
            parts.extend(str(item) for item in body[key])
    return "; ".join(part for part in parts if part)[:300] or str(body)[:200]


def _parse(model: type[Model], response: httpx.Response) -> Model:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise PartnerUnavailable(f"Midtrans answered unreadably: {first_error(exc)}") from exc

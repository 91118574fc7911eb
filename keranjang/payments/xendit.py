"""Xendit as a `PaymentPartner`: its Payment Requests, Invoices and Refunds APIs over httpx, and
its callbacks verified by the account's callback verification token.

Which API serves which method:

- VIRTUAL_ACCOUNT and QRIS: a payment request (`POST /payment_requests`, a ONE_TIME_USE payment
  method whose `reference_id` and the request's are our order id). The answer carries what the
  buyer needs at once (the VA number, the QRIS string), and the call takes an `Idempotency-key`,
  so a create whose answer was lost is retried with the same key and cannot make a second payment.
  The key is new for each `create_payment` call: a second create for the same order id is a new
  request, which Xendit refuses as a duplicate reference id (DuplicateOrder).
- EWALLET: an invoice (`POST /v2/invoices`, `external_id` = our order id), because the contract
  does not say which wallet; the buyer picks OVO, DANA, ShopeePay or LinkAja on the `invoice_url`
  page. Invoices take no idempotency key, so this create is not retried; and since an
  `external_id` may repeat at Xendit, the adapter looks it up first (DuplicateOrder if found).

`status(order_id)` looks the order id up as a payment request's `reference_id`, then as an
invoice's `external_id` (both list endpoints), and adds the refunds listed for it. Statuses:
PENDING/REQUIRES_ACTION → PENDING; SUCCEEDED, PAID and SETTLED → PAID; EXPIRED → EXPIRED; FAILED
→ FAILED; CANCELED/VOIDED → CANCELLED; refunds (not FAILED) → PARTIALLY_REFUNDED or REFUNDED with
`refunded_amount`.

Callbacks: the `x-callback-token` header must equal the account's token (compared in constant
time). Xendit does not sign the body: the token proves the sender knows the account's secret, not
that the amounts are untouched, which is why commerce confirms a settlement with `status` before
believing it. A VA or QR payment method is announced by `payment_method.activated` (our PENDING),
paid by `payment.succeeded`; an invoice by its PAID, then SETTLED, callbacks (two events, both
paid: commerce applies "paid" once per order). A refund callback carries neither our order id nor
the payment's total, so each refund is created with `metadata` naming the order, its total and
what was refunded before it; Xendit echoes it back. That figure can be stale if two refunds of one
order race; each refund event's dedupe key names the refund's own id, so none is lost.

Every httpx error is mapped here, at the edge, onto the payments error tree. Lookups, refunds and
payment-request creates (all carrying a key) are retried on connection errors and 5xx.
"""

import hashlib
import hmac
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from keranjang.infra.clock import Clock, SystemClock
from keranjang.payments import xendit_models as x
from keranjang.payments.contract import (
    CreatedPayment,
    NewPayment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    RefundRequest,
    RefundResult,
)
from keranjang.payments.errors import (
    DuplicateOrder,
    NotificationRejected,
    PartnerRefused,
    PartnerUnavailable,
    UnknownPayment,
)
from keranjang.payments.retries import with_retries
from keranjang.payments.xendit_models import (
    Found,
    callback_event,
    created_from_invoice,
    created_from_request,
    found_invoice,
    found_request,
    refunded_total,
)

BASE_URL = "https://api.xendit.co"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
RETRY_DELAYS = (0.2, 0.5)
MAX_NOTIFICATION_BYTES = 64 * 1024
DEFAULT_EXPIRY = timedelta(hours=24)
DEFAULT_VA_BANK = "BNI"
VA_NAME = "Keranjang"  # the VA holder's name the bank shows: the shop, never the buyer
INVOICE_WALLETS = ("OVO", "DANA", "SHOPEEPAY", "LINKAJA")
REFUND_REASONS = {"FRAUDULENT", "DUPLICATE", "REQUESTED_BY_CUSTOMER", "CANCELLATION", "OTHERS"}
Model = TypeVar("Model", bound=BaseModel)


class XenditPartner:
    name = "xendit"

    def __init__(
        self,
        secret_key: str,
        callback_token: str,
        *,
        base_url: str = BASE_URL,
        client: httpx.Client | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
    ) -> None:
        if not secret_key or not callback_token:
            raise ValueError("Xendit needs a secret API key and a callback verification token")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("Xendit's base URL must be an http(s) URL")
        self.secret_key = secret_key
        self.callback_token = callback_token.encode()
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep
        self.clock = clock or SystemClock()

    # the contract ---------------------------------------------------------------------------
    def create_payment(self, new: NewPayment) -> CreatedPayment:
        if new.method is PaymentMethod.EWALLET:
            return self._create_invoice(new)
        body = payment_request_body(new, self.clock.now() + (new.expires_in or DEFAULT_EXPIRY))
        headers = {"Idempotency-key": f"keranjang-create-{uuid.uuid4()}"}
        response = self._call("POST", "/payment_requests", body=body, headers=headers)
        answer = _parse(x.PaymentRequestView, _checked(response, _creating(new), DuplicateOrder))
        return _readable(created_from_request, answer, new)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        """Verify a callback as received; the body's shape is checked first, then the token."""
        if len(body) > MAX_NOTIFICATION_BYTES:
            raise NotificationRejected(NotificationRejected.MALFORMED, "notification too large")
        callback = parse_callback(body)
        self._verify(headers)
        try:
            return callback_event(callback)
        except ValueError as exc:
            raise NotificationRejected(NotificationRejected.MALFORMED, str(exc)) from exc

    def status(self, order_id: str) -> PaymentEvent:
        found = self._find(order_id)
        refunds = self._refunds(found) if found.event.is_paid else []
        return found.with_refunds(_readable(refunded_total, refunds))

    def refund(self, request: RefundRequest) -> RefundResult:
        found = self._find(request.order_id)
        refunds = self._refunds(found)
        reference = f"{request.order_id}/{request.refund_key}"
        done = next((r for r in refunds if r.reference_id == reference), None)
        if done is None:
            before = _readable(refunded_total, refunds)
            amount = request.amount if request.amount is not None else found.gross - before
            done = self._create_refund(found, request, reference, amount, before)
            after = before + _readable(x.rupiah, done.amount)
        else:  # a retry: what was refunded up to this refund, as its metadata recorded it
            after = _readable(_refunded_after, done, refunds)
        gross = found.gross
        return RefundResult(
            order_id=request.order_id,
            refund_key=request.refund_key,
            amount=_readable(x.rupiah, done.amount),
            status=PaymentStatus.REFUNDED if after >= gross else PaymentStatus.PARTIALLY_REFUNDED,
            partner_refund_id=done.id,
        )

    # the two APIs ---------------------------------------------------------------------------
    def _create_invoice(self, new: NewPayment) -> CreatedPayment:
        if self._invoices(new.order_id):
            raise DuplicateOrder(f"order {new.order_id} already has a Xendit invoice", 409)
        seconds = math.ceil((new.expires_in or DEFAULT_EXPIRY).total_seconds())
        body: dict[str, Any] = {
            "external_id": new.order_id,
            "amount": new.gross_amount,
            "currency": "IDR",
            "description": new.description.strip() or f"Order {new.order_id}",
            "invoice_duration": max(1, seconds),
            "payment_methods": list(INVOICE_WALLETS),
        }
        if new.finish_redirect_url:
            body["success_redirect_url"] = new.finish_redirect_url
        response = self._call("POST", "/v2/invoices", body=body, retry=False)
        answer = _parse(x.InvoiceView, _checked(response, _creating(new), DuplicateOrder))
        return _readable(created_from_invoice, answer, new)

    def _find(self, order_id: str) -> Found:
        response = self._call("GET", "/payment_requests", params={"reference_id": order_id})
        requests = _parse(x.PaymentRequestList, _checked(response, "the payment lookup")).data
        mine = [r for r in requests if r.reference_id == order_id]
        if mine:
            return _readable(found_request, mine)
        invoices = self._invoices(order_id)
        if invoices:
            return _readable(found_invoice, invoices)
        raise UnknownPayment(f"Xendit has no payment for order {order_id}", 404)

    def _invoices(self, order_id: str) -> list[x.InvoiceView]:
        response = self._call("GET", "/v2/invoices", params={"external_id": order_id})
        if response.status_code == 404:  # some accounts answer 404 for an unused external_id
            return []
        checked = _checked(response, "the invoice lookup")
        invoices = _parse_list(checked)
        return [i for i in invoices if i.external_id == order_id]

    def _refunds(self, found: Found) -> list[x.RefundView]:
        response = self._call("GET", "/refunds", params={found.refund_field: found.id})
        return _parse(x.RefundList, _checked(response, "the refund lookup")).data

    def _create_refund(
        self, found: Found, request: RefundRequest, reference: str, amount: int, before: int
    ) -> x.RefundView:
        reason = request.reason.strip()
        body = {
            found.refund_field: found.id,
            "reference_id": reference,
            "amount": amount,
            "currency": "IDR",
            "reason": reason.upper() if reason.upper() in REFUND_REASONS else "OTHERS",
            "metadata": {
                "order_id": request.order_id,
                "gross_amount": str(found.gross),
                "refunded_before": str(before),
                "note": reason[:500],
            },
        }
        key = hashlib.sha256(reference.encode()).hexdigest()[:48]
        headers = {"Idempotency-key": f"keranjang-refund-{key}"}
        response = self._call("POST", "/refunds", body=body, headers=headers)
        return _parse(x.RefundView, _checked(response, f"the refund of order {request.order_id}"))

    # verification ---------------------------------------------------------------------------
    def _verify(self, headers: Mapping[str, str]) -> None:
        given = next((v for k, v in headers.items() if k.lower() == "x-callback-token"), None)
        if given is None:
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE, "x-callback-token header missing"
            )
        if not hmac.compare_digest(given.encode(), self.callback_token):
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE,
                "x-callback-token does not match this account's callback verification token",
            )

    # HTTP -----------------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """One request; one that is safe to repeat is retried after each delay on failure or 5xx."""
        delays = self.retry_delays if retry else ()
        return with_retries(
            lambda: self._send(method, path, body, params, headers), delays, self.sleep
        )

    def _send(
        self,
        method: str,
        path: str,
        body: object,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        try:
            return self.client.request(
                method,
                self.base_url + path,
                json=body,
                params=params,
                auth=(self.secret_key, ""),
                headers={"accept": "application/json", **(headers or {})},
            )
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(
                f"Xendit could not be reached ({type(exc).__name__}: {exc})"
            ) from exc


def payment_request_body(new: NewPayment, expires_at: Any) -> dict[str, Any]:
    expiry = x.format_time(expires_at)
    method: dict[str, Any] = {
        "reusability": "ONE_TIME_USE",
        "reference_id": new.order_id,
        "metadata": {"order_id": new.order_id, "gross_amount": str(new.gross_amount)},
    }
    if new.method is PaymentMethod.VIRTUAL_ACCOUNT:
        bank = (new.va_bank or DEFAULT_VA_BANK).upper()
        method["type"] = "VIRTUAL_ACCOUNT"
        method["virtual_account"] = {
            "channel_code": bank,
            "amount": new.gross_amount,
            "channel_properties": {"customer_name": VA_NAME, "expires_at": expiry},
        }
    else:
        method["type"] = "QR_CODE"
        method["qr_code"] = {"channel_code": "QRIS", "channel_properties": {"expires_at": expiry}}
    return {
        "reference_id": new.order_id,
        "amount": new.gross_amount,
        "currency": "IDR",
        "country": "ID",
        "description": new.description.strip()[:255] or f"Order {new.order_id}",
        "payment_method": method,
    }


def parse_callback(body: bytes) -> BaseModel:
    """The callback's model by its shape; raises NotificationRejected("malformed")."""
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise NotificationRejected(NotificationRejected.MALFORMED, "not JSON") from exc
    if not isinstance(raw, dict):
        raise NotificationRejected(NotificationRejected.MALFORMED, "not a JSON object")
    event = raw.get("event")
    model: type[BaseModel]
    if event in x.PAYMENT_EVENTS:
        model = x.PaymentCallback
    elif event in x.PAYMENT_METHOD_EVENTS:
        model = x.PaymentMethodCallback
    elif event in x.REFUND_EVENTS:
        model = x.RefundCallback
    elif event is None and "external_id" in raw:
        model = x.InvoiceView
    else:
        raise NotificationRejected(NotificationRejected.MALFORMED, "not a Xendit payment callback")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise NotificationRejected(
            NotificationRejected.MALFORMED, f"not a payment callback: {_first(exc)}"
        ) from exc


def _refunded_after(done: x.RefundView, refunds: list[x.RefundView]) -> int:
    try:
        before = x.metadata_int(done.metadata, "refunded_before")
    except ValueError:  # made elsewhere (the dashboard): count the refunds listed up to it
        return refunded_total(refunds[: refunds.index(done) + 1])
    return before + x.rupiah(done.amount)


def _creating(new: NewPayment) -> str:
    """Named with our own field, so a refusal says which of the caller's values to fix."""
    return f"the payment for order {new.order_id} (gross_amount {new.gross_amount})"


def _checked(
    response: httpx.Response, what: str, conflict: type[PartnerRefused] = PartnerRefused
) -> httpx.Response:
    if response.is_success:
        return response
    status = response.status_code
    code, message = _error(response)
    said = f"{code}: {message}" if code else message
    if status == 401 or code == "INVALID_API_KEY":
        raise PartnerRefused(f"Xendit refused the API key ({said})", 401)
    if status == 404 or code == "DATA_NOT_FOUND":
        raise UnknownPayment(f"Xendit does not know {what} ({said})", 404)
    if status == 409 or code.startswith("DUPLICATE"):
        raise conflict(f"Xendit already has {what} ({said})", status)
    if 400 <= status < 500:
        raise PartnerRefused(f"Xendit refused {what} ({status} {said})", status)
    raise PartnerUnavailable(f"Xendit answered {status} for {what}: {said}")


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = x.ErrorBody.model_validate_json(response.content)
    except ValidationError:
        return "", response.text[:200] or response.reason_phrase
    return body.error_code, body.message[:200]


def _parse(model: type[Model], response: httpx.Response) -> Model:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise PartnerUnavailable(f"Xendit answered unreadably: {_first(exc)}") from exc


def _parse_list(response: httpx.Response) -> list[x.InvoiceView]:
    try:
        return [x.InvoiceView.model_validate(i) for i in _json_list(response)]
    except ValidationError as exc:
        raise PartnerUnavailable(f"Xendit answered unreadably: {_first(exc)}") from exc


def _json_list(response: httpx.Response) -> list[Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise PartnerUnavailable("Xendit answered an invoice lookup that is not JSON") from exc
    if not isinstance(body, list):
        raise PartnerUnavailable("Xendit answered an invoice lookup that is not a list")
    return body


T = TypeVar("T")


def _readable(read: Callable[..., T], *args: Any) -> T:
    """Reads an answer whose fields parsed but whose values may not (amounts, times, statuses)."""
    try:
        return read(*args)
    except ValueError as exc:
        raise PartnerUnavailable(f"Xendit answered unreadably: {exc}") from exc


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"

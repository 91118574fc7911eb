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

HTTP goes through `http_client`, which maps every lower-level error onto the payments error tree;
this module says how a Xendit answer fails (`judged`, by its `error_code`). Lookups, refunds,
expiries and payment-request creates (all safe to repeat) are retried on connection errors and
5xx.
"""

import hashlib
import hmac
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from keranjang.infra.clock import Clock, SystemClock
from keranjang.payments import xendit_models as x
from keranjang.payments import xendit_wire as xw
from keranjang.payments.contract import (
    CreatedPayment,
    Ending,
    NewPayment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    RefundRequest,
    RefundResult,
)
from keranjang.payments.ending import ENDED, not_paid
from keranjang.payments.errors import (
    DuplicateOrder,
    NotificationRejected,
    PartnerRefused,
    UnknownPayment,
)
from keranjang.payments.http_client import (
    RETRY_DELAYS,
    Call,
    PartnerHttp,
    Refusal,
    by_status,
    excerpt,
    first_error,
    payment_for,
)
from keranjang.payments.xendit_wire import (
    Found,
    callback_event,
    created_from_invoice,
    created_from_request,
    found_invoice,
    found_request,
    refunded_total,
)

BASE_URL = "https://api.xendit.co"
MAX_NOTIFICATION_BYTES = 64 * 1024
DEFAULT_EXPIRY = timedelta(hours=24)
INVOICE_WALLETS = ("OVO", "DANA", "SHOPEEPAY", "LINKAJA")
REFUND_REASONS = {"FRAUDULENT", "DUPLICATE", "REQUESTED_BY_CUSTOMER", "CANCELLATION", "OTHERS"}


class XenditPartner:
    name = "xendit"

    def __init__(
        self,
        secret_key: str,
        callback_token: str,
        *,
        base_url: str = BASE_URL,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
    ) -> None:
        if not secret_key or not callback_token:
            raise ValueError("Xendit needs a secret API key and a callback verification token")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("Xendit's base URL must be an http(s) URL")
        self.callback_token = callback_token.encode()
        self.base_url = base_url.rstrip("/")
        self.http = PartnerHttp(
            "Xendit",
            (secret_key, ""),
            judged,
            client=client,
            transport=transport,
            retry_delays=retry_delays,
            sleep=sleep,
        )
        self.clock = clock or SystemClock()

    @property
    def client(self) -> httpx.Client:
        return self.http.client

    # the contract ---------------------------------------------------------------------------
    def create_payment(self, new: NewPayment) -> CreatedPayment:
        if new.method is PaymentMethod.EWALLET:
            return self._create_invoice(new)
        body = xw.payment_request_body(new, self.clock.now() + (new.expires_in or DEFAULT_EXPIRY))
        headers = {"Idempotency-key": f"keranjang-create-{uuid.uuid4()}"}
        call = Call(
            "POST",
            self._url("/payment_requests"),
            payment_for(new),
            body=body,
            headers=headers,
            safe=True,
            conflict=DuplicateOrder,
        )
        answer = self.http.answer(call, x.PaymentRequestView)
        return self.http.readable(created_from_request, answer, new)

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
        return found.with_refunds(self.http.readable(refunded_total, refunds))

    def refund(self, request: RefundRequest) -> RefundResult:
        found = self._find(request.order_id)
        refunds = self._refunds(found)
        reference = f"{request.order_id}/{request.refund_key}"
        done = next((r for r in refunds if r.reference_id == reference), None)
        if done is None:
            before = self.http.readable(refunded_total, refunds)
            amount = request.amount if request.amount is not None else found.gross - before
            done = self._create_refund(found, request, reference, amount, before)
            after = before + self.http.readable(xw.rupiah, done.amount)
        else:  # a retry: what was refunded up to this refund, as its metadata recorded it
            after = self.http.readable(_refunded_after, done, refunds)
        gross = found.gross
        return RefundResult(
            order_id=request.order_id,
            refund_key=request.refund_key,
            amount=self.http.readable(xw.rupiah, done.amount),
            status=PaymentStatus.REFUNDED if after >= gross else PaymentStatus.PARTIALLY_REFUNDED,
            partner_refund_id=done.id,
        )

    def cancel(self, order_id: str, ending: Ending = Ending.CANCEL) -> PaymentEvent:
        """Xendit expires, whichever the reason: an invoice (`POST /invoices/{id}/expire!`), or
        a payment request's one-time payment method (`POST /v2/payment_methods/{id}/expire`),
        after which the request cannot be paid. Xendit may hold more than one payment under the
        order id (an invoice's `external_id` may repeat: two creates racing make two), so every
        open one is expired. Paid (any of them) or ended already: answered by its status."""
        held = self._held(order_id)
        for found in held:
            not_paid(found.event, self.http.partner)
        for found in held:
            if found.event.status not in ENDED:
                self._expire(order_id, found)
        return not_paid(self.status(order_id), self.http.partner)

    def _expire(self, order_id: str, found: Found) -> None:
        path = (
            f"/invoices/{found.id}/expire!"
            if found.refund_field == "invoice_id"
            else f"/v2/payment_methods/{found.method_id}/expire"
        )
        call = Call("POST", self._url(path), f"the expiry of order {order_id}", safe=True)
        try:
            self.http.checked(call)
        except UnknownPayment:
            raise
        except PartnerRefused as refused:  # explained by that payment's status now
            now = next((f for f in self._held(order_id) if f.id == found.id), found)
            if not_paid(now.event, self.http.partner).status not in ENDED:
                raise refused from None

    # the two APIs ---------------------------------------------------------------------------
    def _create_invoice(self, new: NewPayment) -> CreatedPayment:
        """Invoices take no idempotency key: the create is not retried."""
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
        url = self._url("/v2/invoices")
        call = Call("POST", url, payment_for(new), body=body, conflict=DuplicateOrder)
        answer = self.http.answer(call, x.InvoiceView)
        return self.http.readable(created_from_invoice, answer, new)

    def _find(self, order_id: str) -> Found:
        url, params = self._url("/payment_requests"), {"reference_id": order_id}
        call = Call("GET", url, f"order {order_id}", params=params, safe=True)
        requests = self.http.answer(call, x.PaymentRequestList).data
        mine = [r for r in requests if r.reference_id == order_id]
        if mine:
            return self.http.readable(found_request, mine)
        invoices = self._invoices(order_id)
        if invoices:
            return self.http.readable(found_invoice, invoices)
        raise UnknownPayment(f"Xendit has no payment for order {order_id}", 404)

    def _held(self, order_id: str) -> list[Found]:
        """Every payment Xendit holds under the order id: its payment requests, else its
        invoices (a payment request's reference id is unique; an invoice's external id not)."""
        url, params = self._url("/payment_requests"), {"reference_id": order_id}
        call = Call("GET", url, f"order {order_id}", params=params, safe=True)
        requests = self.http.answer(call, x.PaymentRequestList).data
        held = [
            self.http.readable(found_request, [r]) for r in requests if r.reference_id == order_id
        ]
        if not held:
            held = [self.http.readable(found_invoice, [i]) for i in self._invoices(order_id)]
        if not held:
            raise UnknownPayment(f"Xendit has no payment for order {order_id}", 404)
        return held

    def _invoices(self, order_id: str) -> list[x.InvoiceView]:
        url, params = self._url("/v2/invoices"), {"external_id": order_id}
        call = Call("GET", url, f"the invoices of order {order_id}", params=params, safe=True)
        response = self.http.send(call)
        if response.status_code == 404:  # some accounts answer 404 for an unused external_id
            return []
        self.http.check(call, response)
        invoices = self.http.parse(response, x.InvoiceList, call.what).root
        return [i for i in invoices if i.external_id == order_id]

    def _refunds(self, found: Found) -> list[x.RefundView]:
        url, params = self._url("/refunds"), {found.refund_field: found.id}
        call = Call("GET", url, f"the refunds of {found.id}", params=params, safe=True)
        return self.http.answer(call, x.RefundList).data

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
        what = f"the refund {request.refund_key} of order {request.order_id}"
        headers = {"Idempotency-key": f"keranjang-refund-{key}"}
        call = Call("POST", self._url("/refunds"), what, body=body, headers=headers, safe=True)
        return self.http.answer(call, x.RefundView)

    def _url(self, path: str) -> str:
        return self.base_url + path

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
            NotificationRejected.MALFORMED, f"not a payment callback: {first_error(exc)}"
        ) from exc


def _refunded_after(done: x.RefundView, refunds: list[x.RefundView]) -> int:
    try:
        before = xw.metadata_int(done.metadata, "refunded_before")
    except ValueError:  # made elsewhere (the dashboard): count the refunds listed up to it
        return refunded_total(refunds[: refunds.index(done) + 1])
    return before + xw.rupiah(done.amount)


def judged(response: httpx.Response, conflict: type[PartnerRefused]) -> Refusal | None:
    """Xendit says what happened in the HTTP status and, more precisely, in its `error_code`."""
    if response.is_success:
        return None
    status = response.status_code
    code, message = _error(response)
    said = f"{code}: {message}" if code else message
    if status == 401 or code == "INVALID_API_KEY":
        return Refusal(401, said, PartnerRefused)
    if status == 404 or code == "DATA_NOT_FOUND":
        return Refusal(404, said, UnknownPayment)
    if status == 409 or code.startswith("DUPLICATE"):
        return Refusal(status, said, conflict)
    return Refusal(status, said, by_status(status))


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = x.ErrorBody.model_validate_json(response.content)
    except ValidationError:
        return "", excerpt(response)
    return body.error_code, body.message[:200]

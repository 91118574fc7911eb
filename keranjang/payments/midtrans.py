"""Midtrans as a `PaymentPartner`: Core API charges for virtual accounts and QRIS, Snap for
e-wallets (a payment page to redirect the buyer to), the status API for lookups, the refund API
with a refund key, and HTTP notifications verified with Midtrans' signature rule.

Midtrans does not always say what happened in the HTTP status: a Core API answer may be HTTP 200
with `"status_code": "406"` in its body, and that code is the real outcome. So every answer is
judged by its in-body `status_code` when it carries an error there, else by its HTTP status
(Snap answers have no in-body code: `{"error_messages": [...]}` with a 4xx). "407" is the one
4xx that is not an error: it is how an expired transaction reports itself.

HTTP goes through `http_client`, which maps every lower-level error onto the payments error tree;
this module says how a Midtrans answer fails (`judged`). Status lookups, cancels and refunds
(which carry a refund key) are safe to repeat, so they are retried a little on connection errors and 5xx
(in the HTTP status or in the body); creating a payment is never retried (its outcome is unknown
after a failure: look the order up instead).
"""

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from keranjang.infra.clock import Clock, SystemClock
from keranjang.payments import midtrans_wire as wire
from keranjang.payments.contract import (
    CreatedPayment,
    Ending,
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
    ChargeAnswer,
    RefundAnswer,
    SnapAnswer,
    TransactionView,
    end_transaction,
    event,
    notified_event,
    refund_body,
    refund_result,
)

API_URLS = {True: "https://api.sandbox.midtrans.com", False: "https://api.midtrans.com"}
SNAP_URLS = {True: "https://app.sandbox.midtrans.com", False: "https://app.midtrans.com"}
DEFAULT_VA_BANK = "bca"
# A Snap page lives 24 hours unless told otherwise; the adapter always says, so it knows.
SNAP_DEFAULT_EXPIRY = timedelta(hours=24)
SNAP_EWALLETS = ["gopay", "shopeepay"]
# "order_id has already been taken" (English) or "sudah digunakan" (Indonesian), Snap's 400.
SNAP_DUPLICATE = ("already been taken", "sudah digunakan", "already used")
STATUS_CODE = re.compile(r"[0-9]{3}")


class MidtransPartner:
    name = "midtrans"

    def __init__(
        self,
        server_key: str,
        *,
        sandbox: bool = True,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
    ) -> None:
        if not server_key:
            raise ValueError("Midtrans needs a server key")
        self.server_key = server_key
        self.api_url = API_URLS[sandbox]
        self.snap_url = SNAP_URLS[sandbox]
        self.http = PartnerHttp(
            "Midtrans",
            (server_key, ""),
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
            return self._snap(new)
        url = self.api_url + "/v2/charge"
        call = Call("POST", url, payment_for(new), body=charge_body(new))
        return self.http.readable(created, self.http.answer(call, ChargeAnswer), new)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        return notified_event(body, self.server_key, "Midtrans")

    def status(self, order_id: str) -> PaymentEvent:
        url = f"{self.api_url}/v2/{quote(order_id, safe='')}/status"
        call = Call("GET", url, f"order {order_id}", safe=True)
        return self.http.readable(event, self.http.answer(call, TransactionView))

    def refund(self, request: RefundRequest) -> RefundResult:
        url = f"{self.api_url}/v2/{quote(request.order_id, safe='')}/refund"
        what = f"the refund {request.refund_key} of order {request.order_id}"
        call = Call("POST", url, what, body=refund_body(request), safe=True)
        return self.http.readable(refund_result, self.http.answer(call, RefundAnswer))

    def cancel(self, order_id: str, ending: Ending = Ending.CANCEL) -> PaymentEvent:
        """The cancel API (`POST /v2/{order_id}/cancel`) or the expire API (`/expire`, answered
        407). Cancel needs a transaction: a Snap page whose buyer has not yet picked a wallet has
        none (404), and is expired instead, which Midtrans documents for Snap too. A refusal
        (412: "cannot modify the status") is explained by the status: paid, or ended already."""
        try:
            return self._end(order_id, ending)
        except UnknownPayment:
            if ending is Ending.EXPIRE:
                raise
            return self._end(order_id, Ending.EXPIRE)

    def _end(self, order_id: str, ending: Ending) -> PaymentEvent:
        return end_transaction(self.http, self.api_url, order_id, ending, self.status)

    # Snap -----------------------------------------------------------------------------------
    def _snap(self, new: NewPayment) -> CreatedPayment:
        """Snap answers only a token and a page; the transaction (and its id) exists at Midtrans
        once the buyer picks a wallet there, so the token stands for it until then. A taken order
        id is a 400 whose message says so (`judged`): a duplicate."""
        start = self.clock.now().replace(microsecond=0)
        lifetime = new.expires_in or SNAP_DEFAULT_EXPIRY
        url = self.snap_url + "/snap/v1/transactions"
        body = snap_body(new, start, lifetime)
        call = Call("POST", url, payment_for(new), body=body, conflict=DuplicateOrder)
        answer = self.http.answer(call, SnapAnswer)
        return CreatedPayment(
            order_id=new.order_id,
            partner_transaction_id=answer.token,
            status=PaymentStatus.PENDING,
            gross_amount=new.gross_amount,
            method=new.method,
            expires_at=start + timedelta(minutes=_minutes(lifetime)),
            redirect_url=answer.redirect_url,
        )


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
    """Raises ValueError for amounts, times or statuses that cannot be read."""
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
    body = json_body(response)
    code = response.status_code
    claimed = str(body.get("status_code")) if isinstance(body, dict) else ""
    if STATUS_CODE.fullmatch(claimed) and int(claimed) >= 400:
        code = int(claimed)
    return code, body


def judged(response: httpx.Response, conflict: type[PartnerRefused]) -> Refusal | None:
    """None for a success (an expired transaction's 407 is one: a status, not an error); else
    what the answer amounts to. `conflict` is what a 400 naming a taken order id means (Snap's
    way of saying so; the Core API says 406)."""
    code, body = outcome(response)
    if code < 300 or (code == 407 and isinstance(body, dict) and "transaction_status" in body):
        return None
    message = _message(response, body)
    if code == 406:
        return Refusal(code, message, DuplicateOrder)
    if code == 400 and _names_a_taken_order(message):
        return Refusal(code, message, conflict)
    if code == 429:
        return Refusal(code, message, PartnerUnavailable)
    return Refusal(code, message, by_status(code))


def _names_a_taken_order(message: str) -> bool:
    return "order_id" in message and any(phrase in message for phrase in SNAP_DUPLICATE)


def _message(response: httpx.Response, body: Any) -> str:
    if not isinstance(body, dict):
        return excerpt(response)
    parts = [str(body.get("status_message") or "")]
    for key in ("validation_messages", "error_messages"):
        if isinstance(body.get(key), list):
            parts.extend(str(item) for item in body[key])
    return "; ".join(part for part in parts if part)[:300] or str(body)[:200]

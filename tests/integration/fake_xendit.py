"""Xendit for the payment-partner contract suite: a fake built only from Xendit's documented
request, response and callback formats, in-process as an `httpx.MockTransport` handler (no
network, no database), and a harness that wraps the Xendit adapter around it.

What the fake does, as Xendit's API reference describes it:

- HTTP Basic auth with the secret key as username (else 401 INVALID_API_KEY);
- `POST /payment_requests` (VIRTUAL_ACCOUNT or QR_CODE/QRIS, ONE_TIME_USE) with an
  `Idempotency-key`: the same key and body answer the same payment request; a reference_id used
  before is refused (409 DUPLICATE_PAYMENT_REQUEST_ERROR); the new VA or QR string is announced
  with a `payment_method.activated` callback; `GET /payment_requests?reference_id=` lists them;
- `POST /v2/invoices`, `GET /v2/invoices?external_id=` (a list; an external_id may repeat);
- `POST /refunds` (payment_request_id or invoice_id, with an `Idempotency-key`), answered PENDING
  and then completed with a `refund.succeeded` callback echoing the refund's metadata; refunds of
  a payment not yet paid are refused (403 INELIGIBLE_TRANSACTION), beyond what is left (400
  MAXIMUM_REFUND_AMOUNT_REACHED), and of a virtual-account payment (400 REFUND_NOT_SUPPORTED:
  Xendit's refunds API does not take VA payments; a VA is refunded by a disbursement to the
  buyer's bank account);
- `POST /v2/payment_methods/{id}/expire` (an ACTIVE one-time VA or QR string of an unpaid request
  becomes EXPIRED, with a `payment_method.expired` callback) and `POST /invoices/{id}/expire!` (a
  PENDING invoice becomes EXPIRED); the docs do not show the refusal for one already used or
  ended, so the fake answers 400 with an error code of its own (the adapter reads any refusal by
  the payment's status); a closed payment method or invoice cannot be paid;
- amounts of zero or less refused (400 API_VALIDATION_ERROR);
- times from the test's `FixedClock`; callbacks carry the account's `x-callback-token` header.
"""

import base64
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

from keranjang.infra.clock import FixedClock
from tests.integration.payment_partners import Delivered

SECRET_KEY = "xnd_development_keranjang-test-key"
CALLBACK_TOKEN = "keranjang-callback-verification-token-0001"
XENDIT_URL = "https://api.xendit.test"
BUSINESS_ID = "5f27a14a9bf05c73dd040bc8"
VA_BANKS = {"BCA", "BNI", "BRI", "MANDIRI", "PERMATA", "BSI", "CIMB", "BJB", "SAHABAT_SAMPOERNA"}
VA_DEFAULT_EXPIRY = timedelta(days=365 * 31)  # "31 years from creation date"
QR_DEFAULT_EXPIRY = timedelta(hours=48)
Json = dict[str, Any]


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "message": message})


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FakeXendit:
    clock: FixedClock
    secret_key: str = SECRET_KEY
    callback_token: str = CALLBACK_TOKEN
    requests: dict[str, Json] = field(default_factory=dict)
    invoices: dict[str, Json] = field(default_factory=dict)
    refunds: dict[str, Json] = field(default_factory=dict)
    replies: dict[tuple[str, str], tuple[Json, httpx.Response]] = field(default_factory=dict)
    outbox: list[Delivered] = field(default_factory=list)
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # HTTP -----------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        if not self._authorized(request):
            return error(401, "INVALID_API_KEY", "API key format is invalid or the key is unknown")
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        route = (request.method, request.url.path)
        if request.method == "POST":
            return self._post(request, route[1])
        if route == ("GET", "/payment_requests"):
            found = [
                r for r in self.requests.values() if r["reference_id"] == query.get("reference_id")
            ]
            return httpx.Response(200, json={"data": found[::-1], "has_more": False})
        if route == ("GET", "/v2/invoices"):
            found = [
                i for i in self.invoices.values() if i["external_id"] == query.get("external_id")
            ]
            return httpx.Response(200, json=found[::-1])
        if route == ("GET", "/refunds"):
            by = "payment_request_id" if "payment_request_id" in query else "invoice_id"
            found = [r for r in self.refunds.values() if r[by] and r[by] == query.get(by)]
            return httpx.Response(200, json={"data": found, "has_more": False})
        return error(404, "DATA_NOT_FOUND", f"no route {request.method} {request.url.path}")

    def _authorized(self, request: httpx.Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, _ = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return scheme.lower() == "basic" and user == self.secret_key

    def _post(self, request: httpx.Request, path: str) -> httpx.Response:
        parts = path.strip("/").split("/")
        if parts[:2] == ["v2", "payment_methods"] and parts[3:] == ["expire"]:
            return self._expire_method(parts[2])
        if parts[0] == "invoices" and parts[2:] == ["expire!"]:
            return self._expire_invoice(parts[1])
        try:
            body = json.loads(request.content)
        except ValueError:
            return error(400, "API_VALIDATION_ERROR", "body is not JSON")
        create: Callable[[Json], httpx.Response] | None = {
            "/payment_requests": self._create_request,
            "/v2/invoices": self._create_invoice,
            "/refunds": self._create_refund,
        }.get(path)
        if create is None:
            return error(404, "DATA_NOT_FOUND", f"no route POST {path}")
        key = request.headers.get("idempotency-key")
        if key is None:
            return create(body)
        if (path, key) in self.replies:
            sent, reply = self.replies[(path, key)]
            if sent != body:
                return error(400, "IDEMPOTENCY_ERROR", "Idempotency-key reused with another body")
            return reply
        reply = create(body)
        if reply.status_code < 500:
            self.replies[(path, key)] = (body, reply)
        return reply

    # payment requests -----------------------------------------------------------------------
    def _create_request(self, body: Json) -> httpx.Response:
        amount, reference = body.get("amount"), body.get("reference_id")
        if not isinstance(amount, int | float) or amount <= 0:
            return error(400, "API_VALIDATION_ERROR", '"amount" must be greater than 0')
        if not reference:
            return error(400, "API_VALIDATION_ERROR", '"reference_id" is required')
        if any(r["reference_id"] == reference for r in self.requests.values()):
            return error(
                409, "DUPLICATE_PAYMENT_REQUEST_ERROR", "reference_id has been used before"
            )
        method = self._payment_method(body.get("payment_method") or {}, amount)
        if isinstance(method, httpx.Response):
            return method
        now = stamp(self.clock.now())
        number = next(self.numbers)
        pr = {
            "id": f"pr-{number:08d}-7c1f-4a2e-9d1b-5a0e3c2b1f00",
            "business_id": BUSINESS_ID,
            "reference_id": reference,
            "amount": amount,
            "currency": "IDR",
            "country": "ID",
            "description": body.get("description"),
            "status": "PENDING",
            "payment_method": method,
            "metadata": body.get("metadata"),
            "failure_code": None,
            "created": now,
            "updated": now,
        }
        self.requests[pr["id"]] = pr
        self._send("payment_method.activated", method)
        return httpx.Response(201, json=pr)

    def _payment_method(self, given: Json, amount: float) -> Json | httpx.Response:
        kind, now = given.get("type"), self.clock.now()
        number = next(self.numbers)
        method: Json = {
            "id": f"pm-{number:08d}-2b4e-4c61-8f0a-6d3e9b7a1c00",
            "type": kind,
            "reusability": given.get("reusability", "ONE_TIME_USE"),
            "status": "ACTIVE",
            "reference_id": given.get("reference_id"),
            "metadata": given.get("metadata"),
            "virtual_account": None,
            "qr_code": None,
            "created": stamp(now),
            "updated": stamp(now),
        }
        if kind == "VIRTUAL_ACCOUNT":
            va = given.get("virtual_account") or {}
            props = va.get("channel_properties") or {}
            if va.get("channel_code") not in VA_BANKS or not props.get("customer_name"):
                return error(
                    400,
                    "API_VALIDATION_ERROR",
                    "virtual_account needs a channel_code and customer_name",
                )
            method["virtual_account"] = {
                "channel_code": va["channel_code"],
                "amount": amount,
                "currency": "IDR",
                "channel_properties": {
                    "customer_name": props["customer_name"],
                    "virtual_account_number": f"8808{number:012d}",
                    "expires_at": props.get("expires_at") or stamp(now + VA_DEFAULT_EXPIRY),
                },
            }
        elif kind == "QR_CODE" and (given.get("qr_code") or {}).get("channel_code") == "QRIS":
            props = given["qr_code"].get("channel_properties") or {}
            method["qr_code"] = {
                "channel_code": "QRIS",
                "channel_properties": {
                    "qr_string": f"00020101021226660014ID.CO.XENDIT.WWW0118{number:018d}5303360",
                    "expires_at": props.get("expires_at") or stamp(now + QR_DEFAULT_EXPIRY),
                },
            }
        else:
            return error(
                400, "API_VALIDATION_ERROR", f"payment_method.type {kind!r} not supported here"
            )
        return method

    def _expire_method(self, method_id: str) -> httpx.Response:
        pr = next(
            (r for r in self.requests.values() if r["payment_method"]["id"] == method_id), None
        )
        if pr is None:
            return error(404, "DATA_NOT_FOUND", "payment method not found")
        method = pr["payment_method"]
        if method["status"] != "ACTIVE" or pr["status"] != "PENDING":
            return error(400, "PAYMENT_METHOD_NOT_ACTIVE", "payment method is no longer active")
        method |= {"status": "EXPIRED", "updated": stamp(self.clock.now())}
        self._send("payment_method.expired", method)
        return httpx.Response(200, json=method)

    def _expire_invoice(self, invoice_id: str) -> httpx.Response:
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            return error(404, "INVOICE_NOT_FOUND_ERROR", "invoice not found")
        if invoice["status"] != "PENDING":
            return error(400, "INVOICE_NOT_PENDING", "only a pending invoice can be expired")
        invoice |= {"status": "EXPIRED", "updated": stamp(self.clock.now())}
        return httpx.Response(200, json=invoice)

    # invoices -------------------------------------------------------------------------------
    def _create_invoice(self, body: Json) -> httpx.Response:
        amount, external_id = body.get("amount"), body.get("external_id")
        if not isinstance(amount, int | float) or amount <= 0:
            return error(400, "API_VALIDATION_ERROR", '"amount" must be greater than 0')
        if not external_id:
            return error(400, "API_VALIDATION_ERROR", '"external_id" is required')
        now = self.clock.now()
        number = next(self.numbers)
        invoice_id = f"65f3a1b2c3d4e5f6{number:08x}"
        invoice = {
            "id": invoice_id,
            "external_id": external_id,
            "user_id": BUSINESS_ID,
            "status": "PENDING",
            "merchant_name": "Keranjang",
            "amount": amount,
            "currency": "IDR",
            "description": body.get("description"),
            "invoice_url": f"https://checkout-staging.xendit.co/web/{invoice_id}",
            "expiry_date": stamp(now + timedelta(seconds=int(body.get("invoice_duration", 86400)))),
            "available_ewallets": [{"ewallet_type": w} for w in body.get("payment_methods", [])],
            "success_redirect_url": body.get("success_redirect_url"),
            "created": stamp(now),
            "updated": stamp(now),
        }
        self.invoices[invoice_id] = invoice
        return httpx.Response(200, json=invoice)

    # refunds --------------------------------------------------------------------------------
    def _create_refund(self, body: Json) -> httpx.Response:
        target = self.requests.get(body.get("payment_request_id") or "") or self.invoices.get(
            body.get("invoice_id") or ""
        )
        if target is None:
            return error(404, "DATA_NOT_FOUND", "payment to refund not found")
        if target["status"] not in {"SUCCEEDED", "PAID", "SETTLED"}:
            return error(403, "INELIGIBLE_TRANSACTION", "transaction is not in a refundable status")
        if (target.get("payment_method") or {}).get("type") == "VIRTUAL_ACCOUNT":
            return error(400, "REFUND_NOT_SUPPORTED", "refund is not supported for this channel")
        if body.get("reason") not in {
            "FRAUDULENT",
            "DUPLICATE",
            "REQUESTED_BY_CUSTOMER",
            "CANCELLATION",
            "OTHERS",
        }:
            return error(400, "API_VALIDATION_ERROR", '"reason" is not valid')
        left = target["amount"] - sum(
            r["amount"]
            for r in self.refunds.values()
            if target["id"] in (r["payment_request_id"], r["invoice_id"])
            and r["status"] != "FAILED"
        )
        amount = body.get("amount", left)
        if not isinstance(amount, int | float) or amount <= 0:
            return error(400, "API_VALIDATION_ERROR", '"amount" must be greater than 0')
        if amount > left:
            return error(400, "MAXIMUM_REFUND_AMOUNT_REACHED", "refund amount exceeds what is left")
        now = stamp(self.clock.now())
        refund = {
            "id": f"rfd-{next(self.numbers):08d}-a201-437f-9119-f8b00cbbe857",
            "payment_request_id": body.get("payment_request_id"),
            "invoice_id": body.get("invoice_id"),
            "amount": amount,
            "currency": "IDR",
            "status": "PENDING",
            "reason": body["reason"],
            "reference_id": body.get("reference_id"),
            "failure_code": None,
            "refund_fee_amount": None,
            "metadata": body.get("metadata"),
            "created": now,
            "updated": now,
        }
        reply = httpx.Response(200, json=refund)
        self.refunds[refund["id"]] = refund | {"status": "SUCCEEDED"}
        self._send("refund.succeeded", self.refunds[refund["id"]])
        return reply

    # the buyer and the callbacks ------------------------------------------------------------
    def pay(self, transaction_id: str) -> None:
        now = stamp(self.clock.now())
        if transaction_id in self.invoices:
            invoice = self.invoices[transaction_id]
            if invoice["status"] != "PENDING":
                raise AssertionError(f"cannot pay an invoice that is {invoice['status']}")
            invoice |= {
                "status": "PAID",
                "paid_amount": invoice["amount"],
                "paid_at": now,
                "updated": now,
                "payment_method": "EWALLET",
                "payment_channel": "OVO",
            }
            self._deliver(invoice)
            return
        pr = self.requests[transaction_id]
        if pr["status"] != "PENDING" or pr["payment_method"]["status"] != "ACTIVE":
            raise AssertionError("cannot pay: the payment method is no longer active")
        pr |= {"status": "SUCCEEDED", "updated": now}
        payment = {
            "id": f"py-{next(self.numbers):08d}-25b9-4659-aa36-596ae41a809f",
            "payment_request_id": pr["id"],
            "reference_id": pr["reference_id"],
            "amount": pr["amount"],
            "currency": "IDR",
            "country": "ID",
            "status": "SUCCEEDED",
            "payment_method": pr["payment_method"],
            "metadata": pr["metadata"],
            "created": now,
            "updated": now,
        }
        self._send("payment.succeeded", payment)

    def settle(self, invoice_id: str) -> None:
        """The money of a paid invoice reaches the balance: Xendit calls back SETTLED."""
        invoice = self.invoices[invoice_id]
        invoice |= {"status": "SETTLED", "updated": stamp(self.clock.now())}
        self._deliver(invoice)

    def _send(self, event: str, data: Json) -> None:
        self._deliver(
            {
                "event": event,
                "business_id": BUSINESS_ID,
                "created": stamp(self.clock.now()),
                "data": data,
            }
        )

    def _deliver(self, payload: Json) -> None:
        headers = {
            "content-type": "application/json",
            "x-callback-token": self.callback_token,
            "webhook-id": f"wh-{next(self.numbers):08d}",
        }
        self.outbox.append(Delivered(headers, json.dumps(payload).encode()))

    def take(self) -> list[Delivered]:
        taken, self.outbox = self.outbox, []
        return taken

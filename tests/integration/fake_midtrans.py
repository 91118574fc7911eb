"""A fake Midtrans, in-process, built only from Midtrans' documented request and answer formats,
and the contract-suite harness that wraps the Midtrans adapter around it.

The fake is an `httpx.MockTransport` handler (no network, no database): it checks HTTP Basic auth
(the server key as user name), serves Snap's `POST /snap/v1/transactions` and the Core API's
`POST /v2/charge`, `GET /v2/{id}/status`, `POST /v2/{id}/refund`, and the cancel and expire APIs
(`POST /v2/{id}/cancel`, `/expire`: a pending transaction only, else 412 "Merchant cannot modify
the status of the transaction"), keeps transactions in memory
on the test's clock, and sends the shop the HTTP notifications Midtrans would send, signed.

Midtrans documents the expire API for Snap too but not its answer for a page whose buyer has not
picked a wallet (no transaction yet): the fake closes the page and answers as for a transaction,
the Snap token standing for its id; cancel needs a transaction (404), as documented.

Where Midtrans' documentation shows an error's `status_code` but not its HTTP status, the Core API
here answers HTTP 200 with the code in the body (as Midtrans' own client libraries expect), so the
adapter's reading of in-body codes is exercised; an unknown transaction is HTTP 404, as observed.
"""

import base64
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from keranjang.infra.clock import FixedClock
from keranjang.payments.midtrans import API_URLS, SNAP_URLS
from keranjang.payments.midtrans_wire import STATUS_CODES, format_amount, format_time, signature
from tests.integration.payment_partners import (
    encode,
)

SERVER_KEY = "SB-Mid-server-fake-midtrans-key"
NOTIFY_URL = "http://commerce.test/payments/notifications"
API, SNAP = API_URLS[True], SNAP_URLS[True]
MERCHANT_ID = "G000000001"
VA_BANKS = {"bca", "bni", "bri", "cimb", "permata"}
# Midtrans' refund API takes these payment types only (docs: "Refund Transactions"); a bank
# transfer (virtual account) cannot be refunded through the API. The docs do not show the answer
# for another type: the fake answers 412 ("transaction status cannot be updated") with its reason.
REFUNDABLE = {"credit_card", "gopay", "shopeepay", "qris", "dana", "ovo", "kredivo", "akulaku"}
DEFAULT_EXPIRY = {"bank_transfer": timedelta(hours=24), "qris": timedelta(minutes=15)}
UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
ACCESS_DENIED = "Access denied due to unauthorized transaction, please check client or server key"
Json = dict[str, Any]


class Refused(Exception):
    """A refusal, with the code Midtrans reports it by."""

    def __init__(self, code: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


@dataclass
class Transaction:
    order_id: str
    transaction_id: str
    payment_type: str
    gross_amount: int
    transaction_time: datetime
    expiry_time: datetime
    status: str = "pending"
    va: Json | None = None
    settlement_time: datetime | None = None
    refunds: list[Json] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        return sum(int(float(r["refund_amount"])) for r in self.refunds)

    def view(self, server_key: str) -> Json:
        code = STATUS_CODES[self.status]
        amount = format_amount(self.gross_amount)
        body: Json = {
            "status_code": code,
            "status_message": "Success, transaction is found",
            "transaction_id": self.transaction_id,
            "order_id": self.order_id,
            "merchant_id": MERCHANT_ID,
            "gross_amount": amount,
            "currency": "IDR",
            "payment_type": self.payment_type,
            "transaction_time": format_time(self.transaction_time),
            "transaction_status": self.status,
            "fraud_status": "accept",
            "expiry_time": format_time(self.expiry_time),
            "signature_key": signature(self.order_id, code, amount, server_key),
        }
        if self.va and self.va["bank"] == "permata":
            body["permata_va_number"] = self.va["va_number"]
        elif self.va:
            body["va_numbers"] = [self.va]
        if self.settlement_time:
            body["settlement_time"] = format_time(self.settlement_time)
        if self.refunds:
            body["refund_amount"] = format_amount(self.refunded)
            body["refunds"] = self.refunds
        return body


@dataclass
class SnapSession:
    order_id: str
    gross_amount: int
    expires_at: datetime
    enabled_payments: list[str]
    closed: bool = False


class FakeMidtrans:
    """Midtrans' sandbox, as far as its documentation describes it."""

    def __init__(
        self,
        clock: FixedClock,
        notify: Callable[[bytes], None],
        *,
        server_key: str = SERVER_KEY,
        refundable: set[str] = REFUNDABLE,
    ) -> None:
        self.clock, self.notify = clock, notify
        self.server_key, self.refundable = server_key, refundable
        self.transactions: dict[str, Transaction] = {}
        self.sessions: dict[str, SnapSession] = {}
        self.refund_answers: dict[tuple[str, str], Json] = {}
        self.numbers = itertools.count(1)

    # HTTP --------------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        snap = request.url.host == httpx.URL(SNAP).host
        if not self.authorized(request):
            if snap:
                return httpx.Response(401, json={"error_messages": [ACCESS_DENIED]})
            return httpx.Response(401, json={"status_code": "401", "status_message": ACCESS_DENIED})
        try:
            if snap:
                return self.route_snap(request)
            return httpx.Response(200, json=self.route_core(request))
        except Refused as refused:
            if snap:
                return httpx.Response(refused.code, json={"error_messages": [refused.message]})
            answer = {"status_code": str(refused.code), "status_message": refused.message}
            return httpx.Response(404 if refused.code == 404 else 200, json=answer | refused.extra)

    def authorized(self, request: httpx.Request) -> bool:
        expected = base64.b64encode(f"{self.server_key}:".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def route_snap(self, request: httpx.Request) -> httpx.Response:
        if (request.method, request.url.path) != ("POST", "/snap/v1/transactions"):
            raise Refused(404, "The requested resource is not found")
        return httpx.Response(201, json=self.snap(json.loads(request.content)))

    def route_core(self, request: httpx.Request) -> Json:
        parts = request.url.path.strip("/").split("/")
        body = json.loads(request.content) if request.content else {}
        if request.method == "POST" and parts == ["v2", "charge"]:
            return self.charge(body)
        if len(parts) == 3 and parts[0] == "v2":
            if request.method == "POST" and parts[2] in ("cancel", "expire"):
                return self.end(parts[1], parts[2])
            found = self.find(parts[1])
            if request.method == "GET" and parts[2] == "status":
                return found.view(self.server_key)
            if request.method == "POST" and parts[2] == "refund":
                return self.refund(found, body)
        raise Refused(404, "The requested resource is not found")

    # Snap and the Core API ---------------------------------------------------------------------
    def snap(self, body: Json) -> Json:
        order_id, amount = self.order(body)
        expiry = body.get("expiry") or {}
        start = expiry.get("start_time")
        begins = datetime.strptime(start, "%Y-%m-%d %H:%M:%S %z") if start else self.clock.now()
        seconds = int(expiry.get("duration", 24 * 60)) * UNITS[expiry.get("unit", "minute")]
        token = str(uuid.uuid4())
        self.sessions[token] = SnapSession(
            order_id, amount, begins + timedelta(seconds=seconds), body["enabled_payments"]
        )
        return {"token": token, "redirect_url": f"{SNAP}/snap/v4/redirection/{token}"}

    def charge(self, body: Json) -> Json:
        order_id, amount = self.order(body)
        kind, bank = body.get("payment_type"), None
        if kind == "bank_transfer":
            bank = (body.get("bank_transfer") or {}).get("bank")
            if bank not in VA_BANKS:
                raise Refused(400, f"bank_transfer.bank {bank!r} is not supported")
        elif kind != "qris":
            raise Refused(402, "Merchant doesn't have access for this payment type")
        txn = self.open(order_id, amount, kind, expiry_of(body, kind), bank)
        answer = txn.view(self.server_key) | {"status_message": f"{kind} transaction is created"}
        del answer["signature_key"]
        if kind == "qris":
            qr_url = f"{API}/v2/qris/{txn.transaction_id}/qr-code"
            answer["actions"] = [{"name": "generate-qr-code", "method": "GET", "url": qr_url}]
            answer["qr_string"], answer["acquirer"] = qris(txn), "gopay"
        return answer

    def order(self, body: Json) -> tuple[str, int]:
        details = body.get("transaction_details") or {}
        order_id, amount = details.get("order_id"), details.get("gross_amount")
        if not isinstance(amount, int | float) or amount <= 0:
            message = "transaction_details.gross_amount must be greater than or equal to 0.01"
            raise Refused(400, message, validation_messages=[message])
        if not isinstance(order_id, str) or not order_id:
            raise Refused(400, "transaction_details.order_id is required")
        if self.taken(order_id):
            raise Refused(406, "order_id has been paid and utilized, please use another order ID")
        return order_id, int(amount)

    def taken(self, order_id: str) -> bool:
        return order_id in self.transactions or any(
            s.order_id == order_id for s in self.sessions.values()
        )

    def open(
        self, order_id: str, amount: int, kind: str, lifetime: timedelta, bank: str | None = None
    ) -> Transaction:
        now = self.clock.now().replace(microsecond=0)
        txn = Transaction(order_id, str(uuid.uuid4()), kind, amount, now, now + lifetime)
        if bank:
            txn.va = {"bank": bank, "va_number": f"{12345_000000 + next(self.numbers)}"}
        self.transactions[order_id] = txn
        self.send(txn)
        return txn

    def find(self, order_or_transaction_id: str) -> Transaction:
        for txn in self.transactions.values():
            if order_or_transaction_id in (txn.order_id, txn.transaction_id):
                return txn
        raise Refused(404, "Transaction doesn't exist.")

    def refund(self, txn: Transaction, body: Json) -> Json:
        key = str(body.get("refund_key") or uuid.uuid4())
        if (txn.order_id, key) in self.refund_answers:
            return self.refund_answers[txn.order_id, key]
        if txn.status not in {"settlement", "partial_refund"}:
            raise Refused(412, "Transaction status cannot be updated.")
        if txn.payment_type not in self.refundable:
            raise Refused(412, f"Refund is not available for payment_type {txn.payment_type}")
        left = txn.gross_amount - txn.refunded
        amount = body.get("amount", left)
        if not isinstance(amount, int) or not 0 < amount <= left:
            raise Refused(412, f"Refund amount must be between 1 and {left}: amount {amount}")
        txn.refunds.append(
            {
                "refund_chargeback_id": len(txn.refunds) + 1,
                "refund_amount": format_amount(amount),
                "created_at": format_time(self.clock.now()),
                "reason": body.get("reason", ""),
                "refund_key": key,
            }
        )
        txn.status = "refund" if amount == left else "partial_refund"
        self.send(txn)
        answer = txn.view(self.server_key) | {
            "status_message": "Success, refund request is approved",
            "refund_chargeback_id": len(txn.refunds),
            "refund_amount": format_amount(amount),
            "refund_key": key,
        }
        for summary in ("signature_key", "refunds"):
            del answer[summary]
        self.refund_answers[txn.order_id, key] = answer
        return answer

    def end(self, reference: str, how: str) -> Json:
        """The cancel or expire API: a pending transaction only (else 412); expire also closes
        a Snap page not yet opened into a transaction."""
        if how == "expire" and reference not in self.transactions:
            for token, session in self.sessions.items():
                if session.order_id == reference and not session.closed:
                    session.closed = True
                    return {
                        "status_code": "407",
                        "status_message": "Success, transaction has expired",
                        "transaction_id": token,
                        "order_id": reference,
                        "gross_amount": format_amount(session.gross_amount),
                        "transaction_time": format_time(self.clock.now()),
                        "transaction_status": "expire",
                    }
        txn = self.find(reference)
        if txn.status != "pending":
            raise Refused(412, "Merchant cannot modify the status of the transaction")
        txn.status = "cancel" if how == "cancel" else "expire"
        self.send(txn)
        answer = txn.view(self.server_key)
        answer["status_message"] = (
            f"Success, transaction is {'canceled' if how == 'cancel' else 'expired'}"
        )
        del answer["signature_key"]
        return answer

    # the buyer ---------------------------------------------------------------------------------
    def pay(self, reference: str) -> Transaction:
        """The buyer pays: a Core API transaction by its id, or a Snap page by its token (the
        buyer picks the page's first wallet, which opens the transaction, then pays it)."""
        if reference in self.sessions:
            session = self.sessions[reference]
            left = session.expires_at - self.clock.now()
            if left <= timedelta(0) or session.closed:
                raise AssertionError("the Snap page has expired")
            txn = self.open(
                session.order_id, session.gross_amount, session.enabled_payments[0], left
            )
        else:
            txn = self.find(reference)
        if txn.status != "pending" or self.clock.now() >= txn.expiry_time:
            raise AssertionError(f"cannot pay a transaction that is {txn.status}")
        txn.status, txn.settlement_time = "settlement", self.clock.now().replace(microsecond=0)
        self.send(txn)
        return txn

    def send(self, txn: Transaction) -> None:
        view = txn.view(self.server_key)
        view["status_message"] = "midtrans payment notification"
        self.notify(encode(view))


def expiry_of(body: Json, kind: str) -> timedelta:
    custom = body.get("custom_expiry")
    if not custom:
        return DEFAULT_EXPIRY[kind]
    return timedelta(seconds=int(custom["expiry_duration"]) * UNITS[custom.get("unit", "minute")])


def qris(txn: Transaction) -> str:
    """An EMVCo merchant-presented QR payload, as a QRIS acquirer issues one, with its CRC."""

    def tlv(tag: str, value: str) -> str:
        return f"{tag}{len(value):02d}{value}"

    merchant = tlv("00", "COM.GO-JEK.WWW") + tlv("01", "936009140" + txn.transaction_id[:6])
    payload = (
        tlv("00", "01")
        + tlv("01", "12")
        + tlv("26", merchant)
        + tlv("52", "5812")
        + tlv("53", "360")
        + tlv("54", str(txn.gross_amount))
        + tlv("58", "ID")
        + tlv("59", "Keranjang Test")
        + tlv("60", "JAKARTA")
        + tlv("62", tlv("01", txn.order_id[:25]))
        + "6304"
    )
    return payload + f"{crc16(payload.encode()):04X}"


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, the checksum QRIS payloads end with."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc

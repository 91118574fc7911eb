"""No lower-level exception (httpx, pydantic, json, a number or a URL beyond reason) leaves any
payment-partner adapter, whatever the transport does: each failure arrives as one of the payments
error tree, chained to its cause (httpx's own test of its exception mapping, for our edge)."""

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from keranjang.infra.clock import FixedClock
from keranjang.payments import (
    NewPayment,
    PartnerRefused,
    PartnerUnavailable,
    PaymentError,
    PaymentMethod,
    PaymentPartner,
    RefundRequest,
)
from keranjang.payments.midtrans import MidtransPartner
from keranjang.payments.simulator_partner import SimulatorPartner
from keranjang.payments.xendit import XenditPartner
from tests.integration.fake_xendit import CALLBACK_TOKEN, SECRET_KEY, FakeXendit

CLOCK = FixedClock(datetime(2024, 3, 27, 9, 0, tzinfo=UTC))
Handler = Callable[[httpx.Request], httpx.Response]
DEEP = b"[" * 100_000 + b"]" * 100_000


def connect_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def answer(status: int, content: bytes) -> Handler:
    return lambda request: httpx.Response(status, content=content)


# name -> (what the transport does, the error the caller gets)
FAILURES: dict[str, tuple[Handler, type[PaymentError]]] = {
    "connect error": (connect_error, PartnerUnavailable),
    "read timeout": (read_timeout, PartnerUnavailable),
    "5xx": (answer(503, b"<html>Service Unavailable</html>"), PartnerUnavailable),
    "4xx": (answer(400, b'{"message": "bad request"}'), PartnerRefused),
    "garbage body": (answer(200, bytes(range(256)) * 4), PartnerUnavailable),
    "truncated JSON": (
        answer(200, b'{"status_code": "200", "order_id": "ORD-1", "tra'),
        PartnerUnavailable,
    ),
    "JSON nested too deep": (answer(200, DEEP), PartnerUnavailable),
    "an error nested too deep": (answer(400, DEEP), PartnerRefused),
    "an empty answer": (answer(200, b""), PartnerUnavailable),
    "a redirect": (
        lambda r: httpx.Response(302, headers={"location": "/login"}),
        PartnerUnavailable,
    ),
}


def no_sleep(_: float) -> None:
    return None


ADAPTERS: dict[str, Callable[[httpx.BaseTransport], PaymentPartner]] = {
    "simulator": lambda transport: SimulatorPartner(
        "http://payments.test", "server-key", transport=transport, sleep=no_sleep
    ),
    "midtrans": lambda transport: MidtransPartner(
        "SB-Mid-server-key", transport=transport, sleep=no_sleep, clock=CLOCK
    ),
    "xendit": lambda transport: XenditPartner(
        SECRET_KEY, CALLBACK_TOKEN, transport=transport, sleep=no_sleep, clock=CLOCK
    ),
}


def order(method: PaymentMethod) -> NewPayment:
    return NewPayment("ORD-1", 350_000, method, "Kemeja Batik Tulis")


OPERATIONS: dict[str, Callable[[PaymentPartner], object]] = {
    "create a virtual account": lambda p: p.create_payment(order(PaymentMethod.VIRTUAL_ACCOUNT)),
    "create a QRIS": lambda p: p.create_payment(order(PaymentMethod.QRIS)),
    "create an e-wallet payment": lambda p: p.create_payment(order(PaymentMethod.EWALLET)),
    "look up a status": lambda p: p.status("ORD-1"),
    "refund": lambda p: p.refund(RefundRequest("ORD-1", "r-1", 1_000, "rusak")),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_no_lower_level_error_leaves_an_adapter(adapter: str, failure: str, operation: str) -> None:
    handler, expected = FAILURES[failure]
    partner = ADAPTERS[adapter](httpx.MockTransport(handler))
    with pytest.raises(PaymentError) as raised:  # anything else fails this test
        OPERATIONS[operation](partner)
    assert isinstance(raised.value, expected)
    if failure in ("connect error", "read timeout"):
        assert isinstance(raised.value.__cause__, httpx.TransportError)
    if isinstance(raised.value, PartnerRefused):
        assert raised.value.status == 400


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_xendit_refund_fails_cleanly_at_every_one_of_its_calls(failure: str) -> None:
    """A Xendit refund is three calls (find the payment, list its refunds, refund): whichever
    starts failing, the caller gets a payments error, and nothing is asked after it."""
    handler, expected = FAILURES[failure]
    fake = FakeXendit(CLOCK)
    healthy = ADAPTERS["xendit"](httpx.MockTransport(fake.handle))
    fake.pay(healthy.create_payment(order(PaymentMethod.QRIS)).partner_transaction_id)
    for failing_from in range(3):
        calls: list[httpx.Request] = []

        def fail_from(request: httpx.Request, at: int = failing_from) -> httpx.Response:
            calls.append(request)
            return handler(request) if len(calls) > at else fake.handle(request)

        with pytest.raises(expected):
            ADAPTERS["xendit"](httpx.MockTransport(fail_from)).refund(
                RefundRequest("ORD-1", "r-1", 1_000)
            )
        tried_after = {(r.method, r.url.path) for r in calls[failing_from:]}
        assert len(tried_after) == 1  # the failing call (and its retries), nothing further
    assert fake.refunds == {}


@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_an_order_id_too_long_for_a_url_is_refused_before_anything_is_sent(adapter: str) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    with pytest.raises(PartnerRefused) as refused:
        ADAPTERS[adapter](httpx.MockTransport(record)).status("O" * 70_000)
    assert refused.value.status == 0
    assert isinstance(refused.value.__cause__, httpx.InvalidURL)
    assert sent == []


@pytest.mark.parametrize("code", ["²", "9" * 5_000], ids=["superscript two", "5000 digits"])
def test_a_midtrans_status_code_that_is_not_one_is_unreadable_not_a_crash(code: str) -> None:
    body = json.dumps({"status_code": code, "status_message": "as Midtrans says"}).encode()
    with pytest.raises(PartnerUnavailable):
        ADAPTERS["midtrans"](httpx.MockTransport(answer(200, body))).status("ORD-1")


def test_a_xendit_amount_beyond_reason_is_unreadable_not_a_crash() -> None:
    listed = {
        "data": [
            {
                "id": "pr-1",
                "reference_id": "ORD-1",
                "amount": 1e400,  # JSON allows it; Python reads it as infinity
                "status": "SUCCEEDED",
                "payment_method": {"id": "pm-1", "type": "QR_CODE", "status": "ACTIVE"},
                "created": "2024-03-27T09:00:00Z",
                "updated": "2024-03-27T09:05:00Z",
            }
        ]
    }
    body = json.dumps(listed).replace("Infinity", "1e400").encode()
    with pytest.raises(PartnerUnavailable, match="amount"):
        ADAPTERS["xendit"](httpx.MockTransport(answer(200, body))).status("ORD-1")


def test_a_simulator_refusal_in_an_unexpected_shape_still_says_what_was_wrong() -> None:
    body = json.dumps({"detail": [{"loc": 5, "msg": "gross_amount must be positive"}]}).encode()
    with pytest.raises(PartnerRefused, match="gross_amount must be positive") as refused:
        ADAPTERS["simulator"](httpx.MockTransport(answer(422, body))).create_payment(
            order(PaymentMethod.QRIS)
        )
    assert refused.value.status == 422

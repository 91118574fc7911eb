"""The simulator adapter over an injected transport: every httpx error is mapped at the edge,
only idempotent calls are retried, and notifications are verified before they are believed."""

import base64
import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from keranjang.payments import (
    DuplicateOrder,
    NewPayment,
    NotificationRejected,
    PartnerRefused,
    PartnerUnavailable,
    PaymentError,
    PaymentMethod,
    PaymentStatus,
    RefundRequest,
    UnknownPayment,
)
from keranjang.payments.http_client import TIMEOUT
from keranjang.payments.midtrans_wire import signature
from keranjang.payments.simulator_partner import SimulatorPartner, charge_body

KEY = "server-key"
BASE = "http://payments.test"
STATUS = {
    "order_id": "ORD-1",
    "transaction_id": "tx-1",
    "transaction_status": "settlement",
    "status_code": "200",
    "gross_amount": "350000.00",
    "transaction_time": "2024-03-27 16:00:00",
    "settlement_time": "2024-03-27 16:05:00",
    "fraud_status": "accept",
    "payment_type": "qris",
}
Handler = Callable[[httpx.Request], httpx.Response]


def partner(handler: Handler, sleeps: list[float] | None = None) -> SimulatorPartner:
    record = sleeps if sleeps is not None else []
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return SimulatorPartner(BASE, KEY, client, sleep=record.append)


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, seen


def new_payment() -> NewPayment:
    return NewPayment("ORD-1", 350_000, PaymentMethod.QRIS, "Kemeja Batik Tulis")


def every_request_error() -> list[type[httpx.RequestError]]:
    found, todo = [], [httpx.RequestError]
    while todo:
        kind = todo.pop()
        todo.extend(kind.__subclasses__())
        found.append(kind)
    return found


@pytest.mark.parametrize("error", every_request_error(), ids=lambda e: e.__name__)
def test_no_httpx_error_slips_through(error: type[httpx.RequestError]) -> None:
    request = httpx.Request("GET", BASE)
    handler, _ = answers(error("boom", request=request))
    p = partner(handler)
    calls: list[Callable[[], object]] = [
        lambda: p.create_payment(new_payment()),
        lambda: p.status("ORD-1"),
        lambda: p.refund(RefundRequest("ORD-1", "r-1")),
    ]
    for call in calls:
        with pytest.raises(PartnerUnavailable) as raised:
            call()
        assert isinstance(raised.value.__cause__, httpx.HTTPError)


def test_status_lookups_are_retried_through_short_outages() -> None:
    handler, seen = answers(
        httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(200, json=STATUS)
    )
    sleeps: list[float] = []
    assert partner(handler, sleeps).status("ORD-1").is_paid
    assert len(seen) == 3
    assert sleeps == [0.2, 0.5]


def test_retries_are_bounded() -> None:
    handler, seen = answers(httpx.Response(502))
    with pytest.raises(PartnerUnavailable, match="502"):
        partner(handler).status("ORD-1")
    assert len(seen) == 3


def test_creating_a_payment_is_never_retried() -> None:
    for failure in (httpx.Response(503), httpx.ReadTimeout("slow")):
        handler, seen = answers(failure)
        with pytest.raises(PartnerUnavailable):
            partner(handler).create_payment(new_payment())
        assert len(seen) == 1


def test_refunds_carry_their_key_so_they_are_retried_safely() -> None:
    refunded = {
        "order_id": "ORD-1",
        "transaction_status": "partial_refund",
        "refund_chargeback_id": "rfd-1",
        "refund_amount": "1000.00",
        "refund_key": "r-1",
    }
    handler, seen = answers(httpx.ConnectError("refused"), httpx.Response(200, json=refunded))
    result = partner(handler).refund(RefundRequest("ORD-1", "r-1", 1_000, "rusak"))
    assert (result.amount, result.status) == (1_000, PaymentStatus.PARTIALLY_REFUNDED)
    assert [json.loads(r.content) for r in seen] == [
        {"refund_key": "r-1", "reason": "rusak", "amount": 1_000}
    ] * 2


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, PartnerRefused), (401, PartnerRefused), (404, UnknownPayment), (422, PartnerRefused)],
)
def test_refusals_are_not_retried_and_keep_the_partner_message(
    status: int, error: type[PaymentError]
) -> None:
    handler, seen = answers(httpx.Response(status, json={"status_message": "no such thing"}))
    with pytest.raises(error, match="no such thing"):
        partner(handler).status("ORD-1")
    assert len(seen) == 1


def test_a_taken_order_id_is_a_duplicate_order() -> None:
    handler, _ = answers(httpx.Response(409, json={"status_message": "taken"}))
    with pytest.raises(DuplicateOrder) as raised:
        partner(handler).create_payment(new_payment())
    assert raised.value.status == 409


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"order_id": "ORD-1"}),
        httpx.Response(200, json=STATUS | {"gross_amount": "lots"}),
        httpx.Response(200, json=STATUS | {"transaction_status": "teleported"}),
        httpx.Response(302, headers={"location": "/login"}),
    ],
)
def test_an_unreadable_answer_is_partner_unavailable(response: httpx.Response) -> None:
    handler, _ = answers(response)
    with pytest.raises(PartnerUnavailable):
        partner(handler).status("ORD-1")


def test_requests_carry_the_server_key_as_basic_user_and_a_quoted_order_id() -> None:
    handler, seen = answers(httpx.Response(200, json=STATUS))
    partner(handler).status("ORD/1?x")
    (request,) = seen
    assert request.url.raw_path == b"/v2/ORD%2F1%3Fx/status"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"server-key:").decode()


def test_the_default_client_has_explicit_timeouts() -> None:
    assert SimulatorPartner(BASE, KEY).client.timeout == TIMEOUT
    with pytest.raises(ValueError, match="http"):
        SimulatorPartner("payments.test", KEY)


def test_the_charge_asks_for_what_the_shop_wants() -> None:
    new = NewPayment(
        "ORD-1",
        350_000,
        PaymentMethod.VIRTUAL_ACCOUNT,
        "x" * 80,
        va_bank="mandiri",
        finish_redirect_url="http://shop.test/done",
        expires_in=timedelta(seconds=90),
    )
    assert charge_body(new) == {
        "payment_type": "bank_transfer",
        "transaction_details": {"order_id": "ORD-1", "gross_amount": 350_000},
        "item_details": [{"name": "x" * 50, "price": 350_000, "quantity": 1}],
        "bank_transfer": {"bank": "mandiri"},
        "callbacks": {"finish": "http://shop.test/done"},
        "custom_expiry": {"expiry_duration": 2, "unit": "minute"},
    }


def signed(**fields: str) -> bytes:
    body = STATUS | fields
    body["signature_key"] = signature(
        body["order_id"], body["status_code"], body["gross_amount"], KEY
    )
    return json.dumps(body).encode()


def test_a_signed_notification_becomes_an_event() -> None:
    p = partner(answers(httpx.Response(500))[0])
    event = p.parse_notification({}, signed())
    assert (event.status, event.gross_amount, event.method) == (
        PaymentStatus.PAID,
        350_000,
        PaymentMethod.QRIS,
    )
    assert event.occurred_at.isoformat() == "2024-03-27T09:05:00+00:00"


def test_a_capture_is_paid_only_when_fraud_detection_accepts_it() -> None:
    p = partner(answers(httpx.Response(500))[0])
    accepted = p.parse_notification({}, signed(transaction_status="capture"))
    challenged = p.parse_notification(
        {}, signed(transaction_status="capture", status_code="201", fraud_status="challenge")
    )
    assert accepted.is_paid and not challenged.is_paid


def test_notifications_that_cannot_be_read_after_verifying_are_malformed() -> None:
    p = partner(answers(httpx.Response(500))[0])
    with pytest.raises(NotificationRejected) as rejected:
        p.parse_notification({}, signed(gross_amount="350000.50"))
    assert rejected.value.reason == "malformed"
    with pytest.raises(NotificationRejected, match="too large"):
        p.parse_notification({}, b" " * 70_000)

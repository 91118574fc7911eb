"""The Xendit adapter over `httpx.MockTransport`: errors mapped at the edge, bounded retries, safe
creates, callback tokens, status mapping. No network."""

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from keranjang.infra.clock import FixedClock
from keranjang.payments import (
    DuplicateOrder,
    NewPayment,
    NotificationRejected,
    PartnerRefused,
    PartnerUnavailable,
    PaymentMethod,
    PaymentStatus,
    RefundRequest,
    UnknownPayment,
)
from keranjang.payments import xendit as xendit_module
from keranjang.payments.xendit import XenditPartner
from tests.integration.fake_xendit import CALLBACK_TOKEN, SECRET_KEY, FakeXendit

CLOCK = FixedClock(datetime(2024, 3, 27, 9, 0, tzinfo=UTC))
URL = "https://api.xendit.test"
TOKEN = {"X-Callback-Token": CALLBACK_TOKEN}


def partner(handler: Any, sleeps: list[float] | None = None) -> XenditPartner:
    record = sleeps.append if sleeps is not None else (lambda _: None)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return XenditPartner(
        SECRET_KEY, CALLBACK_TOKEN, base_url=URL, client=client, sleep=record, clock=CLOCK
    )


def order(
    method: PaymentMethod = PaymentMethod.VIRTUAL_ACCOUNT, amount: int = 350_000
) -> NewPayment:
    return NewPayment("ORD-1", amount, method, "Kemeja Batik Tulis", va_bank="bri")


def answering(status: int, body: object) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return handle


def invoice(status: str, **fields: object) -> dict[str, object]:
    return {
        "id": "65f3a1b2c3d4e5f600000001",
        "external_id": "ORD-1",
        "status": status,
        "amount": 350_000,
        "paid_at": "2024-03-27T09:05:00.123Z",
        "updated": "2024-03-27T09:06:00.123456789Z",
        "payment_method": "EWALLET",
    } | fields


def callback(body: object) -> bytes:
    return json.dumps(body).encode()


# no httpx error slips through ----------------------------------------------------------------
HTTPX_ERRORS = [
    httpx.ConnectError("refused"),
    httpx.ConnectTimeout("slow"),
    httpx.ReadTimeout("slow"),
    httpx.RemoteProtocolError("broken"),
    httpx.ReadError("reset"),
]
CALLS = {
    "create a VA": lambda p: p.create_payment(order()),
    "create an e-wallet invoice": lambda p: p.create_payment(order(PaymentMethod.EWALLET)),
    "status": lambda p: p.status("ORD-1"),
    "refund": lambda p: p.refund(RefundRequest("ORD-1", "r-1")),
}


@pytest.mark.parametrize("exc", HTTPX_ERRORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("call", CALLS.values(), ids=list(CALLS))
def test_no_httpx_error_slips_through(exc: httpx.HTTPError, call: Any) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(PartnerUnavailable) as raised:
        call(partner(fail))
    assert raised.value.__cause__ is exc


@pytest.mark.parametrize("call", CALLS.values(), ids=list(CALLS))
@pytest.mark.parametrize("body", [b"<html>busy</html>", b"{}", b'{"data": [{"id": 1}]}'])
def test_an_unreadable_answer_is_partner_unavailable(call: Any, body: bytes) -> None:
    with pytest.raises(PartnerUnavailable):
        call(partner(lambda request: httpx.Response(200, content=body)))


# retries -------------------------------------------------------------------------------------
def test_a_lookup_is_retried_a_bounded_number_of_times() -> None:
    calls: list[httpx.Request] = []
    sleeps: list[float] = []

    def busy(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, text="busy")

    with pytest.raises(PartnerUnavailable):
        partner(busy, sleeps).status("ORD-1")
    assert len(calls) == 1 + len(xendit_module.RETRY_DELAYS)
    assert sleeps == list(xendit_module.RETRY_DELAYS)


def test_an_invoice_create_is_not_retried() -> None:
    posts: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        posts.append(request)
        return httpx.Response(503, text="busy")

    with pytest.raises(PartnerUnavailable):
        partner(handle).create_payment(order(PaymentMethod.EWALLET))
    assert len(posts) == 1


def test_a_create_whose_answer_was_lost_is_retried_without_a_second_payment() -> None:
    fake = FakeXendit(CLOCK)
    keys: list[str] = []

    def lose_first_answer(request: httpx.Request) -> httpx.Response:
        answer = fake.handle(request)
        keys.append(request.headers["idempotency-key"])
        if len(keys) == 1:
            raise httpx.ReadTimeout("answer lost", request=request)
        return answer

    created = partner(lose_first_answer).create_payment(order())
    assert len(fake.requests) == 1
    assert keys[0] == keys[1]
    assert created.partner_transaction_id in fake.requests


def test_a_second_create_for_the_same_order_is_a_duplicate() -> None:
    fake = FakeXendit(CLOCK)
    xendit = partner(fake.handle)
    xendit.create_payment(order())
    with pytest.raises(DuplicateOrder):
        xendit.create_payment(order())


def test_an_e_wallet_order_gets_one_invoice() -> None:
    fake = FakeXendit(CLOCK)
    xendit = partner(fake.handle)
    created = xendit.create_payment(order(PaymentMethod.EWALLET))
    assert created.redirect_url and created.redirect_url.startswith("https://")
    with pytest.raises(DuplicateOrder):
        xendit.create_payment(order(PaymentMethod.EWALLET))
    assert len(fake.invoices) == 1


# error codes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code", "raised", "kept"),
    [
        (401, "INVALID_API_KEY", PartnerRefused, 401),
        (404, "DATA_NOT_FOUND", UnknownPayment, 404),
        (409, "DUPLICATE_PAYMENT_REQUEST_ERROR", DuplicateOrder, 409),
        (400, "DUPLICATE_ERROR", DuplicateOrder, 400),
        (400, "API_VALIDATION_ERROR", PartnerRefused, 400),
        (403, "REQUEST_FORBIDDEN_ERROR", PartnerRefused, 403),
    ],
)
def test_xendit_error_codes_are_mapped(
    status: int, code: str, raised: type[PartnerRefused], kept: int
) -> None:
    answer = answering(status, {"error_code": code, "message": "as Xendit says"})
    with pytest.raises(raised) as refused:
        partner(answer).create_payment(order())
    assert type(refused.value) is raised
    assert refused.value.status == kept
    assert "as Xendit says" in str(refused.value)


def test_a_zero_amount_is_refused_naming_our_field() -> None:
    with pytest.raises(PartnerRefused) as refused:
        partner(FakeXendit(CLOCK).handle).create_payment(order(amount=0))
    assert refused.value.status == 400
    assert "gross_amount" in str(refused.value)
    assert "API_VALIDATION_ERROR" in str(refused.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_partner_unavailable(status: int) -> None:
    with pytest.raises(PartnerUnavailable):
        partner(answering(status, {"error_code": "SERVER_ERROR", "message": "x"})).status("ORD-1")


def test_an_order_xendit_does_not_know_is_unknown() -> None:
    with pytest.raises(UnknownPayment):
        partner(FakeXendit(CLOCK).handle).status("ORD-NEVER")


def test_a_virtual_account_payment_cannot_be_refunded_through_the_api() -> None:
    fake = FakeXendit(CLOCK)
    xendit = partner(fake.handle)
    fake.pay(xendit.create_payment(order()).partner_transaction_id)
    with pytest.raises(PartnerRefused) as refused:
        xendit.refund(RefundRequest("ORD-1", "r-1"))
    assert "REFUND_NOT_SUPPORTED" in str(refused.value)


# callback tokens -----------------------------------------------------------------------------
PAID_INVOICE = callback(invoice("PAID"))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-callback-token": ""},
        {"x-callback-token": "x" * len(CALLBACK_TOKEN)},  # same length, wrong
        {"x-callback-token": CALLBACK_TOKEN[:-1] + "X"},  # one character off
        {"x-callback-token": "another-accounts-callback-verification-tok"},
        {"authorization": CALLBACK_TOKEN},
    ],
)
def test_a_callback_without_this_accounts_token_is_rejected(headers: dict[str, str]) -> None:
    with pytest.raises(NotificationRejected) as rejected:
        partner(answering(500, {})).parse_notification(headers, PAID_INVOICE)
    assert rejected.value.reason == "bad_signature"


def test_the_token_header_is_found_whatever_its_case() -> None:
    xendit = partner(answering(500, {}))
    for name in ("x-callback-token", "X-CALLBACK-TOKEN", "X-Callback-Token"):
        assert xendit.parse_notification({name: CALLBACK_TOKEN}, PAID_INVOICE).is_paid


def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = xendit_module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(xendit_module.hmac, "compare_digest", spy)
    partner(answering(500, {})).parse_notification(TOKEN, PAID_INVOICE)
    assert compared == [(CALLBACK_TOKEN.encode(), CALLBACK_TOKEN.encode())]


def test_an_oversized_callback_is_malformed() -> None:
    body = callback(invoice("PAID", description="x" * 70_000))
    with pytest.raises(NotificationRejected) as rejected:
        partner(answering(500, {})).parse_notification(TOKEN, body)
    assert rejected.value.reason == "malformed"


# statuses ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("xendit_status", "ours"),
    [
        ("PENDING", PaymentStatus.PENDING),
        ("PAID", PaymentStatus.PAID),
        ("SETTLED", PaymentStatus.PAID),
        ("EXPIRED", PaymentStatus.EXPIRED),
    ],
)
def test_invoice_statuses_are_normalized(xendit_status: str, ours: PaymentStatus) -> None:
    event = partner(answering(500, {})).parse_notification(TOKEN, callback(invoice(xendit_status)))
    assert event.status is ours
    assert event.occurred_at.tzinfo is not None


def test_paid_then_settled_are_two_events_both_paid() -> None:
    fake = FakeXendit(CLOCK)
    xendit = partner(fake.handle)
    created = xendit.create_payment(order(PaymentMethod.EWALLET))
    fake.pay(created.partner_transaction_id)
    fake.settle(created.partner_transaction_id)
    paid, settled = [xendit.parse_notification(d.headers, d.body) for d in fake.take()]
    assert paid.is_paid and settled.is_paid
    assert paid.dedupe_key != settled.dedupe_key
    assert xendit.status("ORD-1").is_paid


@pytest.mark.parametrize(
    ("xendit_status", "failure", "ours"),
    [
        ("PENDING", None, PaymentStatus.PENDING),
        ("REQUIRES_ACTION", None, PaymentStatus.PENDING),
        ("SUCCEEDED", None, PaymentStatus.PAID),
        ("FAILED", None, PaymentStatus.FAILED),
        ("FAILED", "PAYMENT_METHOD_EXPIRED", PaymentStatus.EXPIRED),
        ("CANCELED", None, PaymentStatus.CANCELLED),
        ("VOIDED", None, PaymentStatus.CANCELLED),
    ],
)
def test_payment_request_statuses_are_normalized(
    xendit_status: str, failure: str | None, ours: PaymentStatus
) -> None:
    fake = FakeXendit(CLOCK)
    xendit = partner(fake.handle)
    created = xendit.create_payment(order(PaymentMethod.QRIS))
    fake.requests[created.partner_transaction_id] |= {
        "status": xendit_status,
        "failure_code": failure,
    }
    assert xendit.status("ORD-1").status is ours


def test_an_unknown_status_is_not_read_as_paid() -> None:
    with pytest.raises(NotificationRejected) as rejected:
        partner(answering(500, {})).parse_notification(TOKEN, callback(invoice("COMPLETED")))
    assert rejected.value.reason == "malformed"


def test_qris_refunds_are_reported_with_what_is_left() -> None:
    fake = FakeXendit(CLOCK)
    xendit = partner(fake.handle)
    fake.pay(xendit.create_payment(order(PaymentMethod.QRIS)).partner_transaction_id)
    first = xendit.refund(RefundRequest("ORD-1", "part-1", 100_000))
    again = xendit.refund(RefundRequest("ORD-1", "part-1", 100_000))
    rest = xendit.refund(RefundRequest("ORD-1", "rest"))
    assert first == again
    assert (first.status, rest.amount, rest.status) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        250_000,
        PaymentStatus.REFUNDED,
    )
    events = [xendit.parse_notification(d.headers, d.body) for d in fake.take()]
    refunds = [(e.status, e.refunded_amount) for e in events if e.refunded_amount]
    assert refunds == [
        (PaymentStatus.PARTIALLY_REFUNDED, 100_000),
        (PaymentStatus.REFUNDED, 350_000),
    ]
    assert all(e.order_id == "ORD-1" for e in events)


def test_a_refund_callback_not_made_by_the_adapter_is_rejected() -> None:
    body = callback(
        {
            "event": "refund.succeeded",
            "created": "2024-03-27T09:00:00Z",
            "data": {
                "id": "rfd-1",
                "payment_request_id": "pr-1",
                "amount": 1000,
                "status": "SUCCEEDED",
                "metadata": None,
                "created": "2024-03-27T09:00:00Z",
                "updated": "2024-03-27T09:00:00Z",
            },
        }
    )
    with pytest.raises(NotificationRejected) as rejected:
        partner(answering(500, {})).parse_notification(TOKEN, body)
    assert rejected.value.reason == "malformed"


def test_every_open_invoice_under_an_order_id_is_expired() -> None:
    """Two creates racing made two invoices under one external_id (Xendit lets it repeat):
    ending the order's payment expires both, so neither can be paid."""
    fake = FakeXendit(CLOCK)
    xendit = partner(fake.handle)
    body = {"external_id": "ORD-1", "amount": 350_000, "payment_methods": ["OVO"]}
    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as direct:
        for _ in range(2):
            made = direct.post(f"{URL}/v2/invoices", json=body, auth=(SECRET_KEY, ""))
            assert made.status_code == 200, made.text
    ended = xendit.cancel("ORD-1")
    assert ended.status is PaymentStatus.EXPIRED
    assert [i["status"] for i in fake.invoices.values()] == ["EXPIRED", "EXPIRED"]

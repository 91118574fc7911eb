"""The Midtrans adapter over an injected transport: every httpx error is mapped at the edge, the
in-body `status_code` of a Core API answer is read as the real outcome, only idempotent calls are
retried, and notifications are verified before they are believed."""

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from keranjang.infra.clock import FixedClock
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
    VirtualAccount,
)
from keranjang.payments import midtrans_wire as wire
from keranjang.payments.http_client import TIMEOUT
from keranjang.payments.midtrans import MidtransPartner, charge_body

KEY = "SB-Mid-server-key"
NOW = datetime(2024, 3, 27, 9, 0, tzinfo=UTC)
STATUS = {
    "status_code": "200",
    "status_message": "Success, transaction is found",
    "order_id": "ORD-1",
    "transaction_id": "tx-1",
    "transaction_status": "settlement",
    "gross_amount": "350000.00",
    "transaction_time": "2024-03-27 16:00:00",
    "settlement_time": "2024-03-27 16:05:00",
    "fraud_status": "accept",
    "payment_type": "qris",
}
CHARGED = {
    "status_code": "201",
    "status_message": "Success, Bank Transfer transaction is created",
    "transaction_id": "tx-1",
    "order_id": "ORD-1",
    "gross_amount": "350000.00",
    "currency": "IDR",
    "payment_type": "bank_transfer",
    "transaction_time": "2024-03-27 16:00:00",
    "transaction_status": "pending",
    "fraud_status": "accept",
    "va_numbers": [{"bank": "bni", "va_number": "9880069475028047"}],
    "expiry_time": "2024-03-28 16:00:00",
}
REFUNDED = {
    "status_code": "200",
    "status_message": "Success, refund request is approved",
    "order_id": "ORD-1",
    "transaction_status": "partial_refund",
    "refund_chargeback_id": 1,
    "refund_amount": "1000.00",
    "refund_key": "r-1",
}
Handler = Callable[[httpx.Request], httpx.Response]


def partner(handler: Handler, sleeps: list[float] | None = None) -> MidtransPartner:
    record = sleeps if sleeps is not None else []
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return MidtransPartner(KEY, client=client, sleep=record.append, clock=FixedClock(NOW))


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, seen


def new_payment(
    method: PaymentMethod = PaymentMethod.VIRTUAL_ACCOUNT, **fields: object
) -> NewPayment:
    values: dict[str, object] = {
        "order_id": "ORD-1",
        "gross_amount": 350_000,
        "method": method,
        "description": "Kemeja Batik Tulis",
    } | fields
    return NewPayment(**values)  # type: ignore[arg-type]


def every_request_error() -> list[type[httpx.RequestError]]:
    found, todo = [], [httpx.RequestError]
    while todo:
        kind = todo.pop()
        todo.extend(kind.__subclasses__())
        found.append(kind)
    return found


# the edge ------------------------------------------------------------------------------------
@pytest.mark.parametrize("error", every_request_error(), ids=lambda e: e.__name__)
def test_no_httpx_error_slips_through(error: type[httpx.RequestError]) -> None:
    handler, _ = answers(error("boom", request=httpx.Request("GET", "https://x.test")))
    p = partner(handler)
    calls: list[Callable[[], object]] = [
        lambda: p.create_payment(new_payment()),
        lambda: p.create_payment(new_payment(PaymentMethod.EWALLET)),
        lambda: p.status("ORD-1"),
        lambda: p.refund(RefundRequest("ORD-1", "r-1")),
    ]
    for call in calls:
        with pytest.raises(PartnerUnavailable) as raised:
            call()
        assert isinstance(raised.value.__cause__, httpx.HTTPError)


def test_status_lookups_are_retried_through_short_outages() -> None:
    in_body_500 = httpx.Response(200, json={"status_code": "500", "status_message": "oops"})
    handler, seen = answers(
        in_body_500, httpx.ConnectError("refused"), httpx.Response(200, json=STATUS)
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


@pytest.mark.parametrize("method", list(PaymentMethod))
def test_creating_a_payment_is_never_retried(method: PaymentMethod) -> None:
    for failure in (httpx.Response(503), httpx.ReadTimeout("slow")):
        handler, seen = answers(failure)
        with pytest.raises(PartnerUnavailable):
            partner(handler).create_payment(new_payment(method))
        assert len(seen) == 1


def test_refunds_carry_their_key_so_they_are_retried_safely() -> None:
    handler, seen = answers(httpx.ConnectError("refused"), httpx.Response(200, json=REFUNDED))
    result = partner(handler).refund(RefundRequest("ORD-1", "r-1", 1_000, "rusak"))
    assert (result.amount, result.status, result.partner_refund_id) == (
        1_000,
        PaymentStatus.PARTIALLY_REFUNDED,
        "1",
    )
    assert {r.url.path for r in seen} == {"/v2/ORD-1/refund"}
    assert [json.loads(r.content) for r in seen] == [
        {"refund_key": "r-1", "reason": "rusak", "amount": 1_000}
    ] * 2


# Midtrans' status codes, in the HTTP status or in the body --------------------------------
@pytest.mark.parametrize("http", [200, 400])
@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("401", PartnerRefused),
        ("404", UnknownPayment),
        ("406", DuplicateOrder),
        ("412", PartnerRefused),
        ("400", PartnerRefused),
        ("500", PartnerUnavailable),
        ("503", PartnerUnavailable),
    ],
)
def test_a_status_code_in_the_body_is_the_real_outcome(
    http: int, code: str, error: type[PaymentError]
) -> None:
    body = {"status_code": code, "status_message": "said Midtrans"}
    handler, _ = answers(httpx.Response(http, json=body))
    with pytest.raises(error, match="said Midtrans") as raised:
        partner(handler).create_payment(new_payment())
    if isinstance(raised.value, PartnerRefused):
        assert raised.value.status == int(code)


def test_validation_messages_say_what_to_fix() -> None:
    body = {
        "status_code": "400",
        "status_message": "One or more parameters in the payload is invalid.",
        "validation_messages": ["transaction_details.gross_amount must be greater than 0"],
    }
    handler, _ = answers(httpx.Response(200, json=body))
    with pytest.raises(PartnerRefused, match="gross_amount") as raised:
        partner(handler).create_payment(new_payment(gross_amount=0))
    assert raised.value.status == 400


def test_an_expired_transaction_is_a_status_not_an_error() -> None:
    expired = STATUS | {"status_code": "407", "transaction_status": "expire"}
    handler, _ = answers(httpx.Response(200, json=expired))
    assert partner(handler).status("ORD-1").status is PaymentStatus.EXPIRED


def test_an_unknown_order_is_unknown_payment() -> None:
    body = {"status_code": "404", "status_message": "Transaction doesn't exist."}
    handler, seen = answers(httpx.Response(404, json=body))
    with pytest.raises(UnknownPayment, match="doesn't exist"):
        partner(handler).status("ORD-1")
    assert len(seen) == 1


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"order_id": "ORD-1"}),
        httpx.Response(200, json=STATUS | {"gross_amount": "lots"}),
        httpx.Response(200, json=STATUS | {"transaction_status": "teleported"}),
        httpx.Response(302, headers={"location": "/login"}),
        httpx.Response(429, json={"status_code": "429", "status_message": "slow down"}),
    ],
)
def test_an_unreadable_answer_is_partner_unavailable(response: httpx.Response) -> None:
    handler, _ = answers(response)
    with pytest.raises(PartnerUnavailable):
        partner(handler).status("ORD-1")


# what is sent --------------------------------------------------------------------------------
def test_requests_carry_the_server_key_as_basic_user_and_a_quoted_order_id() -> None:
    handler, seen = answers(httpx.Response(200, json=STATUS))
    partner(handler).status("ORD/1?x")
    (request,) = seen
    assert str(request.url).startswith("https://api.sandbox.midtrans.com/")
    assert request.url.raw_path == b"/v2/ORD%2F1%3Fx/status"
    assert (
        request.headers["authorization"] == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    )


def test_production_and_sandbox_have_their_own_hosts_and_explicit_timeouts() -> None:
    production = MidtransPartner(KEY, sandbox=False)
    assert (production.api_url, production.snap_url) == (
        "https://api.midtrans.com",
        "https://app.midtrans.com",
    )
    assert MidtransPartner(KEY).snap_url == "https://app.sandbox.midtrans.com"
    assert production.client.timeout == TIMEOUT
    with pytest.raises(ValueError, match="server key"):
        MidtransPartner("")


def test_a_virtual_account_charge_asks_for_the_bank_and_the_expiry() -> None:
    assert charge_body(new_payment(expires_in=timedelta(seconds=90))) == {
        "payment_type": "bank_transfer",
        "transaction_details": {"order_id": "ORD-1", "gross_amount": 350_000},
        "item_details": [{"name": "Kemeja Batik Tulis", "price": 350_000, "quantity": 1}],
        "bank_transfer": {"bank": "bca"},
        "custom_expiry": {"expiry_duration": 2, "unit": "minute"},
    }
    assert charge_body(new_payment(va_bank="bni"))["bank_transfer"] == {"bank": "bni"}
    qris = charge_body(new_payment(PaymentMethod.QRIS))
    assert (qris["payment_type"], qris["qris"]) == ("qris", {"acquirer": "gopay"})


# what comes back -----------------------------------------------------------------------------
def test_a_virtual_account_charge_gives_the_number_and_its_expiry() -> None:
    handler, seen = answers(httpx.Response(200, json=CHARGED))
    created = partner(handler).create_payment(new_payment(va_bank="bni"))
    assert seen[0].url == "https://api.sandbox.midtrans.com/v2/charge"
    assert created.virtual_account == VirtualAccount("bni", "9880069475028047")
    assert created.status is PaymentStatus.PENDING
    assert created.expires_at == datetime(2024, 3, 28, 9, 0, tzinfo=UTC)


def test_a_permata_charge_gives_its_own_number_field() -> None:
    permata = {k: v for k, v in CHARGED.items() if k != "va_numbers"} | {
        "permata_va_number": "8778000002332015"
    }
    handler, _ = answers(httpx.Response(200, json=permata))
    created = partner(handler).create_payment(new_payment(va_bank="permata"))
    assert created.virtual_account == VirtualAccount("permata", "8778000002332015")


def test_a_qris_charge_gives_the_qr_string() -> None:
    qris = {k: v for k, v in CHARGED.items() if k != "va_numbers"} | {
        "payment_type": "qris",
        "qr_string": "00020101021226...6304ABCD",
        "actions": [{"name": "generate-qr-code", "method": "GET", "url": "https://x.test/qr"}],
    }
    handler, _ = answers(httpx.Response(200, json=qris))
    created = partner(handler).create_payment(new_payment(PaymentMethod.QRIS))
    assert created.qris == "00020101021226...6304ABCD"
    assert created.virtual_account is None


def test_an_ewallet_payment_is_a_snap_page_to_redirect_to() -> None:
    page = "https://app.sandbox.midtrans.com/snap/v4/redirection/tok-1"
    handler, seen = answers(httpx.Response(201, json={"token": "tok-1", "redirect_url": page}))
    created = partner(handler).create_payment(
        new_payment(
            PaymentMethod.EWALLET,
            expires_in=timedelta(minutes=30),
            finish_redirect_url="https://shop.test/done",
        )
    )
    assert (created.redirect_url, created.partner_transaction_id) == (page, "tok-1")
    assert created.status is PaymentStatus.PENDING
    assert created.expires_at == NOW + timedelta(minutes=30)
    (request,) = seen
    assert request.url == "https://app.sandbox.midtrans.com/snap/v1/transactions"
    sent = json.loads(request.content)
    assert sent["expiry"] == {
        "start_time": "2024-03-27 16:00:00 +0700",
        "unit": "minute",
        "duration": 30,
    }
    assert sent["enabled_payments"] == ["gopay", "shopeepay"]
    assert sent["callbacks"] == {"finish": "https://shop.test/done"}


@pytest.mark.parametrize(
    "message",
    [
        "transaction_details.order_id has already been taken",
        "transaction_details.order_id sudah digunakan",
    ],
)
def test_a_taken_order_id_on_snap_is_a_duplicate_order(message: str) -> None:
    handler, _ = answers(httpx.Response(400, json={"error_messages": [message]}))
    with pytest.raises(DuplicateOrder, match="order_id"):
        partner(handler).create_payment(new_payment(PaymentMethod.EWALLET))


def test_snap_refusals_keep_their_error_messages() -> None:
    denied = {"error_messages": ["Access denied due to unauthorized transaction"]}
    handler, _ = answers(httpx.Response(401, json=denied))
    with pytest.raises(PartnerRefused, match="Access denied") as raised:
        partner(handler).create_payment(new_payment(PaymentMethod.EWALLET))
    assert raised.value.status == 401
    handler, _ = answers(httpx.Response(201, json={"token": "tok-1"}))
    with pytest.raises(PartnerUnavailable):
        partner(handler).create_payment(new_payment(PaymentMethod.EWALLET))


# notifications -------------------------------------------------------------------------------
def signed(**fields: str) -> bytes:
    body = STATUS | fields
    body["signature_key"] = wire.signature(
        body["order_id"], body["status_code"], body["gross_amount"], KEY
    )
    return json.dumps(body).encode()


def quiet() -> MidtransPartner:
    return partner(answers(httpx.Response(500))[0])


def test_a_signed_settlement_becomes_a_paid_event() -> None:
    event = quiet().parse_notification({}, signed())
    assert (event.status, event.gross_amount, event.method) == (
        PaymentStatus.PAID,
        350_000,
        PaymentMethod.QRIS,
    )
    assert event.occurred_at.isoformat() == "2024-03-27T09:05:00+00:00"


def test_a_capture_is_paid_only_when_fraud_detection_accepts_it() -> None:
    p = quiet()
    accepted = p.parse_notification({}, signed(transaction_status="capture"))
    challenged = p.parse_notification(
        {}, signed(transaction_status="capture", status_code="201", fraud_status="challenge")
    )
    assert accepted.is_paid
    assert not challenged.is_paid
    assert challenged.status is PaymentStatus.PENDING


def test_the_signature_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = wire.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(wire.hmac, "compare_digest", spy)
    quiet().parse_notification({}, signed())
    assert len(compared) == 1


def test_a_hex_signature_in_capitals_or_padded_still_follows_the_documented_rule() -> None:
    body = json.loads(signed())
    body["signature_key"] = f"  {body['signature_key'].upper()}\n"
    assert quiet().parse_notification({}, json.dumps(body).encode()).is_paid
    body["signature_key"] = body["signature_key"].strip()[:-1] + "0"
    with pytest.raises(NotificationRejected) as rejected:
        quiet().parse_notification({}, json.dumps(body).encode())
    assert rejected.value.reason == "bad_signature"


def test_a_status_that_does_not_match_its_signed_code_is_rejected() -> None:
    relabelled = json.loads(signed(transaction_status="pending", status_code="201"))
    relabelled["transaction_status"] = "settlement"
    with pytest.raises(NotificationRejected, match="does not match") as rejected:
        quiet().parse_notification({}, json.dumps(relabelled).encode())
    assert rejected.value.reason == "bad_signature"


def test_a_refund_notification_carries_the_refunded_total_and_when() -> None:
    refunds = [{"refund_amount": "1000.00", "created_at": "2024-03-27 17:00:00"}]
    body = signed(transaction_status="partial_refund", refund_amount="1000.00")
    with_refunds = json.loads(body) | {"refunds": refunds}
    event = quiet().parse_notification({}, json.dumps(with_refunds).encode())
    assert (event.status, event.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 1_000)
    assert event.occurred_at == datetime(2024, 3, 27, 10, 0, tzinfo=UTC)


def test_notifications_that_cannot_be_read_after_verifying_are_malformed() -> None:
    p = quiet()
    with pytest.raises(NotificationRejected) as rejected:
        p.parse_notification({}, signed(gross_amount="350000.50"))
    assert rejected.value.reason == "malformed"
    with pytest.raises(NotificationRejected, match="too large"):
        p.parse_notification({}, b" " * 70_000)

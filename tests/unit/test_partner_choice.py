"""`partner_from_settings`: the configured partner is the one that is called, with its own keys and
hosts and the given clock; a missing key is a clear error naming it, before any payment."""

import base64
import json
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from keranjang.infra.clock import FixedClock
from keranjang.payments import (
    NewPayment,
    PartnerChoice,
    PartnerUnavailable,
    PaymentMethod,
    UnknownPayment,
    partner_from_settings,
)
from keranjang.payments.http_client import TIMEOUT
from keranjang.payments.midtrans_wire import signature

CLOCK = FixedClock(datetime(2024, 3, 27, 9, 0, tzinfo=UTC))
SNAP_PAGE = "https://app.sandbox.midtrans.com/snap/v4/redirection/tok-1"


class Recorder(httpx.MockTransport):
    """A transport that records what is sent and answers with `answer(request)`."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.sent: list[httpx.Request] = []
        self.answer = answer
        super().__init__(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return self.answer(request)


def basic(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:".encode()).decode()


def ewallet(expires_in: timedelta | None = None) -> NewPayment:
    return NewPayment("ORD-1", 350_000, PaymentMethod.EWALLET, "Kemeja", expires_in=expires_in)


def test_the_simulator_is_called_at_its_url_with_its_server_key() -> None:
    transport = Recorder(lambda _: httpx.Response(503))
    choice = PartnerChoice("simulator", "http://payments.test:8003/", "sim-key")
    partner = partner_from_settings(choice, CLOCK, transport=transport)
    with pytest.raises(PartnerUnavailable, match="503"):
        partner.status("ORD-1")
    assert partner.name == "simulator"
    assert transport.sent[0].url == "http://payments.test:8003/v2/ORD-1/status"
    assert transport.sent[0].headers["authorization"] == basic("sim-key")


@pytest.mark.parametrize(
    ("production", "host"), [(False, "app.sandbox.midtrans.com"), (True, "app.midtrans.com")]
)
def test_midtrans_is_called_in_its_sandbox_unless_told_production(
    production: bool, host: str
) -> None:
    snap = {"token": "tok-1", "redirect_url": SNAP_PAGE}
    transport = Recorder(lambda _: httpx.Response(201, json=snap))
    choice = PartnerChoice(
        "midtrans", midtrans_server_key="SB-Mid-server-key", midtrans_production=production
    )
    partner = partner_from_settings(choice, CLOCK, transport=transport)
    created = partner.create_payment(ewallet(timedelta(minutes=30)))
    assert partner.name == "midtrans"
    (request,) = transport.sent
    assert request.url.host == host
    assert request.headers["authorization"] == basic("SB-Mid-server-key")
    assert created.expires_at == CLOCK.now() + timedelta(minutes=30)  # the clock it was given


def test_xendit_is_called_with_its_secret_key_and_believes_its_callback_token() -> None:
    transport = Recorder(
        lambda r: httpx.Response(200, json=[] if "invoices" in r.url.path else {"data": []})
    )
    choice = PartnerChoice(
        "xendit", xendit_secret_key="xnd_development_key", xendit_callback_token="cb-token"
    )
    partner = partner_from_settings(choice, CLOCK, transport=transport)
    with pytest.raises(UnknownPayment, match="no payment for order ORD-1"):
        partner.status("ORD-1")
    assert partner.name == "xendit"
    assert transport.sent[0].url.host == "api.xendit.co"
    assert transport.sent[0].headers["authorization"] == basic("xnd_development_key")
    paid = {
        "id": "inv-1",
        "external_id": "ORD-1",
        "status": "PAID",
        "amount": 350_000,
        "paid_at": "2024-03-27T09:05:00Z",
        "updated": "2024-03-27T09:05:00Z",
    }
    body = json.dumps(paid).encode()
    assert partner.parse_notification({"x-callback-token": "cb-token"}, body).is_paid


def test_the_simulators_notifications_are_verified_with_its_server_key() -> None:
    partner = partner_from_settings(PartnerChoice("simulator", simulator_server_key="k"), CLOCK)
    body = {
        "order_id": "ORD-1",
        "transaction_id": "tx-1",
        "transaction_status": "settlement",
        "status_code": "200",
        "gross_amount": "350000.00",
        "transaction_time": "2024-03-27 16:00:00",
    }
    body["signature_key"] = signature("ORD-1", "200", "350000.00", "k")
    assert partner.parse_notification({}, json.dumps(body).encode()).is_paid


@pytest.mark.parametrize("kind", ["simulator", "midtrans", "xendit"])
def test_every_partner_has_explicit_timeouts(kind: str) -> None:
    keys = {
        "simulator_server_key": "k",
        "midtrans_server_key": "k",
        "xendit_secret_key": "k",
        "xendit_callback_token": "t",
    }
    partner = partner_from_settings(PartnerChoice(kind, **keys), CLOCK)  # type: ignore[arg-type]
    assert partner.client.timeout == TIMEOUT  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("choice", "needed"),
    [
        (PartnerChoice("simulator"), "simulator_server_key"),
        (PartnerChoice("simulator", simulator_server_key=""), "simulator_server_key"),
        (PartnerChoice("midtrans"), "midtrans_server_key"),
        (PartnerChoice("midtrans", midtrans_server_key="  "), "midtrans_server_key"),
        (PartnerChoice("xendit", xendit_callback_token="t"), "xendit_secret_key"),
        (PartnerChoice("xendit", xendit_secret_key="s"), "xendit_callback_token"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.kind,
)
def test_a_missing_key_is_a_clear_error_naming_it(choice: PartnerChoice, needed: str) -> None:
    with pytest.raises(ValueError, match=f"^{needed} is needed to pay through"):
        partner_from_settings(choice, CLOCK)


def test_keys_of_another_partner_are_not_enough() -> None:
    choice = PartnerChoice("xendit", midtrans_server_key="k", simulator_server_key="k")
    with pytest.raises(ValueError, match="xendit_secret_key"):
        partner_from_settings(choice, CLOCK)


def test_an_unknown_partner_is_refused_naming_the_choices() -> None:
    choice = PartnerChoice("stripe", simulator_server_key="k")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="simulator, midtrans, xendit"):
        partner_from_settings(choice, CLOCK)


def test_a_bad_simulator_url_is_refused() -> None:
    choice = PartnerChoice("simulator", "payments.test", "k")
    with pytest.raises(ValueError, match="http"):
        partner_from_settings(choice, CLOCK)


def test_a_choice_cannot_be_changed_once_made() -> None:
    choice = PartnerChoice("simulator", simulator_server_key="k")
    with pytest.raises(FrozenInstanceError):
        choice.kind = "xendit"  # type: ignore[misc]

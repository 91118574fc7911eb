"""Midtrans' per-request `X-Override-Notification`, as the simulator honours it: the payment's
notifications go to the URLs its charge named instead of the configured one, even with none
configured; a charge naming more than three, or something not an http(s) URL, is refused."""

import random
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from keranjang.infra.clock import FixedClock
from keranjang.payments.simulator.app import create_app
from keranjang.payments.simulator.config import PaymentsSettings
from tests.integration.payment_partners import PAYMENTS_URL, SERVER_KEY

CONFIGURED = "http://commerce.test/payments/notifications"
OWN = "http://social.test/legacy/payments/notifications"


def charge(client: TestClient, order_id: str, override: str | None) -> httpx.Response:
    body = {
        "payment_type": "bank_transfer",
        "transaction_details": {"order_id": order_id, "gross_amount": 50_000},
    }
    headers = {} if override is None else {"X-Override-Notification": override}
    return client.post("/v2/charge", json=body, auth=(SERVER_KEY, ""), headers=headers)


def simulator(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path, url: str | None
) -> tuple[TestClient, list[str]]:
    reached: list[str] = []

    def receive(request: httpx.Request) -> httpx.Response:
        reached.append(str(request.url))
        return httpx.Response(200)

    settings = PaymentsSettings(
        data_dir=tmp_path,
        database_url=database_url("payments"),
        server_key=SERVER_KEY,
        notification_url=url,
        public_url=PAYMENTS_URL,
        dispatch_every_seconds=0,
        expire_every_seconds=0,
    )
    notify = httpx.Client(transport=httpx.MockTransport(receive))
    app = create_app(settings, clock=clock, notify_client=notify, rng=random.Random(1))
    return TestClient(app, base_url=PAYMENTS_URL), reached


def test_a_charge_naming_its_notification_url_is_notified_there_alone(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> None:
    client, reached = simulator(database_url, clock, tmp_path, CONFIGURED)
    with client:
        assert charge(client, "ORD-OWN-1", OWN).status_code == 201
        assert charge(client, "ORD-DEFAULT-1", None).status_code == 201
        client.app.state.service.dispatch_due()  # type: ignore[attr-defined]
        assert sorted(reached) == [CONFIGURED, OWN]
        assert charge(client, "ORD-BAD-1", "ftp://social.test/x").status_code == 422
        four = ",".join([OWN] * 4)
        assert charge(client, "ORD-BAD-2", four).status_code == 422
    client.app.state.engine.dispose()  # type: ignore[attr-defined]


def test_without_a_configured_url_only_named_ones_are_notified(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> None:
    client, reached = simulator(database_url, clock, tmp_path, None)
    with client:
        assert charge(client, "ORD-OWN-2", OWN).status_code == 201
        assert charge(client, "ORD-WAITS-2", None).status_code == 201
        client.app.state.service.dispatch_due()  # type: ignore[attr-defined]
        assert reached == [OWN]
    client.app.state.engine.dispose()  # type: ignore[attr-defined]

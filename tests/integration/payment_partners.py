"""Harnesses for the payment-partner contract suite: each wraps one adapter with the partner it
talks to, and does what the suite cannot do through the contract itself (pay as a buyer, collect
the notifications the partner sent, forge some, take the partner down).

A Midtrans or Xendit adapter joins the suite by adding a harness here (against the partner's
sandbox, or a recorded exchange) and a name to `PARTNERS` in the suite.
"""

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from keranjang.infra.clock import FixedClock
from keranjang.payments import CreatedPayment, PaymentEvent, PaymentPartner
from keranjang.payments.midtrans_wire import signature
from keranjang.payments.simulator.app import create_app
from keranjang.payments.simulator.config import PaymentsSettings
from keranjang.payments.simulator.service import SimulatorService
from keranjang.payments.simulator_partner import SimulatorPartner

SERVER_KEY = "SB-Mid-server-test-key"
OPERATOR = "payments-operator-token"
PAYMENTS_URL = "http://payments.test"
NOTIFY_URL = "http://commerce.test/payments/notifications"
HTML = {"accept": "text/html"}


@dataclass(frozen=True)
class Delivered:
    """One notification as the shop received it: headers and the raw body."""

    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.body)
        return parsed


class PartnerHarness(Protocol):
    partner: PaymentPartner

    def pay(self, created: CreatedPayment) -> None: ...

    def attempt_pay(self, created: CreatedPayment) -> bool:
        """The buyer tries to pay: whether the partner took the money."""
        ...

    def delivered(self) -> list[Delivered]: ...

    def forgeries(self, delivered: list[Delivered]) -> dict[str, bytes]:
        return midtrans_format_forgeries(delivered)

    def unreachable(self) -> PaymentPartner:
        return self.adapter(refusing_client())

    def failing(self, status: int) -> PaymentPartner:
        return self.adapter(failing_client(status))

    def with_wrong_credentials(self) -> PaymentPartner: ...


@dataclass
class Shop:
    """The shop's notification endpoint: records what arrives, answers `status`."""

    status: int = 200
    inbox: list[Delivered] = field(default_factory=list)

    def receive(self, request: httpx.Request) -> httpx.Response:
        self.inbox.append(Delivered(dict(request.headers), request.content))
        return httpx.Response(self.status)

    def take(self) -> list[Delivered]:
        taken, self.inbox = self.inbox, []
        return taken


class SimulatorHarness:
    """The payment simulator in-process (its own database), its adapter over a TestClient."""

    def __init__(self, app: FastAPI, client: TestClient, shop: Shop) -> None:
        self.app = app
        self.client = client
        self.shop = shop
        self.partner = self.adapter(client)

    @property
    def service(self) -> SimulatorService:
        svc: SimulatorService = self.app.state.service
        return svc

    def adapter(self, client: httpx.Client, key: str = SERVER_KEY) -> SimulatorPartner:
        return SimulatorPartner(PAYMENTS_URL, key, client, sleep=lambda _: None)

    def pay(self, created: CreatedPayment, method: str | None = None) -> httpx.Response:
        """As a buyer: open the pay page, choose a method (the one asked for), press Bayar."""
        assert created.redirect_url is not None
        page = self.client.get(created.redirect_url, headers=HTML)
        assert page.status_code == 200, page.text
        assert "Bayar" in page.text
        chosen = method or {"virtual_account": "bank_transfer", "ewallet": "gopay"}.get(
            created.method.value, created.method.value
        )
        return self.client.post(
            f"/pay/{created.partner_transaction_id}",
            data={"method": chosen},
            headers=HTML,
            follow_redirects=False,
        )

    def attempt_pay(self, created: CreatedPayment) -> bool:
        """As a buyer, press Bayar (the pay page's form, as posted): whether it was taken."""
        paid = self.client.post(
            f"/pay/{created.partner_transaction_id}",
            data={"method": "bank_transfer"},
            headers=HTML,
            follow_redirects=False,
        )
        return paid.status_code == 303

    def delivered(self) -> list[Delivered]:
        """Run the dispatcher once and take what reached the shop."""
        self.service.dispatch_due()
        return self.shop.take()

    def forgeries(self, delivered: list[Delivered]) -> dict[str, bytes]:
        pending = next(d.json() for d in delivered if d.json()["transaction_status"] == "pending")
        paid = next(d.json() for d in delivered if d.json()["transaction_status"] == "settlement")
        resigned = signature(
            str(paid["order_id"]), "200", str(paid["gross_amount"]), "not-the-server-key"
        )
        return {
            "amount raised": encode(paid | {"gross_amount": "3500000.00"}),
            "amount cut": encode(paid | {"gross_amount": "1.00"}),
            "another order": encode(paid | {"order_id": "ORDER-OF-THE-FORGER"}),
            "signed with another key": encode(paid | {"signature_key": resigned}),
            "pending relabelled as settlement": encode(
                pending | {"transaction_status": "settlement"}
            ),
            "signature left out": encode({k: v for k, v in paid.items() if k != "signature_key"}),
        }

    def unreachable(self) -> PaymentPartner:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        return self.adapter(httpx.Client(transport=httpx.MockTransport(refuse)))

    def failing(self, status: int) -> PaymentPartner:
        def fail(request: httpx.Request) -> httpx.Response:
            return httpx.Response(status, text="upstream trouble")

        return self.adapter(httpx.Client(transport=httpx.MockTransport(fail)))

    def with_wrong_credentials(self) -> PaymentPartner:
        return self.adapter(self.client, key="not-the-server-key")

    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {OPERATOR}"}

    def set_faults(self, **switches: object) -> None:
        r = self.client.put("/admin/faults", json=switches, headers=self.operator())
        assert r.status_code == 200, r.text


def midtrans_format_forgeries(delivered: list[Delivered]) -> dict[str, bytes]:
    """Forgeries of Midtrans-format notifications, made from genuine ones (a pending and a
    settlement): each must be rejected by a signature check."""
    pending = next(d.json() for d in delivered if d.json()["transaction_status"] == "pending")
    paid = next(d.json() for d in delivered if d.json()["transaction_status"] == "settlement")
    resigned = signature(str(paid["order_id"]), "200", str(paid["gross_amount"]), "not-the-key")
    return {
        "amount raised": encode(paid | {"gross_amount": "3500000.00"}),
        "amount cut": encode(paid | {"gross_amount": "1.00"}),
        "another order": encode(paid | {"order_id": "ORDER-OF-THE-FORGER"}),
        "signed with another key": encode(paid | {"signature_key": resigned}),
        "pending relabelled as settlement": encode(pending | {"transaction_status": "settlement"}),
        "signature left out": encode({k: v for k, v in paid.items() if k != "signature_key"}),
    }


def refusing_client() -> httpx.Client:
    """A client whose every connection is refused: the partner is unreachable."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.Client(transport=httpx.MockTransport(refuse))


def failing_client(status: int) -> httpx.Client:
    """A client the partner answers only `status` (a 5xx: its own trouble)."""
    return httpx.Client(
        transport=httpx.MockTransport(lambda _: httpx.Response(status, text="upstream trouble"))
    )


def encode(payload: dict[str, object]) -> bytes:
    return json.dumps(payload).encode()


def simulator_harness(
    database_url: Callable[[str], str], clock: FixedClock, folder: Path, **settings: object
) -> Iterator[SimulatorHarness]:
    shop = Shop()
    config = {
        "data_dir": folder,
        "database_url": database_url("payments"),
        "server_key": SERVER_KEY,
        "admin_token": OPERATOR,
        "notification_url": NOTIFY_URL,
        "public_url": PAYMENTS_URL,
        "dispatch_every_seconds": 0,
        "expire_every_seconds": 0,
    } | settings
    app = create_app(
        PaymentsSettings(**config),  # type: ignore[arg-type]
        clock=clock,
        notify_client=httpx.Client(transport=httpx.MockTransport(shop.receive)),
        rng=random.Random(2024),
    )
    with TestClient(app, base_url=PAYMENTS_URL) as client:
        yield SimulatorHarness(app, client, shop)
    app.state.engine.dispose()


def events(partner: PaymentPartner, delivered: list[Delivered]) -> list[PaymentEvent]:
    return [partner.parse_notification(d.headers, d.body) for d in delivered]

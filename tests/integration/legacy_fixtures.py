"""The old combined app in-process: social (with its legacy in-app shop) and commerce from the
shared `system` fixture, and the payment simulator on its own database, which sends the news of
social's payments to social (they name social's URL in X-Override-Notification) and everything
else to commerce's configured URL."""

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from keranjang.infra.clock import FixedClock
from keranjang.payments.simulator.app import create_app as simulator_app
from keranjang.payments.simulator.config import PaymentsSettings
from keranjang.social.legacy_shop import partner as shop_partner
from keranjang.social.legacy_shop.service import LegacyShop
from tests.integration.conftest import HTML, OPERATOR, SOCIAL_URL, System, bearer
from tests.integration.payment_partners import (
    NOTIFY_URL,
    PAYMENTS_URL,
    SERVER_KEY,
    Delivered,
    Shop,
    SimulatorHarness,
)
from tests.integration.payment_partners import (
    OPERATOR as PAYMENTS_OPERATOR,
)

SOCIAL_NOTIFY_URL = f"{SOCIAL_URL}/legacy/payments/notifications"
ADDRESS = {
    "recipient": "Siti Aminah",
    "phone": "+6281234567890",
    "street": "Jl. Merdeka 17",
    "city": "Bandung",
    "postal_code": "40111",
}


@dataclass
class SocialInbox:
    """What the simulator delivered to social's notification URL, and social's answers."""

    delivered: list[Delivered] = field(default_factory=list)
    answers: list[httpx.Response] = field(default_factory=list)


@dataclass
class Legacy:
    system: System
    sim: SimulatorHarness
    inbox: SocialInbox

    @property
    def social(self) -> TestClient:
        return self.system.social

    @property
    def engine(self) -> Engine:
        return self.system.social_engine

    @property
    def shop(self) -> LegacyShop:
        shop: LegacyShop = self.social.app.state.legacy_shop  # type: ignore[attr-defined]
        return shop

    def seller(self, slug: str = "toko-rina", **fields: Any) -> dict[str, Any]:
        body = {"slug": slug, "name": slug.replace("-", " ").title(), "city": "Bandung"} | fields
        r = self.social.post("/legacy/api/sellers", json=body, headers=self.system.operator())
        assert r.status_code == 201, r.text
        return r.json()

    def product(self, seller: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"title": "Sambal Roa", "price_idr": 45_000, "stock": 10} | fields
        r = self.social.post("/legacy/api/seller/products", json=body, headers=bearer(seller))
        assert r.status_code == 201, r.text
        return r.json()

    def viewer(self, email: str = "siti@example.com") -> dict[str, Any]:
        r = self.social.post(
            "/api/viewers",
            json={"email": email, "name": "Siti", "password": "rahasia-sekali"},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def put_in_cart(self, viewer: dict[str, Any], product: dict[str, Any], quantity: int) -> None:
        r = self.social.put(
            f"/legacy/api/cart/items/{product['id']}",
            json={"quantity": quantity},
            headers=bearer(viewer),
        )
        assert r.status_code == 200, r.text

    def checkout(
        self, viewer: dict[str, Any], key: str | None = None, **body: Any
    ) -> httpx.Response:
        payload = {"shipping_address": ADDRESS, "payment_method": "virtual_account"} | body
        headers = bearer(viewer) | {"Idempotency-Key": key or uuid.uuid4().hex}
        return self.social.post("/legacy/api/checkout", json=payload, headers=headers)

    def buy(
        self, viewer: dict[str, Any], product: dict[str, Any], quantity: int = 1
    ) -> dict[str, Any]:
        """Cart and checkout: the one order, with its payment."""
        self.put_in_cart(viewer, product, quantity)
        r = self.checkout(viewer)
        assert r.status_code == 201, r.text
        (order,) = r.json()["orders"]
        return dict(order)

    def pay(self, order: dict[str, Any]) -> None:
        """As a buyer on the simulator's pay page; then its news goes out."""
        path = urlsplit(order["payment"]["redirect_url"]).path
        r = self.sim.client.post(
            path, data={"method": "bank_transfer"}, headers=HTML, follow_redirects=False
        )
        assert r.status_code in (200, 303), r.text
        self.deliver()

    def deliver(self) -> list[httpx.Response]:
        """Run the simulator's dispatcher once; social's answers to what it received."""
        before = len(self.inbox.answers)
        self.sim.service.dispatch_due()
        return self.inbox.answers[before:]

    def order(self, viewer: dict[str, Any], order_id: int) -> dict[str, Any]:
        r = self.social.get(f"/legacy/api/orders/{order_id}", headers=bearer(viewer))
        assert r.status_code == 200, r.text
        return dict(r.json())

    def balance(self, seller: dict[str, Any]) -> dict[str, Any]:
        r = self.social.get("/legacy/api/seller/balance", headers=bearer(seller))
        assert r.status_code == 200, r.text
        return dict(r.json())


def _router(social: TestClient, commerce_shop: Shop, inbox: SocialInbox) -> Callable[..., Any]:
    def route(request: httpx.Request) -> httpx.Response:
        if str(request.url) != SOCIAL_NOTIFY_URL:
            return commerce_shop.receive(request)
        inbox.delivered.append(Delivered(dict(request.headers), request.content))
        answer = social.post(
            "/legacy/payments/notifications",
            content=request.content,
            headers={"content-type": "application/json"},
        )
        inbox.answers.append(answer)
        return httpx.Response(answer.status_code, content=answer.content)

    return route


@pytest.fixture(name="legacy")
def legacy_fixture(
    system: System, database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> Iterator[Legacy]:
    """The system with the payment simulator wired as social's legacy shop's partner."""
    shop, inbox = Shop(), SocialInbox()
    settings = PaymentsSettings(
        data_dir=tmp_path / "payments",
        database_url=database_url("payments"),
        server_key=SERVER_KEY,
        admin_token=PAYMENTS_OPERATOR,
        notification_url=NOTIFY_URL,
        public_url=PAYMENTS_URL,
        dispatch_every_seconds=0,
        expire_every_seconds=0,
    )
    notify = httpx.Client(transport=httpx.MockTransport(_router(system.social, shop, inbox)))
    app = simulator_app(settings, clock=clock, notify_client=notify, rng=random.Random(2024))
    with TestClient(app, base_url=PAYMENTS_URL) as client:
        harness = SimulatorHarness(app, client, shop)
        # Social's adapter gets a client of its own: its override header is social's alone.
        own = TestClient(app, base_url=PAYMENTS_URL)
        adapter = shop_partner.simulator(PAYMENTS_URL, SERVER_KEY, SOCIAL_NOTIFY_URL, own)
        state = system.social.app.state  # type: ignore[attr-defined]
        state.legacy_shop.paying.partner = adapter
        yield Legacy(system, harness, inbox)
    app.state.engine.dispose()


__all__ = ["ADDRESS", "OPERATOR", "Legacy", "legacy_fixture"]

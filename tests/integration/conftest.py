"""Social and commerce, each on its own fresh database, wired in-process the way they are deployed:
social reads commerce's catalog over HTTP, commerce verifies social's published keys."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from keranjang.commerce.app import create_app as commerce_app
from keranjang.commerce.attribution.issuer_keys import IssuerKeys
from keranjang.commerce.config import CommerceSettings
from keranjang.handoff import SigningKey
from keranjang.infra.clock import FixedClock
from keranjang.social.app import create_app as social_app
from keranjang.social.catalog import HttpCatalog
from keranjang.social.config import SocialSettings
from keranjang.social.creators.figures import HttpFigures

if TYPE_CHECKING:
    from tests.integration.payment_partners import SimulatorHarness

OPERATOR = "operator-test-token"
FIGURES = "figures-test-token"  # social's service token for creators' figures on commerce
COMMERCE_URL = "http://commerce.test"
SOCIAL_URL = "http://social.test"
HTML = {"accept": "text/html"}


@dataclass
class System:
    social: TestClient
    commerce: TestClient
    clock: FixedClock
    key: SigningKey
    social_engine: Engine
    commerce_engine: Engine

    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {OPERATOR}"}

    def creator_figures(self, creator_id: int) -> dict[str, Any]:
        """A creator's aggregate figures as social reads them: with its figures token."""
        r = self.commerce.get(
            f"/attribution/creators/{creator_id}", headers={"Authorization": f"Bearer {FIGURES}"}
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def merchant(self, slug: str = "batik-sekar", name: str = "Batik Sekar") -> dict[str, Any]:
        r = self.commerce.post(
            "/api/merchants",
            json={"slug": slug, "name": name, "city": "Solo"},
            headers=self.operator(),
        )
        assert r.status_code == 201, r.text
        return r.json()

    def product(self, merchant: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {
            "title": "Kemeja Batik Tulis",
            "price_idr": 350_000,
            "stock": 5,
            "category": "Fashion",
        }
        r = self.commerce.post(
            "/api/products",
            json=body | fields,
            headers={"Authorization": f"Bearer {merchant['token']}"},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def creator(self, handle: str = "rina.masak", permitted: bool = True) -> dict[str, Any]:
        r = self.social.post(
            "/api/creators", json={"handle": handle, "display_name": handle.title()}
        )
        assert r.status_code == 201, r.text
        creator = r.json()
        if permitted:
            r = self.social.put(
                f"/api/creators/{creator['id']}/ecommerce-permission",
                json={"permitted": True},
                headers=self.operator(),
            )
            assert r.status_code == 200, r.text
        return creator

    def content(
        self, creator: dict[str, Any], kind: str = "video", **fields: Any
    ) -> dict[str, Any]:
        body = {"kind": kind, "title": "Review jujur kemeja batik"} | fields
        r = self.social.post("/api/content", json=body, headers=bearer(creator))
        assert r.status_code == 201, r.text
        return r.json()

    def pin(
        self, creator: dict[str, Any], content: dict[str, Any], product: dict[str, Any]
    ) -> dict[str, Any]:
        r = self.social.post(
            f"/api/content/{content['id']}/pins",
            json={"product_id": product["id"]},
            headers=bearer(creator),
        )
        assert r.status_code == 201, r.text
        return r.json()

    def pinned_product(self, campaign: str | None = None) -> dict[str, Any]:
        """A merchant's product pinned on a creator's video; returns the pin."""
        merchant = self.merchant()
        product = self.product(merchant)
        creator = self.creator()
        content = self.content(creator, campaign=campaign)
        return self.pin(creator, content, product)

    def click_cart(self, pin_id: int) -> str:
        """The yellow cart: returns the hand-off path on commerce that the viewer is sent to."""
        r = self.social.get(f"/cart/{pin_id}", follow_redirects=False)
        assert r.status_code == 302, r.text
        location = r.headers["location"]
        assert location.startswith(f"{COMMERCE_URL}/handoff?token=")
        return location.removeprefix(COMMERCE_URL)


def bearer(who: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {who['token']}"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 3, 27, 9, 0, tzinfo=UTC))


@pytest.fixture
def system(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> Iterator[System]:
    key = SigningKey.generate()
    commerce_settings = CommerceSettings(
        data_dir=tmp_path,
        database_url=database_url("commerce"),
        admin_token=OPERATOR,
        figures_token=FIGURES,
        public_url=COMMERCE_URL,
        social_url=SOCIAL_URL,
    )
    social_settings = SocialSettings(
        data_dir=tmp_path,
        database_url=database_url("social"),
        admin_token=OPERATOR,
        figures_token=FIGURES,
        public_url=SOCIAL_URL,
        commerce_url=COMMERCE_URL,
    )
    holder: dict[str, TestClient] = {}

    # Commerce fetches social's JWKS over HTTP; social reads commerce's catalog over HTTP.
    class LazySocial:
        def get(self, url: str) -> Any:
            return holder["social"].get(url.removeprefix(SOCIAL_URL))

    c_app = commerce_app(
        commerce_settings,
        clock=clock,
        keys=IssuerKeys(f"{SOCIAL_URL}/.well-known/jwks.json", LazySocial(), min_refresh_seconds=0),  # type: ignore[arg-type]
    )
    commerce = TestClient(c_app, base_url=COMMERCE_URL)
    s_app = social_app(
        social_settings,
        clock=clock,
        catalog=HttpCatalog(COMMERCE_URL, commerce),
        signing_key=key,
        figures=HttpFigures(COMMERCE_URL, FIGURES, commerce),
    )
    social = TestClient(s_app, base_url=SOCIAL_URL)
    holder["social"] = social
    with social, commerce:
        yield System(social, commerce, clock, key, s_app.state.engine, c_app.state.engine)
    s_app.state.engine.dispose()
    c_app.state.engine.dispose()


@pytest.fixture
def sim(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> Iterator["SimulatorHarness"]:
    """The payment simulator alone, in-process on its own database."""
    from tests.integration.payment_partners import simulator_harness

    yield from simulator_harness(database_url, clock, tmp_path)


@pytest.fixture
def partner(
    system: System, database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> Iterator["SimulatorHarness"]:
    """The payment simulator, in-process on its own database, as commerce's payment partner."""
    from tests.integration.payment_partners import simulator_harness

    for harness in simulator_harness(database_url, clock, tmp_path / "payments"):
        state = system.commerce.app.state.commerce  # type: ignore[attr-defined]
        state.paying.partner = state.refunds.partner = harness.partner
        state.reconciliation.partner = state.payment_ends.partner = harness.partner
        yield harness


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app on a real socket (uvicorn in a thread), for as long as the block runs."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)

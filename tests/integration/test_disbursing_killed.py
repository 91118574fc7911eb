"""Commerce SIGKILLed in the middle of sending a payout batch (a real `keranjang serve commerce`
process paying out through the Iris replica on a real socket), then started again on the same
database: every payee is paid exactly once, whatever was in flight, and after duplicated,
reordered and forged callbacks the ledger balances with nothing left in transit."""

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.money.transit import in_transit
from keranjang.infra.clock import SystemClock
from keranjang.infra.database import make_engine
from tests.integration.commerce_kills import (
    WAIT_TIMEOUT,
    CommerceProcess,
    HoldingRelay,
    eventually,
)
from tests.integration.conftest import OPERATOR, free_port, serving
from tests.integration.partner_disbursements import IRIS_MERCHANT_KEY, Replica

PAYABLES = {"batik-sekar": 610_000, "kopi-gayo": 1_250_000, "tenun-sumba": 75_000}


def replica_app(replica: Replica) -> FastAPI:
    """The Iris replica on a real socket: every request handed to it as httpx would send it."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def relay(request: Request, path: str) -> Response:
        forwarded = httpx.Request(
            request.method, str(request.url), headers=request.headers, content=await request.body()
        )
        answer = replica.handle(forwarded)
        return Response(answer.content, answer.status_code, media_type="application/json")

    return app


@dataclass
class Payday:
    commerce: CommerceProcess
    engine: Engine
    relay: HoldingRelay
    replica: Replica
    http: httpx.Client

    def api(self, method: str, path: str, status: int, **kw: Any) -> Any:
        r = self.http.request(method, self.commerce.url + path, **kw)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def admin(self, path: str, status: int = 200) -> Any:
        return self.api("POST", path, status, headers={"Authorization": f"Bearer {OPERATOR}"})

    def merchant_owed(self, slug: str, amount: int, n: int) -> int:
        """A merchant with a bank account and `amount` payable (an opening balance)."""
        merchant = self.api(
            "POST",
            "/api/merchants",
            201,
            json={"slug": slug, "name": slug.title(), "city": "Solo"},
            headers={"Authorization": f"Bearer {OPERATOR}"},
        )
        account = {
            "bank_code": "BCA",
            "account_number": f"77700{n:05d}",
            "holder_name": "Siti Rahayu",
        }
        self.api(
            "PUT",
            "/api/seller/payout-account",
            200,
            json=account,
            headers={"Authorization": f"Bearer {merchant['token']}"},
        )
        entry = ledger.opening_balance(int(merchant["id"]), "payable", amount)
        assert entry is not None
        with Session(self.engine) as s, s.begin():
            money_db.post(s, entry, SystemClock().now())
        return int(merchant["id"])

    def send_and_die(self) -> None:
        """Ask commerce to send the batch; it is killed before it answers."""
        with contextlib.suppress(httpx.HTTPError):
            self.http.post(
                self.commerce.url + "/api/admin/payouts/send",
                headers={"Authorization": f"Bearer {OPERATOR}"},
            )

    def callback(self, headers: dict[str, str], body: bytes) -> httpx.Response:
        return self.http.post(
            self.commerce.url + "/payments/disbursements/callback", content=body, headers=headers
        )

    def balances(self) -> dict[str, int]:
        with Session(self.engine) as s:
            debits, credits = money_db.totals(s)
            assert debits == credits
            return money_db.balances(s)


@pytest.fixture
def payday(database_url: Any, tmp_path: Path) -> Iterator[Payday]:
    replica = Replica("iris")
    port = free_port()
    commerce_db = database_url("commerce")
    with serving(replica_app(replica)) as iris_url:
        relay = HoldingRelay(int(iris_url.rsplit(":", 1)[1]))
        env = os.environ | {
            "KERANJANG_DATA_DIR": str(tmp_path / "commerce"),
            "KERANJANG_COMMERCE_DATABASE_URL": commerce_db,
            "KERANJANG_COMMERCE_ADMIN_TOKEN": OPERATOR,
            "KERANJANG_COMMERCE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "KERANJANG_COMMERCE_PAYMENTS_SERVER_KEY": "unused-simulator-key",
            "KERANJANG_COMMERCE_DISBURSEMENT_PARTNER": "midtrans",
            "KERANJANG_COMMERCE_IRIS_CREATOR_KEY": "iris-creator",
            "KERANJANG_COMMERCE_IRIS_MERCHANT_KEY": IRIS_MERCHANT_KEY,
            "KERANJANG_COMMERCE_IRIS_URL": relay.url + "/iris",
            # Only what the test does happens: no background job runs.
            "KERANJANG_COMMERCE_HOLD_RELEASE_SECONDS": "0",
            "KERANJANG_COMMERCE_SETTLE_EVERY_SECONDS": "0",
            "KERANJANG_COMMERCE_RECONCILE_EVERY_SECONDS": "0",
            "KERANJANG_COMMERCE_DISBURSE_EVERY_SECONDS": "0",
        }
        commerce = CommerceProcess(env, port, tmp_path / "commerce.log")
        engine = make_engine(commerce_db)
        commerce.start()
        world = Payday(commerce, engine, relay, replica, httpx.Client(timeout=WAIT_TIMEOUT))
        try:
            yield world
        finally:
            world.http.close()
            commerce.stop()
            relay.close()
            engine.dispose()


def test_commerce_killed_mid_batch_pays_every_payee_exactly_once(payday: Payday) -> None:
    merchants = {
        payday.merchant_owed(slug, amount, n): amount
        for n, (slug, amount) in enumerate(PAYABLES.items())
    }
    batch = payday.admin("/api/admin/payouts", 201)
    assert sorted(p["amount_idr"] for p in batch["payouts"]) == sorted(PAYABLES.values())

    # The first send reaches the relay and waits there; commerce is killed before its answer.
    payday.relay.hold()
    sending = threading.Thread(target=payday.send_and_die, daemon=True)
    sending.start()
    eventually(payday.relay.holding.is_set, "the first payout to reach the partner")
    payday.commerce.kill()
    payday.relay.release()  # the partner takes the payout commerce never hears of
    eventually(lambda: len(payday.replica.by_key) == 1, "the partner to take the first payout")

    payday.commerce.start()
    sent = payday.admin("/api/admin/payouts/send")
    assert sorted(d["status"] for d in sent) == ["sent"] * 3
    assert len(payday.replica.by_key) == 3  # the first was sent again under its key: one payout

    callbacks = [payday.replica.finish(key) for key in payday.replica.by_key]
    headers, body = callbacks[0]
    assert payday.callback({"iris-signature": "0" * 128}, body).status_code == 400  # forged
    for headers, body in reversed(callbacks + callbacks):  # duplicated and reordered
        r = payday.callback(headers, body)
        assert (r.status_code, r.json()) == (200, {"outcome": "completed"})
    assert payday.admin("/api/admin/payouts/send") == []  # nothing due, nothing in transit

    b = payday.balances()
    for merchant_id in merchants:
        payable = ledger.merchant_payable(merchant_id)
        assert b.get(payable, 0) == 0 and b.get(in_transit(payable), 0) == 0
    assert b[ledger.partner_clearing("midtrans")] == -sum(PAYABLES.values())
    amounts = sorted(int(float(d["amount"])) for d in payday.replica.by_key.values())
    assert amounts == sorted(PAYABLES.values())  # each payee paid once, its whole balance

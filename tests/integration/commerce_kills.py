"""What the tests that kill commerce in the middle of checkouts share: a real `keranjang serve
commerce` process, killed with SIGKILL and started again on the same database, and the payment
simulator in this process on a real socket, behind a relay that can hold what commerce sends it:
that is how a test kills commerce at a known point, while its call to the partner is in flight,
and then lets the partner create the payment commerce never hears of."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from keranjang.commerce.money import db as money_db
from keranjang.infra.database import make_engine
from keranjang.payments.simulator.app import create_app as simulator_app
from keranjang.payments.simulator.config import PaymentsSettings
from tests.integration.conftest import OPERATOR, free_port, serving
from tests.integration.test_checkout import ADDRESS

SERVER_KEY = "kill-test-server-key"
STARTUP_TIMEOUT = 60.0
WAIT_TIMEOUT = 30.0
SHIPPING_IDR = 15_000


class HoldingRelay:
    """A TCP relay to the partner. While held, what commerce sends waits in the relay; released,
    it goes on to the partner (whether or not commerce is still alive to hear the answer)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._open = threading.Event()
        self._open.set()
        self.holding = threading.Event()  # something arrived while held
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        self.holding.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._open.set()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, gated: bool) -> None:
        try:
            while data := source.recv(65536):
                if gated and not self._open.is_set():
                    self.holding.set()
                    self._open.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):  # half-close: an answer on its way back goes on
                sink.shutdown(socket.SHUT_WR)


@dataclass
class CommerceProcess:
    """`python -m keranjang serve commerce` on a fixed port, its output kept in a file."""

    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "keranjang", "serve", "commerce", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert self.process.poll() is None, f"commerce exited: {self.log.read_text()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"commerce did not start: {self.log.read_text()}"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, no flush runs in commerce."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT_TIMEOUT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=WAIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Killable:
    commerce: CommerceProcess
    engine: Engine  # commerce's database, read by the test
    partner_url: str  # the simulator, not through the relay
    relay: HoldingRelay
    partner: Any  # the simulator's service
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=WAIT_TIMEOUT))

    def api(self, method: str, path: str, status: int, **kw: Any) -> Any:
        r = self.http.request(method, self.commerce.url + path, **kw)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def product(self, slug: str, price_idr: int, stock: int) -> int:
        merchant = self.api(
            "POST",
            "/api/merchants",
            201,
            json={"slug": slug, "name": slug.title(), "city": "Solo"},
            headers={"Authorization": f"Bearer {OPERATOR}"},
        )
        product = self.api(
            "POST",
            "/api/products",
            201,
            json={"title": f"Barang {slug}", "price_idr": price_idr, "stock": stock}
            | {"category": "Fashion"},
            headers={"Authorization": f"Bearer {merchant['token']}"},
        )
        return int(product["id"])

    def buyer(self, n: int, cart: dict[int, int]) -> dict[str, str]:
        token = self.api(
            "POST",
            "/api/buyers",
            201,
            json={"email": f"b{n}@example.com", "name": f"Buyer {n}", "password": "rahasia-sekali"},
        )["token"]
        auth = {"Authorization": f"Bearer {token}"}
        for product_id, quantity in cart.items():
            self.api(
                "PUT",
                f"/api/cart/items/{product_id}",
                200,
                json={"quantity": quantity},
                headers=auth,
            )
        return auth

    def checkout(self, auth: dict[str, str], key: str) -> httpx.Response:
        return self.http.post(
            f"{self.commerce.url}/api/checkout",
            json={"shipping_address": ADDRESS, "payment_method": "virtual_account"},
            headers=auth | {"Idempotency-Key": key},
        )

    def partner_status(self, partner_id: str) -> dict[str, Any]:
        r = self.http.get(f"{self.partner_url}/v2/{partner_id}/status", auth=(SERVER_KEY, ""))
        assert r.status_code == 200, f"the partner has no payment {partner_id}: {r.text}"
        return dict(r.json())

    def checkout_payments(self) -> dict[int, tuple[str, int]]:
        """Orders paid through one payment for their checkout: its number and whole amount."""
        joined, share = money_db.CheckoutPaymentRow, money_db.CheckoutPaymentOrderRow
        query = select(share.order_id, joined.number, joined.total_idr).join(
            joined, joined.id == share.checkout_payment_id
        )
        with self.engine.connect() as c:
            return {int(o): (str(n), int(t)) for o, n, t in c.execute(query)}

    def count(self, table: Any) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(select(func.count()).select_from(table)) or 0)


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(name="killable")
def killable_fixture(database_url: Callable[[str], str], tmp_path: Path) -> Iterator[Killable]:
    port = free_port()
    commerce_url = f"http://127.0.0.1:{port}"
    payments = simulator_app(
        PaymentsSettings(
            data_dir=tmp_path / "payments",
            database_url=database_url("payments"),
            server_key=SERVER_KEY,
            admin_token=OPERATOR,
            notification_url=f"{commerce_url}/payments/notifications",
            # Notifications go out when a test sends them (`Killable.notify`).
            dispatch_every_seconds=0,
            expire_every_seconds=0,
        )
    )
    commerce_db = database_url("commerce")
    with serving(payments) as partner_url:
        relay = HoldingRelay(int(partner_url.rsplit(":", 1)[1]))
        env = os.environ | {
            "KERANJANG_DATA_DIR": str(tmp_path / "commerce"),
            "KERANJANG_COMMERCE_DATABASE_URL": commerce_db,
            "KERANJANG_COMMERCE_ADMIN_TOKEN": OPERATOR,
            "KERANJANG_COMMERCE_PUBLIC_URL": commerce_url,
            "KERANJANG_COMMERCE_PAYMENTS_URL": relay.url,
            "KERANJANG_COMMERCE_PAYMENTS_SERVER_KEY": SERVER_KEY,
            "KERANJANG_COMMERCE_SHIPPING_IDR": str(SHIPPING_IDR),
            # Only what the test does happens: no background job runs.
            "KERANJANG_COMMERCE_HOLD_RELEASE_SECONDS": "0",
            "KERANJANG_COMMERCE_SETTLE_EVERY_SECONDS": "0",
            "KERANJANG_COMMERCE_RECONCILE_EVERY_SECONDS": "0",
        }
        commerce = CommerceProcess(env, port, tmp_path / "commerce.log")
        engine = make_engine(commerce_db)
        commerce.start()
        world = Killable(commerce, engine, partner_url, relay, payments.state.service)
        try:
            yield world
        finally:
            world.http.close()
            commerce.stop()
            relay.close()
            engine.dispose()
            payments.state.engine.dispose()


def gross_idr(status: dict[str, Any]) -> int:
    """A Midtrans-format gross amount ("215000.00") in whole rupiah."""
    whole, _, cents = str(status["gross_amount"]).partition(".")
    assert cents.strip("0") == ""
    return int(whole)

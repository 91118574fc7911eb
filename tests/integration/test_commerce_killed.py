"""Commerce killed in the middle of checkouts (SIGKILL to a real `keranjang serve commerce`
process) and started again on the same database.

What a buyer and the books must see afterwards: nothing half-written (an order is there with all
its lines, holds and its idempotency key, or not at all), no unit sold twice or lost, a retry with
the same Idempotency-Key gets the checkout it started (never a second one), and every order ends
with exactly one payment that the partner holds for the order's total.

The payment simulator runs in this process on a real socket, behind a relay that can hold what
commerce sends it: that is how a test kills commerce at a known point, while its call to the
partner is in flight, and then lets the partner create the payment commerce never hears of.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.payment_news import partner_order_id
from keranjang.commerce.orders import db as order_db
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


@pytest.fixture
def killable(database_url: Callable[[str], str], tmp_path: Path) -> Iterator[Killable]:
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


def test_commerce_killed_while_the_partner_creates_the_payment(killable: Killable) -> None:
    """Killed after the orders committed, while the partner call was in flight; the partner then
    creates that payment although commerce never hears of it. The buyer's retry gets the same
    order, paid for through a new attempt at the partner, and paying it marks the order paid."""
    product = killable.product("batik-sekar", 100_000, stock=10)
    auth = killable.buyer(1, {product: 2})
    key = uuid.uuid4().hex

    killable.relay.hold()
    failures: list[BaseException] = []

    def first_try() -> None:
        try:
            killable.checkout(auth, key)
        except httpx.TransportError as exc:
            failures.append(exc)

    trying = threading.Thread(target=first_try)
    trying.start()
    assert killable.relay.holding.wait(WAIT_TIMEOUT), "commerce never called the partner"
    assert killable.count(order_db.OrderRow) == 1  # the orders commit before the partner is called
    killable.commerce.kill()
    trying.join(WAIT_TIMEOUT)
    assert len(failures) == 1, "the buyer's first try must have lost its connection"

    with killable.engine.connect() as c:
        number = c.scalar(select(order_db.OrderRow.number))
    assert number is not None
    killable.relay.release()  # the partner now creates the payment nobody will store
    eventually(lambda: _partner_has(killable, number), "the partner to create the orphan payment")
    assert killable.count(money_db.PaymentRow) == 0

    killable.commerce.start()
    retry = killable.checkout(auth, key)
    assert retry.status_code == 201, retry.text
    [order] = retry.json()["orders"]
    assert order["number"] == number
    assert order["total_idr"] == 2 * 100_000 + SHIPPING_IDR
    payment = order["payment"]
    assert payment is not None, order
    assert payment["amount_idr"] == order["total_idr"]

    with killable.engine.connect() as c:
        stored = c.execute(
            select(money_db.PaymentRow.attempt, money_db.PaymentRow.amount_idr)
        ).all()
        stock = c.scalar(select(ProductRow.stock).where(ProductRow.id == product))
    assert stored == [(2, order["total_idr"])]  # the first attempt's id is the orphan's
    assert stock == 8
    assert _amount(killable.partner_status(partner_order_id(number, 2))) == order["total_idr"]
    assert killable.partner_status(number)["transaction_status"] == "pending"  # the orphan

    paid = killable.http.post(
        f"{killable.partner_url}/pay/{payment['partner_transaction_id']}",
        data={"method": "bank_transfer"},
    )
    assert paid.status_code == 303, paid.text
    assert killable.partner.dispatch_due().failed == 0  # commerce takes every notification
    assert killable.api("GET", f"/api/orders/{order['id']}", 200, headers=auth)["status"] == "paid"

    expired = killable.http.post(  # the orphan ends at the partner later: that changes nothing
        f"{killable.partner_url}/admin/transactions/{number}/expire",
        headers={"Authorization": f"Bearer {OPERATOR}"},
    )
    assert expired.status_code == 200, expired.text
    assert killable.partner.dispatch_due().sent == 1
    assert killable.api("GET", f"/api/orders/{order['id']}", 200, headers=auth)["status"] == "paid"
    with killable.engine.connect() as c:
        assert c.execute(select(money_db.PaymentRow.attempt, money_db.PaymentRow.status)).all() == [
            (2, "paid")
        ]
    again = killable.checkout(auth, key)  # and a third try with the key still answers the same
    assert again.status_code == 201
    assert [o["id"] for o in again.json()["orders"]] == [order["id"]]
    assert killable.count(money_db.PaymentRow) == 1


def _amount(status: dict[str, Any]) -> int:
    """A Midtrans-format gross amount ("215000.00") in whole rupiah."""
    whole, _, cents = str(status["gross_amount"]).partition(".")
    assert cents.strip("0") == ""
    return int(whole)


def _partner_has(killable: Killable, partner_id: str) -> bool:
    r = killable.http.get(f"{killable.partner_url}/v2/{partner_id}/status", auth=(SERVER_KEY, ""))
    return r.status_code == 200


MERCHANTS = 3
BUYERS = 16
STOCK = 40


@pytest.mark.parametrize("kill_after_orders", [1, 16])
def test_commerce_killed_under_load_loses_and_doubles_nothing(
    killable: Killable, kill_after_orders: int
) -> None:
    """Sixteen buyers across three shops. The first eight check out at once and are answered;
    the other eight check out at once while the partner holds what commerce sends it, and
    commerce is killed once the first of their orders is in (some may still be being placed),
    or once all sixteen are (every partner call in flight; the partner makes those payments
    after commerce died). Started again, every buyer retries with the same key. Each then has
    exactly one checkout's orders (the first eight the very ones they were answered), the stock
    adds up, carts are empty and each order has one payment at the partner."""
    products = [killable.product(f"toko-{m}", 10_000 * (m + 1), STOCK) for m in range(MERCHANTS)]
    price = {p: 10_000 * (m + 1) for m, p in enumerate(products)}
    carts = [
        {p: 1 + (n + m) % 2 for m, p in enumerate(products) if (n + m) % 3 != 0}
        for n in range(BUYERS)
    ]
    buyers = [killable.buyer(n, cart) for n, cart in enumerate(carts)]
    keys = [uuid.uuid4().hex for _ in buyers]
    first: dict[int, httpx.Response] = {}

    def at_once(wave: range) -> list[threading.Thread]:
        start = threading.Barrier(len(wave))

        def first_try(n: int) -> None:
            start.wait()
            with contextlib.suppress(httpx.TransportError):  # killed before it answered
                first[n] = killable.checkout(buyers[n], keys[n])

        threads = [threading.Thread(target=first_try, args=(n,)) for n in wave]
        for thread in threads:
            thread.start()
        return threads

    answered, cut = range(BUYERS // 2), range(BUYERS // 2, BUYERS)
    for thread in at_once(answered):
        thread.join(WAIT_TIMEOUT)
    placed = killable.count(order_db.OrderRow)
    killable.relay.hold()
    threads = at_once(cut)
    eventually(
        lambda: killable.count(order_db.OrderRow) >= placed + kill_after_orders, "the orders"
    )
    killable.commerce.kill()
    for thread in threads:
        thread.join(WAIT_TIMEOUT)
    killable.relay.release()
    assert sorted(first) == list(answered)  # the first eight answered, none of the others
    assert all(r.status_code == 201 for r in first.values()), [r.text for r in first.values()]
    answered_before = {n: r.json() for n, r in first.items()}
    answers: dict[int, dict[str, Any]] = {}

    killable.commerce.start()
    for n, auth in enumerate(buyers):
        r = killable.checkout(auth, keys[n])
        assert r.status_code == 201, r.text
        answers[n] = r.json()

    for n, answer in answered_before.items():  # a retry gets the checkout it already had
        assert _ids(answers[n]) == _ids(answer)
    with killable.engine.connect() as c:
        orders = c.execute(
            select(order_db.OrderRow.id, order_db.OrderRow.buyer_id, order_db.OrderRow.total_idr)
        ).all()
        lines = c.execute(
            select(
                order_db.OrderLineRow.order_id,
                order_db.OrderLineRow.product_id,
                order_db.OrderLineRow.quantity,
            )
        ).all()
        holds = c.execute(
            select(order_db.StockHoldRow.product_id, order_db.StockHoldRow.quantity)
        ).all()
        stock = {p.id: p.stock for p in c.execute(select(ProductRow.id, ProductRow.stock))}
        payments = c.execute(
            select(
                money_db.PaymentRow.order_id,
                money_db.PaymentRow.attempt,
                money_db.PaymentRow.amount_idr,
            )
        ).all()
        carts_left = c.scalar(select(func.count()).select_from(buying_db.CartLineRow))
        keys_kept = c.scalar(select(func.count()).select_from(buying_db.IdempotencyKeyRow))

    answered_ids = sorted(i for a in answers.values() for i in _ids(a))
    assert sorted(o.id for o in orders) == answered_ids  # no order nobody was told of
    by_order: dict[int, dict[int, int]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, {})[line.product_id] = line.quantity
    for n, answer in answers.items():
        bought: dict[int, int] = {}
        for order in answer["orders"]:
            bought |= by_order[order["id"]]
            assert order["payment"] is not None, order
            assert order["payment"]["amount_idr"] == order["total_idr"]
        assert bought == carts[n], f"buyer {n} got {bought}, had {carts[n]} in the cart"
    sold: Counter[int] = Counter()
    for line in lines:
        sold[line.product_id] += line.quantity
    held: Counter[int] = Counter()
    for hold in holds:
        held[hold.product_id] += hold.quantity
    assert held == sold
    assert all(stock[p] + sold[p] == STOCK for p in products), (stock, sold)
    total = {o.id: o.total_idr for o in orders}
    for order_id, goods in by_order.items():
        assert total[order_id] == sum(price[p] * q for p, q in goods.items()) + SHIPPING_IDR
    assert sorted(p.order_id for p in payments) == answered_ids  # one payment per order
    assert all(p.amount_idr == total[p.order_id] for p in payments)
    numbers = {o["id"]: o["number"] for a in answers.values() for o in a["orders"]}
    together = killable.checkout_payments()  # a checkout across shops: one partner payment
    for p in payments:
        number, amount = together.get(p.order_id) or (
            partner_order_id(numbers[p.order_id], p.attempt),
            total[p.order_id],
        )
        assert _amount(killable.partner_status(number)) == amount
    assert carts_left == 0
    assert keys_kept == BUYERS


def _ids(answer: dict[str, Any]) -> list[int]:
    return sorted(int(o["id"]) for o in answer["orders"])

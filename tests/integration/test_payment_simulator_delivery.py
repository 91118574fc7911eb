"""How the payment simulator delivers: over a real HTTP connection to the shop (kept alive,
re-opened when the shop closes it), each round's outcomes recorded together, and a charge
refused for a taken order id leaving the outbox and the switches as they were."""

import http.server
import json
import socket
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from keranjang.infra.clock import FixedClock
from keranjang.payments import DuplicateOrder, NewPayment, PaymentMethod
from keranjang.payments.simulator.notifier import HttpNotifier, Undelivered
from tests.integration.payment_partners import SimulatorHarness


class ShopServer:
    """A shop's notification endpoint on a real socket: records each body and the connection it
    came on; answers `status`, and closes each connection after its answer when `close_after`."""

    def __init__(self) -> None:
        self.status = 200
        self.close_after = False
        self.received: list[tuple[int, dict[str, str], bytes]] = []
        self.connections = 0
        shop = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                shop.connections += 1
                self.connection_number = shop.connections

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                shop.received.append((self.connection_number, dict(self.headers), body))
                self.send_response(shop.status)
                self.send_header("content-length", "2")
                if shop.close_after:
                    self.send_header("connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/payments/notifications"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close_idle_connections(self) -> None:
        """As a server whose keep-alive timeout ran out: drop the open connections."""
        self.server.shutdown()
        self.server.server_close()
        port = self.server.server_port
        handler = self.server.RequestHandlerClass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shop() -> Iterator[ShopServer]:
    server = ShopServer()
    yield server
    server.stop()


def test_notifications_go_out_on_one_kept_alive_connection(shop: ShopServer) -> None:
    notifier = HttpNotifier(shop.url)
    for n in range(3):
        notifier.deliver(json.dumps({"n": n}))
    assert [json.loads(body)["n"] for _, _, body in shop.received] == [0, 1, 2]
    assert {connection for connection, _, _ in shop.received} == {1}
    headers = {k.lower(): v for k, v in shop.received[0][1].items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Keranjang-Payment-Simulator/1"


def test_a_connection_the_shop_closed_is_opened_again_and_nothing_is_sent_twice(
    shop: ShopServer,
) -> None:
    notifier = HttpNotifier(shop.url)
    notifier.deliver('{"n":0}')
    shop.close_idle_connections()
    notifier.deliver('{"n":1}')
    shop.close_after = True
    notifier.deliver('{"n":2}')
    notifier.deliver('{"n":3}')
    assert [json.loads(body)["n"] for _, _, body in shop.received] == [0, 1, 2, 3]


def test_a_refusal_and_an_unreachable_shop_are_undelivered(shop: ShopServer) -> None:
    shop.status = 503
    with pytest.raises(Undelivered, match=r"^the notification URL answered 503$"):
        HttpNotifier(shop.url).deliver("{}")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(Undelivered, match="Connection refused"):
        HttpNotifier(f"http://127.0.0.1:{port}/notifications").deliver("{}")
    with pytest.raises(Undelivered, match="unsupported protocol"):
        HttpNotifier("ftp://shop.test/notifications").deliver("{}")


# the dispatcher --------------------------------------------------------------------------------
def new_payment(order_id: str | None = None) -> NewPayment:
    order = order_id or f"ORD-{uuid.uuid4().hex[:10]}"
    return NewPayment(order, 350_000, PaymentMethod.VIRTUAL_ACCOUNT, "Kemeja Batik Tulis")


def test_one_round_records_each_notification_as_it_went(
    sim: SimulatorHarness, clock: FixedClock
) -> None:
    refused = {sim.partner.create_payment(new_payment()).order_id for _ in range(2)}
    accepted = {sim.partner.create_payment(new_payment()).order_id for _ in range(3)}

    def shop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500 if json.loads(request.content)["order_id"] in refused else 200)

    sim.service.notifier = HttpNotifier(
        "http://commerce.test/notify", httpx.Client(transport=httpx.MockTransport(shop))
    )
    report = sim.service.dispatch_due()
    assert (report.sent, report.failed) == (3, 2)
    outbox = {n.order_id: n for n in sim.service.outbox()}
    for order_id in accepted:
        assert (outbox[order_id].state, outbox[order_id].attempts) == ("sent", 1)
        assert outbox[order_id].sent_at == clock.now()
        assert outbox[order_id].last_error is None
    for order_id in refused:
        assert (outbox[order_id].state, outbox[order_id].attempts) == ("pending", 1)
        assert outbox[order_id].last_error == "the notification URL answered 500"
        assert outbox[order_id].due_at > clock.now()
    assert sim.service.dispatch_due().sent == 0  # the refused ones are not due yet


def test_a_taken_order_id_is_refused_and_queues_nothing(sim: SimulatorHarness) -> None:
    first = sim.partner.create_payment(new_payment())
    with pytest.raises(DuplicateOrder):
        sim.partner.create_payment(new_payment(first.order_id))
    assert len(sim.service.outbox(first.order_id)) == 1
    assert [d.json()["transaction_id"] for d in sim.delivered()] == [first.partner_transaction_id]


def test_a_refused_charge_does_not_use_up_a_dropped_notification(sim: SimulatorHarness) -> None:
    first = sim.partner.create_payment(new_payment())
    sim.delivered()
    sim.set_faults(drop_next=1)
    with pytest.raises(DuplicateOrder):
        sim.partner.create_payment(new_payment(first.order_id))
    assert sim.client.get("/admin/faults", headers=sim.operator()).json()["drop_next"] == 1
    dropped = sim.partner.create_payment(new_payment())
    assert [n.state for n in sim.service.outbox(dropped.order_id)] == ["dropped"]
    assert sim.client.get("/admin/faults", headers=sim.operator()).json()["drop_next"] == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_charges_leave_pooled_connections_as_they_found_them(sim: SimulatorHarness) -> None:
    """On PostgreSQL a charge is one statement on a connection in autocommit; the connections
    go back to the pool in transactions again, a refused charge's included."""
    first = sim.partner.create_payment(new_payment())
    with pytest.raises(DuplicateOrder):
        sim.partner.create_payment(new_payment(first.order_id))
    engine = sim.app.state.engine
    idle = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
    try:
        assert idle
        assert not any(c.driver_connection.autocommit for c in idle)
    finally:
        for c in idle:
            c.close()
    created = sim.partner.create_payment(new_payment())
    sim.pay(created)
    assert sim.partner.status(created.order_id).is_paid

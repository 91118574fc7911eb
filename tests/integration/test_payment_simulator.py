"""The payment simulator as a buyer and an operator see it: the pay page, cancelling, expiry,
notification delivery and retries, credentials, and its operations endpoints."""

import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from keranjang.infra.clock import FixedClock
from keranjang.payments import CreatedPayment, NewPayment, PaymentMethod, PaymentStatus
from keranjang.payments.simulator import db
from keranjang.payments.simulator.app import create_app
from keranjang.payments.simulator.config import PaymentsSettings
from tests.integration.payment_partners import (
    HTML,
    PAYMENTS_URL,
    SERVER_KEY,
    SimulatorHarness,
    events,
    simulator_harness,
)

SHOP = "http://commerce.test/orders/ORD-1/finished"


def create(
    sim: SimulatorHarness, method: PaymentMethod = PaymentMethod.VIRTUAL_ACCOUNT, **fields: object
) -> CreatedPayment:
    values: dict[str, object] = {
        "order_id": f"ORD-{uuid.uuid4().hex[:10]}",
        "gross_amount": 350_000,
        "method": method,
        "description": "Kemeja Batik Tulis",
    } | fields
    return sim.partner.create_payment(NewPayment(**values))  # type: ignore[arg-type]


def statuses(sim: SimulatorHarness) -> list[str]:
    return [str(d.json()["transaction_status"]) for d in sim.delivered()]


# the pay page --------------------------------------------------------------------------------
def test_the_pay_page_shows_the_amount_the_order_and_every_way_to_pay(
    sim: SimulatorHarness,
) -> None:
    created = create(sim, va_bank="bri")
    assert created.redirect_url is not None
    page = sim.client.get(created.redirect_url, headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "Rp350.000" in text
    assert created.order_id in text
    assert created.virtual_account is not None
    assert created.virtual_account.number in text
    assert "Virtual Account BRI" in text
    assert "QRIS" in text and 'data-testid="qris-string">000201' in text
    assert "GoPay" in text
    assert ">Bayar Rp350.000<" in text
    assert "Batalkan" in text
    picture = sim.client.get(f"/pay/{created.partner_transaction_id}/qris.svg")
    assert picture.headers["content-type"] == "image/svg+xml"
    assert picture.text.startswith("<svg")


def test_paying_sends_the_buyer_back_to_the_shop_with_the_outcome(sim: SimulatorHarness) -> None:
    created = create(sim, finish_redirect_url=SHOP)
    answer = sim.pay(created)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"{SHOP}?order_id={created.order_id}&status_code=200&transaction_status=settlement"
    )


def test_without_a_finish_url_the_page_shows_the_payment_done(sim: SimulatorHarness) -> None:
    created = create(sim, method=PaymentMethod.QRIS)
    answer = sim.pay(created)
    assert answer.headers["location"] == f"/pay/{created.partner_transaction_id}"
    page = sim.client.get(answer.headers["location"], headers=HTML)
    assert "Pembayaran berhasil" in page.text
    assert "Dibayar dengan QRIS" in page.text


def test_the_buyer_may_pay_another_way_than_the_shop_asked(sim: SimulatorHarness) -> None:
    created = create(sim, method=PaymentMethod.VIRTUAL_ACCOUNT)
    sim.pay(created, method="gopay")
    event = events(sim.partner, sim.delivered())[-1]
    assert event.is_paid
    assert event.method is PaymentMethod.EWALLET


def test_a_double_click_on_bayar_settles_once(sim: SimulatorHarness) -> None:
    created = create(sim)
    answers: list[int] = []

    def click() -> None:
        answers.append(sim.pay(created).status_code)

    clicks = [threading.Thread(target=click) for _ in range(4)]
    for c in clicks:
        c.start()
    for c in clicks:
        c.join()
    assert answers == [303] * 4
    assert statuses(sim) == ["pending", "settlement"]


def test_a_cancelled_payment_is_notified_and_cannot_be_paid(sim: SimulatorHarness) -> None:
    created = create(sim, finish_redirect_url=SHOP)
    answer = sim.client.post(
        f"/pay/{created.partner_transaction_id}/cancel", headers=HTML, follow_redirects=False
    )
    assert answer.status_code == 303
    assert "transaction_status=cancel" in answer.headers["location"]
    assert events(sim.partner, sim.delivered())[-1].status is PaymentStatus.CANCELLED
    refused = sim.pay(created)
    assert refused.status_code == 409
    assert "sudah selesai, dibatalkan, atau lewat waktu" in refused.text


def test_an_unknown_pay_page_is_a_clear_404(sim: SimulatorHarness) -> None:
    page = sim.client.get(f"/pay/{uuid.uuid4()}", headers=HTML)
    assert page.status_code == 404
    assert "Pembayaran tidak ditemukan" in page.text


def test_paying_without_choosing_a_method_changes_nothing(sim: SimulatorHarness) -> None:
    created = create(sim)
    answer = sim.client.post(f"/pay/{created.partner_transaction_id}", data={}, headers=HTML)
    assert answer.status_code == 422
    assert sim.partner.status(created.order_id).status is PaymentStatus.PENDING


def test_refusals_carry_a_code_to_act_on(sim: SimulatorHarness) -> None:
    unknown = sim.client.get("/v2/ORD-nobody/status", auth=(SERVER_KEY, ""))
    assert unknown.status_code == 404
    assert (unknown.json()["code"], unknown.json()["status_code"]) == ("not_found", "404")
    created = create(sim)
    assert sim.pay(created).status_code in (200, 303)
    late = sim.client.post(f"/v2/{created.order_id}/cancel", auth=(SERVER_KEY, ""))
    assert late.status_code == 412 and late.json()["code"] == "cannot_modify"
    assert sim.partner.status(created.order_id).status is PaymentStatus.PAID


# expiry --------------------------------------------------------------------------------------
def test_an_unpaid_payment_expires_and_is_notified(
    sim: SimulatorHarness, clock: FixedClock
) -> None:
    created = create(sim, method=PaymentMethod.QRIS)
    clock.advance(minutes=16)
    assert sim.service.expire_overdue() == 1
    last = sim.delivered()[-1]
    assert (last.json()["transaction_status"], last.json()["status_code"]) == ("expire", "407")
    assert events(sim.partner, [last])[0].status is PaymentStatus.EXPIRED
    page = sim.client.get(f"/pay/{created.partner_transaction_id}", headers=HTML)
    assert "Waktu pembayaran habis" in page.text
    assert sim.pay(created).status_code == 409


def test_a_status_lookup_past_the_expiry_finds_it_expired(
    sim: SimulatorHarness, clock: FixedClock
) -> None:
    created = create(sim, expires_in=timedelta(minutes=5))
    clock.advance(minutes=5)
    assert sim.partner.status(created.order_id).status is PaymentStatus.EXPIRED


def test_an_operator_can_expire_a_payment_now(sim: SimulatorHarness) -> None:
    created = create(sim)
    answer = sim.client.post(
        f"/admin/transactions/{created.order_id}/expire", headers=sim.operator()
    )
    assert answer.json()["transaction_status"] == "expire"


# delivery ------------------------------------------------------------------------------------
def test_notifications_are_posted_as_json(sim: SimulatorHarness) -> None:
    create(sim)
    (notice,) = sim.delivered()
    assert notice.headers["content-type"] == "application/json"
    assert {"order_id", "status_code", "gross_amount", "signature_key", "transaction_id"} <= set(
        notice.json()
    )
    assert notice.json()["gross_amount"] == "350000.00"
    assert notice.json()["fraud_status"] == "accept"


def test_a_shop_that_fails_gets_the_notification_again_later(
    sim: SimulatorHarness, clock: FixedClock
) -> None:
    created = create(sim)
    sim.shop.status = 500
    assert len(sim.delivered()) == 1  # tried once, refused
    sim.shop.status = 200
    assert sim.delivered() == []  # not due again yet
    clock.advance(seconds=1)
    assert statuses(sim) == ["pending"]
    (entry,) = sim.service.outbox(created.order_id)
    assert (entry.state, entry.attempts) == ("sent", 2)


def test_a_shop_that_keeps_failing_is_given_up_on(sim: SimulatorHarness, clock: FixedClock) -> None:
    created = create(sim)
    sim.shop.status = 503
    for _ in range(6):
        sim.delivered()
        clock.advance(minutes=15)
    (entry,) = sim.service.outbox(created.order_id)
    assert (entry.state, entry.attempts) == ("failed", 6)
    assert entry.last_error == "the notification URL answered 503"


def test_the_dispatcher_sends_in_the_background(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> None:
    for sim in simulator_harness(database_url, clock, tmp_path, dispatch_every_seconds=0.05):
        create(sim)
        deadline = time.monotonic() + 10
        while not sim.shop.inbox and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [d.json()["transaction_status"] for d in sim.shop.take()] == ["pending"]


def test_without_a_notification_url_notifications_wait(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> None:
    for sim in simulator_harness(database_url, clock, tmp_path, notification_url=None):
        created = create(sim)
        assert sim.delivered() == []
        assert [n.state for n in sim.service.outbox(created.order_id)] == ["pending"]


# credentials and validation ------------------------------------------------------------------
def test_the_shop_api_needs_the_server_key(sim: SimulatorHarness) -> None:
    body = {"payment_type": "qris", "transaction_details": {"order_id": "A-1", "gross_amount": 1}}
    missing = sim.client.post("/v2/charge", json=body)
    assert missing.status_code == 401 and missing.json()["code"] == "unauthenticated"
    assert missing.headers["www-authenticate"].startswith("Basic")
    wrong = sim.client.post("/v2/charge", json=body, auth=("guess", ""))
    assert wrong.status_code == 401
    assert sim.client.post("/v2/charge", json=body, auth=(SERVER_KEY, "")).status_code == 201


def test_items_must_add_up_to_the_amount(sim: SimulatorHarness) -> None:
    body = {
        "payment_type": "qris",
        "transaction_details": {"order_id": "A-2", "gross_amount": 10_000},
        "item_details": [{"name": "Kopi", "price": 4_000, "quantity": 2}],
    }
    answer = sim.client.post("/v2/charge", json=body, auth=(SERVER_KEY, ""))
    assert answer.status_code == 422
    assert "add up" in answer.text


def test_an_unknown_bank_is_refused_with_the_banks_to_choose(sim: SimulatorHarness) -> None:
    body = {
        "payment_type": "bank_transfer",
        "transaction_details": {"order_id": "A-3", "gross_amount": 10_000},
        "bank_transfer": {"bank": "xyz"},
    }
    answer = sim.client.post("/v2/charge", json=body, auth=(SERVER_KEY, ""))
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid" and "bca" in answer.json()["status_message"]


def test_fault_switches_need_the_operator_token(sim: SimulatorHarness) -> None:
    assert sim.client.get("/admin/faults").status_code == 401
    assert (
        sim.client.put(
            "/admin/faults", json={"forge": True}, headers={"Authorization": "Bearer x"}
        ).status_code
        == 401
    )
    assert sim.client.get("/admin/faults", headers=sim.operator()).json()["duplicate"] == 1


def test_without_an_operator_token_nobody_is_an_operator(tmp_path: Path) -> None:
    app = create_app(PaymentsSettings(data_dir=tmp_path, server_key="k", dispatch_every_seconds=0))
    with TestClient(app) as client:
        assert client.get("/admin/faults", headers={"Authorization": "Bearer "}).status_code == 403


def test_a_server_key_is_created_once_in_the_data_folder(tmp_path: Path) -> None:
    settings = PaymentsSettings(data_dir=tmp_path, dispatch_every_seconds=0)
    first = create_app(settings).state.service.server_key
    again = create_app(settings).state.service.server_key
    assert first == again == (tmp_path / "payments-server-key").read_text()
    assert (tmp_path / "payments-server-key").stat().st_mode & 0o777 == 0o600


# operations ----------------------------------------------------------------------------------
def test_health_metrics_and_openapi(sim: SimulatorHarness) -> None:
    assert sim.client.get("/healthz").json() == {"status": "ok", "service": "payments"}
    spec = sim.client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Keranjang payments"
    assert {"/v2/charge", "/v2/{order_id}/status", "/v2/{order_id}/refund"} <= set(spec["paths"])
    metrics = sim.client.get("/metrics").text
    assert 'route="/healthz",service="payments",status="200"' in metrics


def test_the_database_matches_its_own_schema_history(sim: SimulatorHarness) -> None:
    with sim.app.state.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.Base.metadata) == []


def test_the_simulator_answers_on_its_public_url(sim: SimulatorHarness) -> None:
    created = create(sim)
    assert created.redirect_url == f"{PAYMENTS_URL}/pay/{created.partner_transaction_id}"

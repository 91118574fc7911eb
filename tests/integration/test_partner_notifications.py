"""Commerce paid through each partner (the simulator, Midtrans, Xendit): a genuine notification
pays the order once however often it comes, a forged one is refused and changes nothing, and an
old one replayed later changes nothing."""

import importlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from keranjang.infra.clock import FixedClock
from keranjang.payments import CreatedPayment, PaymentMethod, PaymentStatus
from tests.integration.conftest import System, bearer
from tests.integration.payment_partners import Delivered, PartnerHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_payment_partner_contract import HARNESSES

PRICE = 350_000
HOP_BY_HOP = {"content-length", "host", "transfer-encoding", "connection"}


@pytest.fixture(params=list(HARNESSES))
def through(
    request: pytest.FixtureRequest,
    system: System,
    database_url: Callable[[str], str],
    clock: FixedClock,
    tmp_path: Path,
) -> Iterator[PartnerHarness]:
    """Commerce with each partner in turn."""
    module, _, factory = HARNESSES[request.param].partition(":")
    harnesses = getattr(importlib.import_module(module), factory)
    for harness in harnesses(database_url, clock, tmp_path / "partner"):
        state = system.commerce.app.state.commerce  # type: ignore[attr-defined]
        state.paying.partner = state.refunds.partner = harness.partner
        state.reconciliation.partner = harness.partner
        yield harness


def paid_at_partner(system: System, harness: PartnerHarness) -> dict[str, Any]:
    """An order checked out by QRIS and paid at the partner; its notifications not yet sent on."""
    merchant = system.merchant()
    product = system.product(merchant, price_idr=PRICE, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    r = checkout(system, auth, payment_method="qris")
    assert r.status_code == 201, r.text
    order = r.json()["orders"][0]
    payment = order["payment"]
    assert payment is not None, order
    harness.pay(
        CreatedPayment(
            order_id=order["number"],
            partner_transaction_id=payment["partner_transaction_id"],
            status=PaymentStatus.PENDING,
            gross_amount=payment["amount_idr"],
            method=PaymentMethod.QRIS,
            expires_at=datetime.fromisoformat(payment["expires_at"]),
            redirect_url=payment["redirect_url"],
        )
    )
    return order | {"merchant": merchant}


def send(system: System, note: Delivered) -> tuple[int, str]:
    headers = {k: v for k, v in note.headers.items() if k.lower() not in HOP_BY_HOP}
    r = system.commerce.post("/payments/notifications", content=note.body, headers=headers)
    body = r.json()
    return r.status_code, str(body.get("outcome", body.get("error")))


def books(system: System, order_id: int) -> tuple[str, int, int, dict[str, int]]:
    """The order's status, its paid events, its payment entries, and every balance."""
    with system.commerce_engine.connect() as conn, Session(bind=conn) as s:
        status = s.scalar(select(order_db.OrderRow.status).where(order_db.OrderRow.id == order_id))
        paid = s.scalar(
            select(func.count()).where(
                order_db.OrderEventRow.order_id == order_id,
                order_db.OrderEventRow.to_status == "paid",
            )
        )
        entries = s.scalar(
            select(func.count()).where(money_db.LedgerEntryRow.ref == f"payment:{order_id}")
        )
        return str(status), int(paid or 0), int(entries or 0), money_db.balances(s)


def test_a_notification_pays_the_order_once_however_often_it_comes(
    system: System, through: PartnerHarness
) -> None:
    order = paid_at_partner(system, through)
    notes = through.delivered()
    answers = [send(system, note) for note in notes + notes + notes[::-1]]
    assert all(code == 200 for code, _ in answers), answers
    assert [outcome for _, outcome in answers].count("order paid") == 1
    status, paid, entries, balances = books(system, order["id"])
    assert (status, paid, entries) == ("paid", 1, 1)
    assert -balances["escrow"] == order["total_idr"]


def test_forged_notifications_are_refused_and_change_nothing(
    system: System, through: PartnerHarness
) -> None:
    order = paid_at_partner(system, through)
    notes = through.delivered()
    forgeries = through.forgeries(notes)
    assert forgeries
    for name, body in forgeries.items():
        code, _ = send(system, Delivered({"content-type": "application/json"}, body))
        assert code == 400, name
    assert books(system, order["id"])[:3] == ("awaiting_payment", 0, 0)
    for note in notes:
        send(system, note)
    assert books(system, order["id"])[:3] == ("paid", 1, 1)


def test_an_old_notification_replayed_after_a_refund_changes_nothing(
    system: System, through: PartnerHarness
) -> None:
    order = paid_at_partner(system, through)
    notes = through.delivered()
    for note in notes:
        send(system, note)
    r = system.commerce.post(
        f"/api/seller/orders/{order['id']}/refunds",
        json={"reason": "Barang tidak sesuai"},
        headers=bearer(order["merchant"]),
    )
    assert r.status_code == 201, r.text
    for note in through.delivered():
        send(system, note)
    before = books(system, order["id"])
    assert before[0] == "refunded"
    for note in notes:  # the pending and the settlement, again
        code, outcome = send(system, note)
        assert code == 200 and outcome.startswith("duplicate"), outcome
    assert books(system, order["id"]) == before
    with system.commerce_engine.connect() as conn:
        payment = conn.scalar(
            select(money_db.PaymentRow.status).where(money_db.PaymentRow.order_id == order["id"])
        )
    assert payment == "refunded"

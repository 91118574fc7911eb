"""Payments end with their orders: an order cancelled or expired unpaid has its open payment
ended at the partner after the order's transaction commits (again later while the partner is out
of reach), so the buyer cannot pay into it; a payment that lands all the same is returned to the
buyer once, under a fixed key, and reconciliation shows it."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from keranjang.payments import Ending, PaymentStatus
from tests.integration.conftest import System
from tests.integration.payment_partners import HTML, SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_paying import (
    deliver,
    ledger_balances,
    pay_on_partner_page,
    start_payment,
    status_of,
    unpaid_order,
)


def commerce(system: System) -> Any:
    return system.commerce.app.state.commerce  # type: ignore[attr-defined]


def cancel_as_buyer(system: System, order: dict[str, Any], auth: dict[str, str]) -> None:
    r = system.commerce.post(
        f"/api/orders/{order['id']}/cancel", json={"reason": "salah pilih ukuran"}, headers=auth
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"


def press_bayar(partner: SimulatorHarness, payment: dict[str, Any]) -> Any:
    return partner.client.post(
        f"/pay/{payment['partner_transaction_id']}",
        data={"method": "bank_transfer"},
        headers=HTML,
        follow_redirects=False,
    )


def end_request(system: System, order_id: int) -> order_db.PaymentEndRow:
    with Session(system.commerce_engine) as s:
        row = s.scalar(
            select(order_db.PaymentEndRow).where(order_db.PaymentEndRow.order_id == order_id)
        )
        assert row is not None
        s.expunge(row)
        return row


def refunds_of(system: System, order_id: int) -> list[tuple[str, str, int, str]]:
    r = money_db.RefundRow
    with system.commerce_engine.connect() as conn:
        rows = conn.execute(
            select(r.refund_key, r.stage, r.amount_idr, r.status).where(r.order_id == order_id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_cancelled_order_s_payment_cannot_be_paid_at_the_simulator(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth = unpaid_order(system)
    payment = start_payment(system, order, auth)
    cancel_as_buyer(system, order, auth)

    assert partner.partner.status(order["number"]).status is PaymentStatus.CANCELLED
    refused = press_bayar(partner, payment)  # the pay API
    assert refused.status_code == 409
    assert "Pembayaran sudah ditutup" in refused.text
    page = partner.client.get(payment["redirect_url"], headers=HTML)  # the pay page
    assert "Pembayaran dibatalkan" in page.text and 'data-testid="pay-form"' not in page.text
    assert end_request(system, order["id"]).status == "done"
    assert commerce(system).paying.payment_of(auth_buyer(system, order), order["id"]).status == (
        "cancelled"
    )
    assert "duplicate: already handled" in [a[1] for a in deliver(system, partner)]
    assert status_of(system, order["id"]) == "cancelled"


def auth_buyer(system: System, order: dict[str, Any]) -> int:
    with system.commerce_engine.connect() as conn:
        found = conn.scalar(
            select(order_db.OrderRow.buyer_id).where(order_db.OrderRow.id == order["id"])
        )
        assert found is not None
        return int(found)


class Recording:
    """The partner, with the payments asked to end written down."""

    def __init__(self, partner: Any) -> None:
        self.partner, self.ended = partner, []  # type: ignore[var-annotated]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.partner, name)

    def cancel(self, order_id: str, ending: Ending = Ending.CANCEL) -> Any:
        self.ended.append((order_id, ending))
        return self.partner.cancel(order_id, ending)


def test_an_expired_order_s_payment_expires_at_the_partner(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth = unpaid_order(system)
    payment = start_payment(system, order, auth)
    ends = commerce(system).payment_ends
    ends.partner = recording = Recording(partner.partner)
    system.clock.advance(minutes=30, seconds=1)
    assert commerce(system).buying.release_expired_holds() == 1

    # Its payment first, then the next try's id, which the partner does not know: no create
    # whose answer was lost left a payment open there.
    assert recording.ended == [
        (order["number"], Ending.EXPIRE),
        (f"{order['number']}-2", Ending.EXPIRE),
    ]
    assert status_of(system, order["id"]) == "expired"
    assert end_request(system, order["id"]).status == "done"
    assert partner.partner.status(order["number"]).status is PaymentStatus.EXPIRED
    assert press_bayar(partner, payment).status_code == 409
    page = partner.client.get(payment["redirect_url"], headers=HTML)
    assert "Waktu pembayaran habis" in page.text


def test_a_partner_out_of_reach_is_asked_again_after_the_cancel_commits(
    system: System, partner: SimulatorHarness
) -> None:
    ends = commerce(system).payment_ends
    order, auth = unpaid_order(system)
    payment = start_payment(system, order, auth)
    ends.partner = partner.unreachable()
    cancel_as_buyer(system, order, auth)  # the buyer's cancel stands, whatever the partner

    waiting = end_request(system, order["id"])
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert "could not be reached" in (waiting.outcome or "")
    assert partner.partner.status(order["number"]).status is PaymentStatus.PENDING
    assert ends.drain() == 0  # not due yet: the next try waits
    system.clock.advance(seconds=31)
    assert ends.drain() == 0
    assert end_request(system, order["id"]).attempts == 2  # still away: a longer wait

    ends.partner = partner.partner
    system.clock.advance(seconds=61)
    assert ends.drain() == 1
    assert end_request(system, order["id"]).status == "done"
    assert partner.partner.status(order["number"]).status is PaymentStatus.CANCELLED
    assert press_bayar(partner, payment).status_code == 409
    assert ends.drain() == 0


def test_a_payment_that_lands_after_the_order_ended_is_refunded_once_and_reconciled(
    system: System, partner: SimulatorHarness
) -> None:
    """The partner was away when the order was cancelled and the buyer paid meanwhile; its
    notifications come three times each and out of order: one refund, under a fixed key."""
    ends = commerce(system).payment_ends
    order, auth = unpaid_order(system)
    payment = start_payment(system, order, auth)
    ends.partner = partner.unreachable()
    cancel_as_buyer(system, order, auth)
    partner.set_faults(duplicate=3)
    pay_on_partner_page(partner, payment)
    notes = partner.delivered()
    for note in reversed(notes):
        r = system.commerce.post("/payments/notifications", content=note.body, headers=note.headers)
        assert r.status_code == 200, r.text
    ends.partner = partner.partner
    system.clock.advance(minutes=5)
    assert ends.drain() == 1  # the partner: paid (it was not cancelled): nothing more to do

    total = order["total_idr"]
    [(late_key, *_)] = refunds_of(system, order["id"])
    assert late_key.startswith(f"late-{order['number']}-") and len(late_key) <= 64
    assert refunds_of(system, order["id"]) == [(late_key, "stray", total, "requested")]
    assert -ledger_balances(system)["stray_payments"] == total
    report = commerce(system).reconciliation.run()
    assert report.disagreements == []
    assert refunds_of(system, order["id"]) == [(late_key, "stray", total, "succeeded")]
    assert partner.partner.status(order["number"]).refunded_amount == total
    [late] = report.late_payments
    assert (late.order_number, late.order_status, late.amount_idr) == (
        order["number"],
        "cancelled",
        total,
    )
    assert (late.paid_with, late.state) == ("virtual_account", "refunded")
    balances = ledger_balances(system)
    assert balances.get("stray_payments", 0) == 0
    assert sum(balances.values()) == 0
    assert status_of(system, order["id"]) == "cancelled"
    assert commerce(system).reconciliation.run().disagreements == []
    assert refunds_of(system, order["id"]) == [(late_key, "stray", total, "succeeded")]


def test_a_checkout_payment_is_not_ended_while_it_still_pays_an_open_order(
    system: System, partner: SimulatorHarness
) -> None:
    batik = system.product(system.merchant(), price_idr=350_000, stock=5)
    kopi = system.product(system.merchant("kopi-gayo", "Kopi Gayo"), price_idr=80_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, batik["id"], 1)
    put_in_cart(system, auth, kopi["id"], 2)
    placed = checkout(system, auth, key="together-1", payment_method="qris").json()["orders"]
    together = placed[0]["payment"]
    checkout_number = partner.client.get(together["redirect_url"], headers=HTML)
    assert "Rp540.000" in checkout_number.text

    cancel_as_buyer(system, placed[0], auth)
    kept = end_request(system, placed[0]["id"])
    assert kept.status == "done" and (kept.outcome or "").startswith("kept: KRG-")
    assert placed[1]["number"] in (kept.outcome or "")
    page = partner.client.get(together["redirect_url"], headers=HTML)
    assert 'data-testid="pay-form"' in page.text  # still payable: it pays the open order

    cancel_as_buyer(system, placed[1], auth)
    assert end_request(system, placed[1]["id"]).status == "done"
    assert press_bayar(partner, together).status_code == 409
    assert [status_of(system, o["id"]) for o in placed] == ["cancelled", "cancelled"]

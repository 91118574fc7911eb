"""Paying an order through the payment simulator: the buyer pays on the partner's page, the
partner's signed notifications mark the order paid exactly once, forgeries change nothing."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from keranjang.payments import PaymentMethod
from keranjang.payments.midtrans_wire import signature
from tests.integration.conftest import System
from tests.integration.payment_partners import HTML, SERVER_KEY, SimulatorHarness, encode
from tests.integration.test_checkout import buyer, checkout, count, put_in_cart, stock


def unpaid_order(system: System) -> tuple[dict[str, Any], dict[str, str]]:
    product = system.product(system.merchant(), price_idr=350_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    return checkout(system, auth).json()["orders"][0], auth


def hold(order: dict[str, Any]) -> datetime:
    """When the checkout's answer says the order's stock hold ends."""
    return datetime.fromisoformat(order["hold_expires_at"])


def start_payment(system: System, order: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    r = system.commerce.post(
        f"/api/orders/{order['id']}/payment", json={"method": "virtual_account"}, headers=auth
    )
    assert r.status_code == 200, r.text
    return r.json()


def pay_on_partner_page(partner: SimulatorHarness, payment: dict[str, Any]) -> None:
    page = partner.client.get(payment["redirect_url"], headers=HTML)
    assert "Rp365.000" in page.text
    paid = partner.client.post(
        f"/pay/{payment['partner_transaction_id']}",
        data={"method": "bank_transfer"},
        headers=HTML,
        follow_redirects=False,
    )
    assert paid.status_code in (302, 303), paid.text


def deliver(system: System, partner: SimulatorHarness) -> list[tuple[int, str]]:
    answers = []
    for note in partner.delivered():
        r = system.commerce.post(
            "/payments/notifications",
            content=note.body,
            headers={"content-type": "application/json"},
        )
        answers.append((r.status_code, r.json().get("outcome", r.json().get("error"))))
    return answers


def status_of(system: System, order_id: int) -> str:
    with system.commerce_engine.connect() as conn:
        return conn.scalar(select(order_db.OrderRow.status).where(order_db.OrderRow.id == order_id))  # type: ignore[return-value]


def paid_events(system: System, order_id: int) -> int:
    with system.commerce_engine.connect() as conn:
        rows = conn.execute(
            select(order_db.OrderEventRow.to_status).where(
                order_db.OrderEventRow.order_id == order_id
            )
        )
        return sum(1 for (status,) in rows if status == "paid")


def test_a_buyer_pays_on_the_partner_page_and_the_order_is_paid(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth = unpaid_order(system)
    payment = start_payment(system, order, auth)
    assert payment["amount_idr"] == 365_000 and payment["virtual_account"]["number"]
    assert start_payment(system, order, auth) == payment
    pay_on_partner_page(partner, payment)
    answers = deliver(system, partner)
    assert (200, "order paid") in answers
    assert status_of(system, order["id"]) == "paid"
    assert paid_events(system, order["id"]) == 1


def test_duplicated_notifications_pay_the_order_once(
    system: System, partner: SimulatorHarness
) -> None:
    partner.set_faults(duplicate=3)
    order, auth = unpaid_order(system)
    pay_on_partner_page(partner, start_payment(system, order, auth))
    answers = deliver(system, partner)
    assert [a for a in answers if a[1] == "order paid"] == [(200, "order paid")]
    assert sum(1 for a in answers if a[1] == "duplicate: already handled") >= 2
    assert paid_events(system, order["id"]) == 1


def test_a_forged_notification_is_refused_and_changes_nothing(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth = unpaid_order(system)
    payment = start_payment(system, order, auth)
    pay_on_partner_page(partner, payment)
    genuine = partner.delivered()
    for name, forged in partner.forgeries(genuine).items():
        r = system.commerce.post(
            "/payments/notifications", content=forged, headers={"content-type": "application/json"}
        )
        assert r.status_code == 400, name
    assert status_of(system, order["id"]) == "awaiting_payment"


def test_paying_someone_elses_order_is_not_found(system: System, partner: SimulatorHarness) -> None:
    order, _ = unpaid_order(system)
    stranger = buyer(system, "stranger@example.com")
    r = system.commerce.post(
        f"/api/orders/{order['id']}/payment", json={"method": "qris"}, headers=stranger
    )
    assert r.status_code == 404


def test_a_validly_signed_settlement_the_partner_does_not_confirm_pays_nothing(
    system: System, partner: SimulatorHarness
) -> None:
    """Someone holding the server key signs a settlement for an order nobody paid: commerce asks
    the partner's status API, hears 'pending', and leaves the order unpaid."""
    order, auth = unpaid_order(system)
    start_payment(system, order, auth)
    pending = next(
        d.json() for d in partner.delivered() if d.json()["transaction_status"] == "pending"
    )
    order_id, amount = str(pending["order_id"]), str(pending["gross_amount"])
    settled = pending | {
        "transaction_status": "settlement",
        "status_code": "200",
        "signature_key": signature(order_id, "200", amount, SERVER_KEY),
    }
    r = system.commerce.post(
        "/payments/notifications",
        content=encode(settled),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200
    assert r.json()["outcome"].startswith("held: the partner's status does not confirm")
    assert status_of(system, order["id"]) == "awaiting_payment"


def test_a_settlement_that_cannot_be_confirmed_is_refused_for_a_retry(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth = unpaid_order(system)
    pay_on_partner_page(partner, start_payment(system, order, auth))
    notes = partner.delivered()
    paying = system.commerce.app.state.commerce.paying  # type: ignore[attr-defined]
    reachable, paying.partner = paying.partner, partner.unreachable()
    settled = next(n for n in notes if n.json()["transaction_status"] == "settlement")
    r = system.commerce.post(
        "/payments/notifications", content=settled.body, headers=settled.headers
    )
    assert r.status_code == 503  # the partner keeps the notification and sends it again
    assert status_of(system, order["id"]) == "awaiting_payment"

    paying.partner = reachable
    r = system.commerce.post(
        "/payments/notifications", content=settled.body, headers=settled.headers
    )
    assert (r.status_code, r.json()["outcome"]) == (200, "order paid")
    assert status_of(system, order["id"]) == "paid"


def test_checkout_with_a_payment_method_answers_each_orders_payment(
    system: System, partner: SimulatorHarness
) -> None:
    batik = system.product(system.merchant(), price_idr=350_000, stock=5)
    kopi = system.product(system.merchant("kopi-gayo", "Kopi Gayo"), price_idr=80_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, batik["id"], 1)
    put_in_cart(system, auth, kopi["id"], 2)
    first = checkout(system, auth, key="pay-at-once-1", payment_method="qris")
    assert first.status_code == 201, first.text
    placed = first.json()["orders"]
    assert [o["payment"]["amount_idr"] for o in placed] == [365_000, 175_000]
    assert all(o["payment"]["method"] == "qris" and o["payment"]["qris"] for o in placed)

    again = checkout(system, auth, key="pay-at-once-1", payment_method="qris")
    assert again.json() == first.json()  # the same orders and the same payments
    assert count(system, money_db.PaymentRow) == 2

    # A cart across shops is one payment at the partner; each order's payment is its share.
    assert len({o["payment"]["partner_transaction_id"] for o in placed}) == 1
    assert "Rp540.000" in partner.client.get(placed[0]["payment"]["redirect_url"]).text
    paid = partner.client.post(
        f"/pay/{placed[0]['payment']['partner_transaction_id']}",
        data={"method": "qris"},
        follow_redirects=False,
    )
    assert paid.status_code in (302, 303), paid.text
    answers = deliver(system, partner)
    assert [a for a in answers if "order paid" in a[1]] == [
        (200, f"checkout: {placed[0]['number']} order paid; {placed[1]['number']} order paid")
    ]
    assert [status_of(system, o["id"]) for o in placed] == ["paid", "paid"]


def test_when_the_partner_is_down_checkout_keeps_the_orders_to_pay_later(
    system: System, partner: SimulatorHarness
) -> None:
    product = system.product(system.merchant(), price_idr=350_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    paying = system.commerce.app.state.commerce.paying  # type: ignore[attr-defined]
    reachable, paying.partner = paying.partner, partner.unreachable()
    r = checkout(system, auth, payment_method="virtual_account")
    assert r.status_code == 201, r.text
    order = r.json()["orders"][0]
    assert order["payment"] is None and "could not take the payment" in order["payment_error"]
    assert (
        stock(system, product["id"]) == 4 and status_of(system, order["id"]) == "awaiting_payment"
    )

    paying.partner = reachable
    assert start_payment(system, order, auth)["amount_idr"] == 365_000


def test_a_payment_cancelled_on_the_partner_page_is_replaced_by_a_new_attempt(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth = unpaid_order(system)
    first = start_payment(system, order, auth)
    cancelled = partner.client.post(
        f"/pay/{first['partner_transaction_id']}/cancel", headers=HTML, follow_redirects=False
    )
    assert cancelled.status_code in (302, 303), cancelled.text
    assert "recorded: cancelled" in [a[1] for a in deliver(system, partner)]

    second = start_payment(system, order, auth)
    assert second["partner_transaction_id"] != first["partner_transaction_id"]
    assert second["status"] == "pending" and start_payment(system, order, auth) == second
    pay_on_partner_page(partner, second)
    assert (200, "order paid") in deliver(system, partner)
    assert status_of(system, order["id"]) == "paid"


def test_a_payment_the_partner_made_but_commerce_never_stored_does_not_block_the_order(
    system: System, partner: SimulatorHarness
) -> None:
    """Commerce dies after the partner created the payment and before storing it: the partner
    now refuses that order id as a duplicate, and the buyer can still pay, under a new attempt."""
    order, auth = unpaid_order(system)
    paying = system.commerce.app.state.commerce.paying  # type: ignore[attr-defined]
    orphan = paying.partner.create_payment(
        paying._new_payment(order["id"], order["number"], order["total_idr"], "qris", hold(order))
    )
    payment = start_payment(system, order, auth)
    assert payment["partner_transaction_id"] != orphan.partner_transaction_id
    pay_on_partner_page(partner, payment)
    assert (200, "order paid") in deliver(system, partner)
    assert status_of(system, order["id"]) == "paid"
    with system.commerce_engine.connect() as conn:
        assert (
            conn.scalar(
                select(money_db.PaymentRow.attempt).where(
                    money_db.PaymentRow.order_id == order["id"]
                )
            )
            == 2
        )


# a second payment ---------------------------------------------------------------------------
def ledger_balances(system: System) -> dict[str, int]:
    with system.commerce_engine.connect() as conn, Session(bind=conn) as s:
        return money_db.balances(s)


def test_a_second_attempt_paid_too_is_returned_to_the_buyer(
    system: System, partner: SimulatorHarness
) -> None:
    """The buyer pays an older attempt the partner still holds, and the order's own payment
    too: the second payment is recorded as owed back and refunded, and the order is paid once."""
    order, auth = unpaid_order(system)
    paying = system.commerce.app.state.commerce.paying  # type: ignore[attr-defined]
    orphan = paying.partner.create_payment(
        paying._new_payment(
            order["id"],
            order["number"],
            order["total_idr"],
            PaymentMethod.VIRTUAL_ACCOUNT,
            hold(order),
        )
    )
    payment = start_payment(system, order, auth)
    pay_on_partner_page(partner, payment)
    assert (200, "order paid") in deliver(system, partner)
    partner.pay(orphan)
    outcomes = [outcome for _, outcome in deliver(system, partner)]
    assert any(o.startswith("stray") for o in outcomes), outcomes
    assert paid_events(system, order["id"]) == 1
    total = order["total_idr"]
    assert -ledger_balances(system)["stray_payments"] == total
    refunds = system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    assert refunds.settle_requested() == 1
    assert partner.partner.status(orphan.order_id).refunded_amount == total
    assert partner.partner.status(order["number"] + "-2").refunded_amount == 0
    balances = ledger_balances(system)
    assert balances.get("stray_payments", 0) == 0 and -balances["escrow"] == total
    assert status_of(system, order["id"]) == "paid"


def test_a_payment_made_in_time_whose_news_comes_after_the_hold_pays_the_order(
    system: System, partner: SimulatorHarness
) -> None:
    """Paid in time at the partner, but its news reaches commerce after the hold ran out: the
    hold's expiry asks the partner to expire the payment first, hears it was paid, and the order
    is paid, not expired and refunded (the partner itself refuses a payment past the hold:
    test_payment_lifetime.py)."""
    order, auth = unpaid_order(system)
    payment = start_payment(system, order, auth)
    pay_on_partner_page(partner, payment)
    system.clock.advance(minutes=31)
    buying = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    assert buying.release_expired_holds() == 0
    assert status_of(system, order["id"]) == "paid"
    outcomes = [outcome for _, outcome in deliver(system, partner)]
    assert "duplicate: already handled" in outcomes, outcomes  # the payment applied already
    assert not any(o.startswith("stray") for o in outcomes), outcomes
    assert status_of(system, order["id"]) == "paid"
    assert count(system, money_db.RefundRow) == 0
    assert count(system, order_db.PaymentEndRow) == 0  # the order did not end: nothing to end
    balances = ledger_balances(system)
    assert balances.get("stray_payments", 0) == 0 and -balances["escrow"] == order["total_idr"]
    assert partner.partner.status(order["number"]).refunded_amount == 0
    assert buying.release_expired_holds() == 0  # paid: nothing is due any more

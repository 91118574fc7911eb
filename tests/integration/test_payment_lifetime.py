"""A payment lives no longer than its order: the partner's payment expires when the order's stock
hold does, and an order that ended unpaid hands out no payment. Otherwise a buyer could pay after
the order expired or was cancelled, and that money would go back at the platform's cost (the
partner keeps its fee)."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from keranjang.payments.midtrans_wire import parse_time
from tests.integration.conftest import System, bearer
from tests.integration.payment_partners import HTML, SERVER_KEY, SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, count, put_in_cart
from tests.integration.test_paying import (
    deliver,
    pay_on_partner_page,
    start_payment,
    status_of,
)

HOLD = timedelta(minutes=30)  # commerce's default hold_minutes


def placed_order(
    system: System, **checkout_body: Any
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """An order of Rp365.000 just placed: the order, its buyer's auth and its merchant."""
    merchant = system.merchant()
    product = system.product(merchant, price_idr=350_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    r = checkout(system, auth, **checkout_body)
    assert r.status_code == 201, r.text
    return r.json()["orders"][0], auth, merchant


def hold_of(order: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(order["hold_expires_at"])


def shown_expiry(payment: dict[str, Any]) -> datetime:
    """When the payment expires, as commerce shows it to the buyer."""
    return datetime.fromisoformat(payment["expires_at"])


def partner_expiry(partner: SimulatorHarness, partner_order_id: str) -> datetime:
    """When the partner expires the payment: its status API's `expiry_time`."""
    r = partner.client.get(f"/v2/{partner_order_id}/status", auth=(SERVER_KEY, ""))
    assert r.status_code == 200, r.text
    return parse_time(r.json()["expiry_time"])


def ask_to_pay(system: System, order: dict[str, Any], auth: dict[str, str]) -> Any:
    return system.commerce.post(
        f"/api/orders/{order['id']}/payment", json={"method": "virtual_account"}, headers=auth
    )


def expire_holds(system: System) -> int:
    return system.commerce.app.state.commerce.buying.release_expired_holds()  # type: ignore[attr-defined,no-any-return]


def refunds_owed(system: System) -> int:
    return count(system, money_db.RefundRow)


# the payment's lifetime ---------------------------------------------------------------------
def test_a_checkouts_payment_expires_when_the_orders_hold_does(
    system: System, partner: SimulatorHarness
) -> None:
    order, _, _ = placed_order(system, payment_method="virtual_account")
    hold = hold_of(order)
    assert hold == system.clock.now() + HOLD
    payment = order["payment"]
    assert payment["virtual_account"]["number"]
    # Whole minutes, rounded down, with leeway for the partner's clock: 29 of the 30 minutes
    # (the partner's default for a virtual account is 24 hours).
    assert shown_expiry(payment) == system.clock.now() + timedelta(minutes=29)
    assert partner_expiry(partner, order["number"]) == shown_expiry(payment) < hold


def test_a_payment_started_late_in_the_hold_gets_only_what_is_left(
    system: System, partner: SimulatorHarness
) -> None:
    """The first attempt is cancelled on the partner's page; the buyer starts another 20 minutes
    and 15 seconds into the hold: it is payable for the 9 whole minutes left, not for a fresh
    lifetime."""
    order, auth, _ = placed_order(system)
    first = start_payment(system, order, auth)
    assert shown_expiry(first) <= hold_of(order)
    cancelled = partner.client.post(
        f"/pay/{first['partner_transaction_id']}/cancel", headers=HTML, follow_redirects=False
    )
    assert cancelled.status_code in (302, 303), cancelled.text
    assert "recorded: cancelled" in [outcome for _, outcome in deliver(system, partner)]

    system.clock.advance(minutes=20, seconds=15)
    second = start_payment(system, order, auth)
    assert second["partner_transaction_id"] != first["partner_transaction_id"]
    assert shown_expiry(second) == system.clock.now() + timedelta(minutes=9)
    assert partner_expiry(partner, order["number"] + "-2") == shown_expiry(second)
    assert shown_expiry(second) < hold_of(order)


def test_once_the_hold_is_over_the_virtual_account_takes_no_money(
    system: System, partner: SimulatorHarness
) -> None:
    """The buyer comes back to the virtual account after the order expired: the partner refuses
    the payment, so there is nothing to return and no fee lost."""
    order, auth, _ = placed_order(system)
    payment = start_payment(system, order, auth)
    system.clock.advance(minutes=30)
    assert expire_holds(system) == 1
    paid = partner.client.post(
        f"/pay/{payment['partner_transaction_id']}",
        data={"method": "bank_transfer"},
        headers=HTML,
        follow_redirects=False,
    )
    assert paid.status_code == 409, paid.text
    assert "sudah selesai, dibatalkan, atau lewat waktu" in paid.text
    outcomes = [outcome for _, outcome in deliver(system, partner)]
    # The expiry is recorded once: when the order's expiry asked the partner, or by its news.
    with system.commerce_engine.connect() as conn:
        ended = conn.scalar(select(order_db.PaymentEndRow.outcome))
    assert "recorded: expired" in [*outcomes, (ended or "").partition(" ")[2]], (ended, outcomes)
    assert not any(o.startswith("stray") for o in outcomes), outcomes
    assert status_of(system, order["id"]) == "expired"
    assert refunds_owed(system) == 0


# no payment when the hold is (nearly) over --------------------------------------------------
@pytest.mark.parametrize("left", [timedelta(seconds=80), timedelta(seconds=30), timedelta(0)])
def test_no_payment_is_created_when_too_little_of_the_hold_is_left(
    system: System, partner: SimulatorHarness, left: timedelta
) -> None:
    order, auth, _ = placed_order(system)
    system.clock.advance(seconds=(HOLD - left).total_seconds())
    r = ask_to_pay(system, order, auth)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "PaymentTooLate"
    assert f"order {order['number']} can no longer be paid" in r.json()["detail"]
    assert count(system, money_db.PaymentRow) == 0
    unknown = partner.client.get(f"/v2/{order['number']}/status", auth=(SERVER_KEY, ""))
    assert unknown.status_code == 404, unknown.text  # nothing was asked of the partner


def test_a_minute_and_a_half_left_still_gets_a_one_minute_payment(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth, _ = placed_order(system)
    system.clock.advance(minutes=28, seconds=30)
    payment = start_payment(system, order, auth)
    assert shown_expiry(payment) == system.clock.now() + timedelta(minutes=1)
    assert partner_expiry(partner, order["number"]) <= hold_of(order)


def test_a_pending_payment_is_not_handed_out_after_the_hold_even_before_the_order_expires(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth, _ = placed_order(system)
    start_payment(system, order, auth)
    system.clock.advance(minutes=30)  # the hold is over; the sweeper has not run yet
    r = ask_to_pay(system, order, auth)
    assert r.status_code == 409, r.text
    assert "can no longer be paid" in r.json()["detail"]


def test_a_pending_payment_is_not_handed_out_once_it_ended_at_the_partner(
    system: System, partner: SimulatorHarness
) -> None:
    """The payment ends a little before the hold (the leeway for the trip to the partner): in
    that last half minute the buyer is not sent to a virtual account the partner closed."""
    order, auth, _ = placed_order(system)
    payment = start_payment(system, order, auth)
    ends = datetime.fromisoformat(payment["expires_at"])
    assert ends < datetime.fromisoformat(order["hold_expires_at"])
    system.clock.advance(seconds=(ends - system.clock.now()).total_seconds() - 1)
    assert ask_to_pay(system, order, auth).status_code == 200  # still payable a second before
    system.clock.advance(seconds=2)
    r = ask_to_pay(system, order, auth)
    assert r.status_code == 409, r.text
    assert "can no longer be paid" in r.json()["detail"]


# orders that ended, or were paid ------------------------------------------------------------
def end_order(system: System, how: str, order: dict[str, Any], auth: dict[str, str]) -> str:
    """End the unpaid order the way `how` says; returns the status it ends in."""
    if how == "buyer cancels":
        r = system.commerce.post(
            f"/api/orders/{order['id']}/cancel", json={"reason": "salah ukuran"}, headers=auth
        )
        assert r.status_code == 200, r.text
        return "cancelled"
    system.clock.advance(minutes=31)
    assert expire_holds(system) == 1
    return "expired"


@pytest.mark.parametrize("how", ["buyer cancels", "the hold expires"])
def test_an_order_that_ended_unpaid_hands_out_no_payment(
    system: System, partner: SimulatorHarness, how: str
) -> None:
    order, auth, _ = placed_order(system)
    payment = start_payment(system, order, auth)
    ended = end_order(system, how, order, auth)
    r = ask_to_pay(system, order, auth)
    assert r.status_code == 409, r.text
    assert r.json() == {
        "error": "Conflict",
        "detail": f"order {order['number']} is {ended}: it can no longer be paid",
        "code": "not_payable",
        "params": {"number": order["number"]},
        "message": "Pesanan ini tidak menunggu pembayaran lagi.",
    }
    assert "virtual_account" not in r.text
    assert count(system, money_db.PaymentRow) == 1  # no new attempt either
    assert payment["partner_transaction_id"] not in r.text


def test_an_order_the_merchant_cancelled_hands_out_no_payment(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth, merchant = placed_order(system, payment_method="virtual_account")
    r = system.commerce.post(
        f"/api/seller/orders/{order['id']}/cancel",
        json={"reason": "Stok habis"},
        headers=bearer(merchant),
    )
    assert r.status_code == 200, r.text
    r = ask_to_pay(system, order, auth)
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == f"order {order['number']} is cancelled: it can no longer be paid"


def test_a_replayed_checkout_of_a_cancelled_order_says_why_it_has_no_payment(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth, _ = placed_order(system, key="lifetime-replay-1", payment_method="qris")
    assert order["payment"]["qris"]
    end_order(system, "buyer cancels", order, auth)
    again = checkout(system, auth, key="lifetime-replay-1", payment_method="qris")
    assert again.status_code == 201, again.text
    replayed = again.json()["orders"][0]
    assert replayed["id"] == order["id"] and replayed["payment"] is None
    assert replayed["payment_error"] == (
        f"order {order['number']} is cancelled: it can no longer be paid"
    )


def test_a_paid_order_answers_the_payment_that_paid_it(
    system: System, partner: SimulatorHarness
) -> None:
    """A buyer asking again after paying (another tab, a late click) sees the paid payment: no
    new payment is made, whatever method is asked for."""
    order, auth, merchant = placed_order(system)
    payment = start_payment(system, order, auth)
    pay_on_partner_page(partner, payment)
    assert (200, "order paid") in deliver(system, partner)
    system.clock.advance(hours=2)  # long after the hold: a paid order keeps no hold
    again = start_payment(system, order, auth)
    assert again == payment | {"status": "paid"}
    r = system.commerce.post(
        f"/api/orders/{order['id']}/payment", json={"method": "qris"}, headers=auth
    )
    assert (r.status_code, r.json()) == (200, again)
    shipped = system.commerce.post(
        f"/api/seller/orders/{order['id']}/ship",
        json={"tracking_number": "JNE-12345678"},
        headers=bearer(merchant),
    )
    assert shipped.status_code == 200, shipped.text
    assert start_payment(system, order, auth) == again
    assert count(system, money_db.PaymentRow) == 1


@pytest.mark.parametrize("minutes", [0, 1, 7 * 24 * 60 + 1])
def test_a_hold_no_payment_could_fit_is_refused_when_commerce_starts(minutes: int) -> None:
    """A hold under 2 minutes leaves no whole minute for a payment after the leeway, and one
    over 7 days outlasts what the partners take: such settings are refused, not served."""
    with pytest.raises(ValidationError, match="hold_minutes"):
        CommerceSettings(hold_minutes=minutes)
    assert CommerceSettings(hold_minutes=2).hold_minutes == 2

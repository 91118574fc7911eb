"""Payments end with their orders when the partner is in trouble: a partner that hangs never
holds a buyer's cancel; the drain and the hold's sweep stop at the first partner out of reach;
one failing request never stops the others; two askers never ask for one request at once; a
refusal is asked again and reported; every try of a payment is ended, stored or not."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from keranjang.commerce.orders import db as order_db
from keranjang.payments import Ending, NewPayment, PaymentEvent, PaymentMethod, PaymentStatus
from keranjang.payments.midtrans import MidtransPartner
from tests.integration.conftest import System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_paying import ledger_balances, start_payment, status_of, unpaid_order
from tests.integration.test_payment_ends import (
    Recording,
    cancel_as_buyer,
    commerce,
    end_request,
    refunds_of,
)
from tests.integration.test_reconciliation import run_command


@contextmanager
def silent_partner() -> Iterator[str]:
    """A partner on a real socket that accepts every connection, reads the request, and never
    answers (until the block ends)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop, accepted = threading.Event(), []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.recv(65536)  # and then nothing

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in accepted:
            conn.close()


def orders_to_end(system: System, n: int) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """`n` unpaid orders of one buyer, each with its payment started at the partner."""
    product = system.product(system.merchant(), price_idr=350_000, stock=10)
    auth = buyer(system)
    placed = []
    for i in range(n):
        put_in_cart(system, auth, product["id"], 1)
        placed_now = checkout(system, auth, key=f"order-number-{i}")
        assert placed_now.status_code == 201, placed_now.text
        order = placed_now.json()["orders"][0]
        start_payment(system, order, auth)
        placed.append((order, auth))
    return placed


class Failing(Recording):
    """The partner, failing in a given way for the given order ids."""

    def __init__(self, partner: Any, failure: Exception, ids: set[str]) -> None:
        super().__init__(partner)
        self.failure, self.ids = failure, ids

    def cancel(self, order_id: str, ending: Ending = Ending.CANCEL) -> Any:
        if order_id in self.ids:
            self.ended.append((order_id, ending))
            raise self.failure
        return super().cancel(order_id, ending)


def test_a_buyer_s_cancel_answers_quickly_while_the_partner_hangs(
    system: System, partner: SimulatorHarness
) -> None:
    """A partner that takes the request and never answers once held the buyer's cancel for
    three tries of ten seconds (30.7 s measured): now it is tried once, for two seconds, and the
    payment is ended later."""
    order, auth = unpaid_order(system)
    start_payment(system, order, auth)
    with silent_partner() as url:
        hanging = MidtransPartner("SB-Mid-server-test", sandbox=True)
        hanging.api_url = hanging.snap_url = url
        commerce(system).payment_ends.partner = hanging
        started = time.monotonic()
        cancel_as_buyer(system, order, auth)
        took = time.monotonic() - started
        hanging.client.close()
    assert took < 10, f"the cancel took {took:.1f} s"
    waiting = end_request(system, order["id"])
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert "Midtrans" in (waiting.outcome or "")
    assert status_of(system, order["id"]) == "cancelled"
    assert partner.partner.status(order["number"]).status is PaymentStatus.PENDING  # for later

    commerce(system).payment_ends.partner = partner.partner
    system.clock.advance(seconds=31)
    assert commerce(system).payment_ends.drain() == 1
    assert partner.partner.status(order["number"]).status is PaymentStatus.CANCELLED


def test_the_drain_stops_at_the_first_partner_out_of_reach(
    system: System, partner: SimulatorHarness
) -> None:
    ends = commerce(system).payment_ends
    ends.partner = partner.unreachable()
    placed = orders_to_end(system, 3)
    for order, auth in placed:
        cancel_as_buyer(system, order, auth)
    ends.partner = away = Recording(partner.unreachable())
    system.clock.advance(seconds=31)
    assert ends.drain() == 0
    assert away.ended == [(placed[0][0]["number"], Ending.CANCEL)]  # one call, not three
    tries = [end_request(system, order["id"]).attempts for order, _ in placed]
    assert tries == [2, 1, 1]  # the others are left due, untouched

    ends.partner = partner.partner
    system.clock.advance(seconds=61)
    assert ends.drain() == 3
    for order, _ in placed:
        assert partner.partner.status(order["number"]).status is PaymentStatus.CANCELLED


def test_the_hold_sweep_stops_asking_at_the_first_partner_out_of_reach(
    system: System, partner: SimulatorHarness
) -> None:
    placed = orders_to_end(system, 2)
    ends = commerce(system).payment_ends
    ends.partner = away = Recording(partner.unreachable())
    system.clock.advance(minutes=31)
    buying = commerce(system).buying
    assert buying.release_expired_holds() == 0  # nothing expires that the partner might have
    assert len(away.ended) == 1
    assert [status_of(system, o["id"]) for o, _ in placed] == ["awaiting_payment"] * 2

    ends.partner = partner.partner
    assert buying.release_expired_holds() == 2
    for order, _ in placed:
        assert status_of(system, order["id"]) == "expired"
        done = end_request(system, order["id"])
        assert done.status == "done" and "recorded: expired" in (done.outcome or "")
        assert partner.partner.status(order["number"]).status is PaymentStatus.EXPIRED
    assert ends.drain() == 0  # ended before the orders expired: nothing left to ask


def test_one_failing_request_does_not_stop_the_others(
    system: System, partner: SimulatorHarness
) -> None:
    ends = commerce(system).payment_ends
    ends.partner = partner.unreachable()
    (first, auth), (second, _) = orders_to_end(system, 2)
    cancel_as_buyer(system, first, auth)
    cancel_as_buyer(system, second, auth)
    refused = IntegrityError("INSERT INTO refunds", {}, Exception("duplicate key value"))
    ends.partner = Failing(partner.partner, refused, {first["number"]})
    system.clock.advance(seconds=31)

    assert ends.drain() == 1
    assert end_request(system, second["id"]).status == "done"
    assert partner.partner.status(second["number"]).status is PaymentStatus.CANCELLED
    failed = end_request(system, first["id"])
    assert (failed.status, failed.attempts) == ("pending", 2)
    assert "IntegrityError" in (failed.outcome or "")
    assert failed.next_at > system.clock.now()  # asked again later, not in a loop
    assert ends.drain() == 0


def test_two_askers_never_ask_for_the_same_request_at_once(
    system: System, partner: SimulatorHarness
) -> None:
    """The quick try after the cancel, and the periodic drain starting while it runs."""
    ends = commerce(system).payment_ends
    order, auth = orders_to_end(system, 1)[0]
    drained: list[int] = []

    class DrainMeanwhile(Recording):
        def cancel(self, order_id: str, ending: Ending = Ending.CANCEL) -> Any:
            if not drained:
                drained.append(ends.drain())  # the periodic job, in the middle of the call
            return super().cancel(order_id, ending)

    ends.partner = asked = DrainMeanwhile(partner.partner)
    cancel_as_buyer(system, order, auth)
    assert drained == [0]
    assert [i for i, _ in asked.ended].count(order["number"]) == 1
    assert end_request(system, order["id"]).status == "done"


def test_two_drains_at_once_ask_for_each_request_once(
    system: System, partner: SimulatorHarness
) -> None:
    ends = commerce(system).payment_ends
    ends.partner = partner.unreachable()
    placed = orders_to_end(system, 3)
    for order, auth in placed:
        cancel_as_buyer(system, order, auth)

    class Slow(Recording):
        def cancel(self, order_id: str, ending: Ending = Ending.CANCEL) -> Any:
            time.sleep(0.2)
            return super().cancel(order_id, ending)

    ends.partner = asked = Slow(partner.partner)
    system.clock.advance(seconds=31)
    results: list[int] = []
    runs = [threading.Thread(target=lambda: results.append(ends.drain())) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=30)
    assert sum(results) == 3
    numbers = [i for i, _ in asked.ended]
    for order, _ in placed:
        assert numbers.count(order["number"]) == 1, numbers
        assert end_request(system, order["id"]).status == "done"


def test_a_refused_end_is_asked_again_and_reported(
    system: System, partner: SimulatorHarness
) -> None:
    """A wrong key (401) is not the end of it: an operator fixes the key, and the payment is
    ended on the next try; meanwhile reconciliation lists it, in its JSON too."""
    ends = commerce(system).payment_ends
    order, auth = orders_to_end(system, 1)[0]
    ends.partner = partner.with_wrong_credentials()
    cancel_as_buyer(system, order, auth)
    refused = end_request(system, order["id"])
    assert (refused.status, refused.attempts) == ("refused", 1)
    assert "401" in (refused.outcome or "")
    report = commerce(system).reconciliation.run()
    [listed] = report.payment_ends
    assert (listed.order_number, listed.status, listed.ending) == (
        order["number"],
        "refused",
        "cancel",
    )
    assert json.loads(json.dumps(report.as_dict()))["payment_ends"][0]["attempts"] == 1

    ends.partner = partner.partner
    system.clock.advance(seconds=31)
    assert ends.drain() == 1
    assert end_request(system, order["id"]).status == "done"
    assert partner.partner.status(order["number"]).status is PaymentStatus.CANCELLED
    assert commerce(system).reconciliation.run().payment_ends == []


def test_a_payment_ending_for_long_is_reported(system: System, partner: SimulatorHarness) -> None:
    ends = commerce(system).payment_ends
    order, auth = orders_to_end(system, 1)[0]
    ends.partner = partner.unreachable()
    cancel_as_buyer(system, order, auth)
    assert commerce(system).reconciliation.run().payment_ends == []  # one try: not yet
    for wait in (31, 61):
        system.clock.advance(seconds=wait)
        ends.drain()
    [stuck] = commerce(system).reconciliation.run().payment_ends
    assert (stuck.order_number, stuck.status, stuck.attempts) == (order["number"], "pending", 3)
    assert "could not be reached" in stuck.outcome


def test_a_try_the_partner_made_but_commerce_never_stored_is_ended(
    system: System, partner: SimulatorHarness
) -> None:
    """The partner made the order's second try, but its answer never reached commerce (it
    timed out); the order is cancelled: both tries are ended at the partner."""
    order, auth = unpaid_order(system)
    start_payment(system, order, auth)
    lost = f"{order['number']}-2"
    partner.partner.create_payment(
        NewPayment(lost, order["total_idr"], PaymentMethod.QRIS, "lost answer")
    )
    cancel_as_buyer(system, order, auth)
    for partner_id in (order["number"], lost):
        assert partner.partner.status(partner_id).status is PaymentStatus.CANCELLED
    assert end_request(system, order["id"]).status == "done"


def test_an_order_whose_only_payment_was_never_stored_has_it_ended(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth = unpaid_order(system)
    partner.partner.create_payment(
        NewPayment(order["number"], order["total_idr"], PaymentMethod.QRIS, "lost answer")
    )
    cancel_as_buyer(system, order, auth)
    assert partner.partner.status(order["number"]).status is PaymentStatus.CANCELLED
    with system.commerce_engine.connect() as conn:
        outcome = conn.scalar(select(order_db.PaymentEndRow.outcome))
    assert (outcome or "").startswith(f"{order['number']} recorded: cancelled"), outcome


def test_two_late_payments_under_one_partner_id_are_each_returned_once(
    system: System, partner: SimulatorHarness
) -> None:
    """A partner may take two payments under one id (Xendit holds reference ids not unique):
    after the order was cancelled, each is booked as owed back and refunded under its own key,
    and each one's news coming again changes nothing."""
    order, auth = unpaid_order(system)
    start_payment(system, order, auth)
    cancel_as_buyer(system, order, auth)
    paying = commerce(system).paying

    def paid(transaction: str) -> PaymentEvent:
        return PaymentEvent(
            order["number"],
            PaymentStatus.PAID,
            order["total_idr"],
            transaction,
            "settlement",
            "200",
            system.clock.now(),
            PaymentMethod.QRIS,
        )

    outcomes = [paying.apply_status(paid(t)) for t in ("trx-1", "trx-2", "trx-1", "trx-2")]
    assert [o.startswith("stray") for o in outcomes] == [True, True, False, False], outcomes
    keys = [key for key, *_ in refunds_of(system, order["id"])]
    assert len(set(keys)) == 2 and all(k.startswith("late-") and len(k) <= 64 for k in keys)
    assert -ledger_balances(system)["stray_payments"] == 2 * order["total_idr"]
    late = commerce(system).reconciliation.run().late_payments
    assert [(p.order_number, p.amount_idr) for p in late] == [
        (order["number"], order["total_idr"])
    ] * 2


def test_the_reconcile_command_lists_a_refused_payment_end(
    system: System, partner: SimulatorHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order, auth = orders_to_end(system, 1)[0]
    commerce(system).payment_ends.partner = partner.with_wrong_credentials()
    cancel_as_buyer(system, order, auth)
    table = run_command(system, partner.partner, tmp_path, monkeypatch)
    assert table.exit_code == 0, table.output
    assert "1 payments of ended orders not yet ended" in table.output
    assert "refused" in table.output
    as_json = run_command(system, partner.partner, tmp_path, monkeypatch, "--json")
    [listed] = json.loads(as_json.stdout)["payment_ends"]
    assert (listed["order_number"], listed["status"], listed["attempts"]) == (
        order["number"],
        "refused",
        1,
    )
    assert "401" in listed["outcome"] and listed["next_at"] > listed["since"]

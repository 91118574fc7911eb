"""Payouts through the payment simulator (Iris' wire format) under its fault switches: the
seller's statement goes from in transit to paid out after the callback; duplicated, forged,
held-and-reordered and dropped callbacks pay each payee once; a failed payout comes back."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keranjang.commerce.money.disbursing import DisbursingService
from keranjang.commerce.money.domain import BankAccount
from keranjang.infra.clock import FixedClock
from keranjang.payments.errors import NotificationRejected
from tests.integration.conftest import System
from tests.integration.partner_disbursements import (
    FAILING_ACCOUNT,
    SimulatorPayouts,
    simulator_payouts,
)
from tests.integration.payment_partners import OPERATOR, SimulatorHarness
from tests.integration.test_money import Shop
from tests.integration.test_payouts import MERCHANT_SHARE, payouts, released_after_window, statement


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    return Shop(system, partner)


@pytest.fixture
def sim_payouts(database_url: Any, clock: FixedClock, tmp_path: Path) -> Iterator[SimulatorPayouts]:
    yield from simulator_payouts(database_url, clock, tmp_path / "payouts")


def ready(shop: Shop, sim: SimulatorPayouts, account: str = "1234567890") -> DisbursingService:
    commerce = shop.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    commerce.payout_accounts.put(shop.m, BankAccount("bca", account, "Siti Rahayu"))
    shop.completed_order()
    assert released_after_window(shop) == 1
    svc = payouts(shop)
    return DisbursingService(svc.sessions, svc.clock, sim.adapter())


def figures(shop: Shop) -> dict[str, int]:
    s = statement(shop).json()
    return {
        "in_transit": s["in_transit_idr"],
        "paid_out": s["paid_out_idr"],
        "payable": s["closing"]["payable_idr"],
    }


def faults(sim: SimulatorPayouts, **switches: Any) -> None:
    r = sim.client.put(
        "/admin/faults", json=switches, headers={"Authorization": f"Bearer {OPERATOR}"}
    )
    assert r.status_code == 200, r.text


def deliver(svc: DisbursingService, callbacks: list[tuple[dict[str, str], bytes]]) -> list[str]:
    """Each callback handed to commerce as received; what each came to."""
    outcomes = []
    for headers, body in callbacks:
        try:
            settled = svc.notified(headers, body)
            outcomes.append(settled.status if settled else "unknown")
        except NotificationRejected:
            outcomes.append("rejected")
    return outcomes


def test_a_payout_through_the_simulator_goes_from_in_transit_to_paid_out(
    shop: Shop, sim_payouts: SimulatorPayouts
) -> None:
    svc = ready(shop, sim_payouts)
    svc.run_batch()
    [sent] = svc.send_due()
    assert sent.status == "sent"
    assert figures(shop) == {"in_transit": MERCHANT_SHARE, "paid_out": 0, "payable": 0}
    assert deliver(svc, sim_payouts.run()) == ["completed"]
    assert figures(shop) == {"in_transit": 0, "paid_out": MERCHANT_SHARE, "payable": 0}


def test_duplicated_forged_reordered_and_dropped_callbacks_pay_once(
    shop: Shop, sim_payouts: SimulatorPayouts
) -> None:
    svc = ready(shop, sim_payouts)
    svc.run_batch()
    svc.send_due()
    faults(sim_payouts, duplicate=3, forge=True, reorder=True)
    assert sim_payouts.run() == []  # held
    released = sim_payouts.client.post(
        "/admin/payouts/release", headers={"Authorization": f"Bearer {OPERATOR}"}
    )
    assert released.json() == {"released": 2}  # the callback and its forgery
    outcomes = deliver(svc, sim_payouts.run())
    assert sorted(outcomes) == ["completed"] * 3 + ["rejected"] * 3
    assert figures(shop) == {"in_transit": 0, "paid_out": MERCHANT_SHARE, "payable": 0}
    assert shop.balances()["partner_clearing:midtrans"] == -MERCHANT_SHARE


def test_a_dropped_callback_is_closed_by_the_look_up_and_a_failed_payout_comes_back(
    shop: Shop, sim_payouts: SimulatorPayouts
) -> None:
    svc = ready(shop, sim_payouts, account=FAILING_ACCOUNT)
    svc.run_batch()
    svc.send_due()
    faults(sim_payouts, drop_next=1)
    assert sim_payouts.run() == []  # dropped
    assert figures(shop)["in_transit"] == MERCHANT_SHARE
    [back] = svc.reconcile()
    assert back.status == "failed" and "Account does not exist" in back.failure
    assert figures(shop) == {"in_transit": 0, "paid_out": 0, "payable": MERCHANT_SHARE}

"""Reconciliation against the payment simulator: a lost notification is paid once, a late one
then is a duplicate, ended payments are recorded, refunds left at the partner are retried, and
what disagrees is reported (by the service, the operators' endpoint and the command) and left
alone."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from structlog.testing import capture_logs
from typer.testing import CliRunner

from keranjang import cli
from keranjang.cli import reconcile as reconcile_command
from keranjang.commerce import bootstrap
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.payment_ends import EXPIRY_GRACE
from keranjang.commerce.money.reconciliation import ReconciliationService, Report
from keranjang.payments import PaymentPartner, RefundRequest
from tests.integration.conftest import System, bearer
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_money import PRICE, SHIPPING, Shop, _created, status
from tests.integration.test_paying import paid_events

TOTAL = 2 * PRICE + SHIPPING


@pytest.fixture
def reconciliation(system: System, partner: SimulatorHarness) -> ReconciliationService:
    svc: ReconciliationService = system.commerce.app.state.commerce.reconciliation  # type: ignore[attr-defined]
    svc.partner = partner.partner
    return svc


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    return Shop(system, partner)


def unpaid_order(shop: Shop, email: str = "pembeli@example.com") -> dict[str, Any]:
    auth = buyer(shop.system, email)
    put_in_cart(shop.system, auth, shop.product["id"], 2)
    r = checkout(shop.system, auth, payment_method="virtual_account")
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()["orders"][0]
    return order | {"auth": auth}


def pay_at_partner(shop: Shop, order: dict[str, Any]) -> None:
    paid = shop.partner.pay(_created(shop.partner, order["payment"]))
    assert paid.status_code in (302, 303), paid.text


def ledger_entries(system: System) -> int:
    with Session(system.commerce_engine) as s:
        return s.scalar(select(func.count()).select_from(money_db.LedgerEntryRow)) or 0


def payment_status(system: System, order_id: int) -> str:
    with Session(system.commerce_engine) as s:
        return s.scalars(
            select(money_db.PaymentRow.status).where(money_db.PaymentRow.order_id == order_id)
        ).one()


# settling what was missed ---------------------------------------------------------------------
def test_a_payment_whose_notification_was_lost_is_paid_once(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    shop.partner.set_faults(drop_probability=1.0)
    order = unpaid_order(shop)
    pay_at_partner(shop, order)
    assert shop.partner.delivered() == []
    assert status(shop.system, order["id"]) == "awaiting_payment"

    report = reconciliation.run()
    assert (report.checked, report.settled, report.disagreements) == (1, 1, [])
    assert status(shop.system, order["id"]) == "paid"
    assert shop.balances()["escrow"] == -TOTAL
    assert reconciliation.run().settled == 0
    assert paid_events(shop.system, order["id"]) == 1


def test_a_notification_arriving_after_reconciliation_is_a_duplicate(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    shop.partner.set_faults(delay_seconds=600)
    order = unpaid_order(shop)
    pay_at_partner(shop, order)
    assert reconciliation.run().settled == 1
    shop.system.clock.advance(seconds=600)
    outcomes = []
    for note in shop.partner.delivered():
        r = shop.system.commerce.post(
            "/payments/notifications", content=note.body, headers={"content-type": "x"}
        )
        outcomes.append(r.json()["outcome"])
    assert "duplicate: already handled" in outcomes
    assert "order paid" not in outcomes
    assert paid_events(shop.system, order["id"]) == 1
    assert ledger_entries(shop.system) == 1


def test_a_payment_the_partner_expired_is_recorded(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    shop.partner.set_faults(drop_probability=1.0)
    order = unpaid_order(shop)
    shop.partner.service.expire(order["number"])
    report = reconciliation.run()
    assert (report.recorded, report.settled, report.disagreements) == (1, 0, [])
    assert payment_status(shop.system, order["id"]) == "expired"
    assert reconciliation.run().recorded == 0


def test_a_refund_left_at_an_unreachable_partner_is_asked_for_again(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    order = shop.paid_order()
    refunds = shop.system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    refunds.partner = shop.partner.unreachable()
    assert shop.refund(order).status_code == 202
    refunds.partner = shop.partner.partner
    report = reconciliation.run()
    assert (report.refunds_settled, report.disagreements) == (1, [])
    assert status(shop.system, order["id"]) == "refunded"
    assert shop.balances().get("escrow", 0) == 0


# reporting what disagrees, changing nothing ---------------------------------------------------
def test_money_taken_for_an_expired_order_is_returned_to_the_buyer(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    """The buyer paid after the hold expired and the notification was lost: reconciliation
    applies the payment as its notification would have been (owed back, a refund queued), the
    next run returns it, and then everything agrees."""
    shop.partner.set_faults(drop_probability=1.0)
    order = unpaid_order(shop)
    pay_at_partner(shop, order)
    state = shop.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    state.payment_ends.partner = shop.partner.unreachable()  # expiring the payment fails too
    shop.system.clock.advance(minutes=31)
    assert state.buying.release_expired_holds() == 0  # the partner cannot say: left due
    assert status(shop.system, order["id"]) == "awaiting_payment"
    shop.system.clock.advance(
        seconds=EXPIRY_GRACE.total_seconds()
    )  # so long that the stock is let go all the same
    assert state.buying.release_expired_holds() == 1

    first = reconciliation.run()
    assert (first.settled, first.disagreements) == (1, [])
    assert status(shop.system, order["id"]) == "expired"
    assert -shop.balances()["stray_payments"] == TOTAL
    second = reconciliation.run()
    assert second.refunds_settled == 1 and second.disagreements == []
    assert shop.partner.partner.status(order["number"]).refunded_amount == TOTAL
    assert shop.balances().get("stray_payments", 0) == 0
    third = reconciliation.run()
    assert (third.settled, third.refunds_settled, third.disagreements) == (0, 0, [])


def test_a_refund_commerce_does_not_know_of_is_reported(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    order = shop.paid_order()
    shop.partner.partner.refund(RefundRequest(order["number"], "made-at-the-partner", 50_000))
    before = shop.balances()
    (found,) = reconciliation.run().disagreements
    assert found.commerce == f"order paid, Rp{TOTAL}"
    assert (
        found.partner
        == f"partially_refunded, Rp{TOTAL}, Rp50000 refunded: the refunded sums differ"
    )
    assert shop.balances() == before
    assert status(shop.system, order["id"]) == "paid"


def test_an_unreachable_partner_is_counted_not_fatal(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    shop.paid_order()
    reconciliation.partner = shop.partner.unreachable()
    report = reconciliation.run()
    assert (report.checked, report.unreachable, report.disagreements) == (0, 1, [])


def test_an_order_the_database_refuses_does_not_stop_the_others(
    shop: Shop, reconciliation: ReconciliationService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two lost payments; storing the first one's news fails this run (a row stored at the same
    moment by another request, say). The second order is still paid, and the next run pays the
    first."""
    shop.partner.set_faults(drop_probability=1.0)
    first, second = unpaid_order(shop), unpaid_order(shop, "kedua@example.com")
    pay_at_partner(shop, first)
    pay_at_partner(shop, second)
    apply_status = reconciliation.paying.apply_status

    def refused_for_the_first(event: Any) -> str:
        if event.order_id == first["number"]:
            raise OperationalError("INSERT INTO payment_events", {}, Exception("conflict"))
        return apply_status(event)

    monkeypatch.setattr(reconciliation.paying, "apply_status", refused_for_the_first)
    report = reconciliation.run()
    assert (report.settled, report.failed, report.disagreements) == (1, 1, [])
    assert status(shop.system, first["id"]) == "awaiting_payment"
    assert status(shop.system, second["id"]) == "paid"

    monkeypatch.setattr(reconciliation.paying, "apply_status", apply_status)
    again = reconciliation.run()
    assert (again.settled, again.failed) == (1, 0)
    assert status(shop.system, first["id"]) == "paid"


def test_only_recent_payments_are_looked_at_when_asked(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    from datetime import timedelta

    shop.paid_order()
    shop.system.clock.advance(days=3)
    assert reconciliation.run(timedelta(days=2)).checked == 0
    assert reconciliation.run().checked == 1


# the operators' endpoint and the command ------------------------------------------------------
def test_operators_reconcile_through_the_api(
    shop: Shop, reconciliation: ReconciliationService
) -> None:
    order = shop.paid_order()
    shop.partner.partner.refund(RefundRequest(order["number"], "made-at-the-partner", 50_000))
    r = shop.system.commerce.post("/api/admin/reconciliation", headers=shop.system.operator())
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["checked"], body["settled"], body["unreachable"]) == (1, 0, 0)
    assert [d["order_number"] for d in body["disagreements"]] == [order["number"]]
    forbidden = shop.system.commerce.post(
        "/api/admin/reconciliation", headers=bearer(shop.merchant)
    )
    assert forbidden.status_code == 401
    assert shop.system.commerce.post("/api/admin/reconciliation?since_hours=0").status_code == 401


def run_command(
    system: System,
    partner: PaymentPartner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
) -> Any:
    url = system.commerce_engine.url.render_as_string(hide_password=False)
    chosen: Callable[..., PaymentPartner] = lambda *_: partner  # noqa: E731
    monkeypatch.setattr(bootstrap, "default_partner", chosen)
    # The command sets the process's logging up; here the test's stays, and logs are captured.
    monkeypatch.setattr(reconcile_command, "log_to_stderr", lambda level: None)
    env = {"KERANJANG_COMMERCE_DATABASE_URL": url, "KERANJANG_DATA_DIR": str(tmp_path)}
    with capture_logs():
        return CliRunner().invoke(cli.app, ["reconcile", *args], env=env)


def test_the_command_exits_1_when_anything_disagrees(
    shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = shop.paid_order()
    agreed = run_command(shop.system, shop.partner.partner, tmp_path, monkeypatch)
    assert agreed.exit_code == 0, agreed.output
    assert "agree" in agreed.output

    shop.partner.partner.refund(RefundRequest(order["number"], "made-at-the-partner", 50_000))
    table = run_command(shop.system, shop.partner.partner, tmp_path, monkeypatch)
    assert table.exit_code == 1, table.output
    assert order["number"] in table.output and "1 disagreements" in table.output
    as_json = run_command(shop.system, shop.partner.partner, tmp_path, monkeypatch, "--json")
    assert as_json.exit_code == 1
    report = Report(**json.loads(as_json.stdout))
    assert report.checked == 1
    assert report.disagreements[0]["order_number"] == order["number"]  # type: ignore[index]

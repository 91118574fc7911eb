"""An order's payment attempts that commerce never stored: the partner holds attempts `<number>`,
`<number>-2`, … and commerce one row per order, so an attempt made while commerce died, or by
the loser of two `start`s racing, is known to the partner alone. Whatever its news, and however
it comes (a notification, another notification of the same payment, a status lookup), the buyer
pays an order once: a paid attempt pays the unpaid order, a second payment is owed back and
returned, and the payment that paid the order is never taken for a second one."""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.paying import MAX_ATTEMPTS, PayingService
from keranjang.commerce.money.reconciliation import ATTEMPTS_MARGIN, ReconciliationService
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.web.api.views import payment_out
from keranjang.payments import (
    CreatedPayment,
    PaymentEvent,
    PaymentMethod,
    PaymentPartner,
    PaymentStatus,
    UnknownPayment,
)
from tests.integration.conftest import System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_money import Shop, status
from tests.integration.test_paying import hold, paid_events
from tests.integration.test_reconciliation import TOTAL, pay_at_partner, unpaid_order


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    return Shop(system, partner)


def paying(shop: Shop) -> PayingService:
    svc: PayingService = shop.system.commerce.app.state.commerce.paying  # type: ignore[attr-defined]
    return svc


def reconciliation(shop: Shop) -> ReconciliationService:
    svc: ReconciliationService = shop.system.commerce.app.state.commerce.reconciliation  # type: ignore[attr-defined]
    return svc


def orphan(shop: Shop, order: dict[str, Any], attempt: int) -> CreatedPayment:
    """An attempt the partner made for the order and commerce never stored."""
    svc = paying(shop)
    partner_id = order["number"] if attempt == 1 else f"{order['number']}-{attempt}"
    return svc.partner.create_payment(
        svc._new_payment(order["id"], partner_id, TOTAL, PaymentMethod.VIRTUAL_ACCOUNT, hold(order))
    )


def payment_row(shop: Shop, order_id: int) -> tuple[int, str, str] | None:
    """The order's payment as commerce stored it: attempt, transaction, status."""
    with Session(shop.system.commerce_engine) as s:
        row = s.scalar(select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order_id))
        return None if row is None else (row.attempt, row.partner_transaction_id, row.status)


def refunds(shop: Shop, order_id: int) -> list[tuple[str, str | None, int, str]]:
    with Session(shop.system.commerce_engine) as s:
        r = money_db.RefundRow
        rows = s.execute(
            select(r.stage, r.partner_order_id, r.amount_idr, r.status)
            .where(r.order_id == order_id)
            .order_by(r.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def settlement(shop: Shop) -> bytes:
    """The one settlement notification the partner sends now (others it sends are dropped)."""
    (note,) = [
        n for n in shop.partner.delivered() if n.json()["transaction_status"] == "settlement"
    ]
    return note.body


def capture_of(settlement: bytes) -> bytes:
    """The same payment announced as a card capture fraud detection accepted (same signed
    order id, code and amount: as genuine as the settlement)."""
    capture = json.loads(settlement) | {"transaction_status": "capture"}
    assert capture["fraud_status"] == "accept" and capture["status_code"] == "200"
    return json.dumps(capture).encode()


def send(shop: Shop, body: bytes) -> str:
    r = shop.system.commerce.post(
        "/payments/notifications", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["outcome"])


# Bug A: reconciliation looks at every attempt the partner holds -------------------------------
def test_a_paid_attempt_never_stored_whose_notification_was_lost_is_returned_to_the_buyer(
    shop: Shop,
) -> None:
    """The order is paid through its stored attempt; the buyer also paid an attempt commerce
    never stored, and that notification was lost. Reconciliation finds it, books it as owed
    back, returns it, and then everything agrees."""
    order = unpaid_order(shop)
    second = orphan(shop, order, 2)
    pay_at_partner(shop, order)
    shop.deliver()
    assert status(shop.system, order["id"]) == "paid"
    shop.partner.set_faults(drop_probability=1.0)
    shop.partner.pay(second)
    assert shop.partner.delivered() == []

    first = reconciliation(shop).run()
    assert (first.checked, first.settled, first.disagreements) == (2, 1, [])
    assert status(shop.system, order["id"]) == "paid"
    assert shop.owed("escrow") == TOTAL
    assert shop.owed("stray_payments") == TOTAL
    assert refunds(shop, order["id"]) == [("stray", second.order_id, TOTAL, "requested")]

    again = reconciliation(shop).run()
    assert (again.refunds_settled, again.settled, again.disagreements) == (1, 0, [])
    assert shop.partner.partner.status(second.order_id).refunded_amount == TOTAL
    assert shop.partner.partner.status(order["number"]).refunded_amount == 0
    assert shop.owed("stray_payments") == 0 and shop.owed("escrow") == TOTAL

    last = reconciliation(shop).run()
    assert (last.checked, last.settled, last.refunds_settled, last.disagreements) == (2, 0, 0, [])
    assert paid_events(shop.system, order["id"]) == 1


def test_a_paid_attempt_never_stored_pays_its_unpaid_order_and_one_below_is_returned(
    shop: Shop,
) -> None:
    """Two `start`s raced: commerce stored attempt 1, the partner also holds attempt 2, which
    the buyer paid, its notification lost. Reconciliation pays the order with it. Then the buyer
    pays attempt 1 as well, notification lost again: that one is owed back."""
    shop.partner.set_faults(drop_probability=1.0)
    order = unpaid_order(shop)
    second = orphan(shop, order, 2)
    shop.partner.pay(second)
    assert shop.partner.delivered() == []
    assert status(shop.system, order["id"]) == "awaiting_payment"

    first = reconciliation(shop).run()
    assert (first.checked, first.settled, first.disagreements) == (2, 1, [])
    assert status(shop.system, order["id"]) == "paid"
    assert shop.owed("escrow") == TOTAL and shop.owed("stray_payments") == 0
    assert payment_row(shop, order["id"]) == (2, second.partner_transaction_id, "paid")
    quiet = reconciliation(shop).run()  # attempt 1, still pending, is nothing to report
    assert (quiet.checked, quiet.settled, quiet.recorded, quiet.disagreements) == (2, 0, 0, [])

    pay_at_partner(shop, order)
    third = reconciliation(shop).run()
    assert (third.settled, third.disagreements) == (1, [])
    assert shop.owed("stray_payments") == TOTAL and shop.owed("escrow") == TOTAL
    assert refunds(shop, order["id"]) == [("stray", order["number"], TOTAL, "requested")]
    assert reconciliation(shop).run().refunds_settled == 1
    assert shop.partner.partner.status(order["number"]).refunded_amount == TOTAL
    assert shop.partner.partner.status(second.order_id).refunded_amount == 0
    assert shop.owed("stray_payments") == 0
    assert status(shop.system, order["id"]) == "paid"
    assert paid_events(shop.system, order["id"]) == 1


@dataclass
class KnowsEveryId:
    """A misbehaving partner: any order id it does not hold, it answers as a pending payment."""

    real: PaymentPartner
    asked: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.real.name

    def status(self, order_id: str) -> PaymentEvent:
        self.asked.append(order_id)
        try:
            return self.real.status(order_id)
        except UnknownPayment:
            known = self.real.status(order_id.rpartition("-")[0])
            return PaymentEvent(
                order_id=order_id,
                status=PaymentStatus.PENDING,
                gross_amount=known.gross_amount,
                partner_transaction_id=f"made-up-{order_id}",
                partner_status="pending",
                status_code="201",
                occurred_at=known.occurred_at,
            )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_partner_that_knows_every_attempt_id_cannot_keep_reconciliation_going(
    shop: Shop,
) -> None:
    order = unpaid_order(shop)
    svc = reconciliation(shop)
    liar = KnowsEveryId(svc.partner)
    svc.partner = liar  # type: ignore[assignment]
    report = svc.run()
    most = 1 + MAX_ATTEMPTS + ATTEMPTS_MARGIN
    assert len(liar.asked) == most == report.checked
    (found,) = report.disagreements
    assert found.order_number == order["number"]
    assert found.partner.startswith(f"holds payments up to {order['number']}-{most} and beyond")
    assert status(shop.system, order["id"]) == "awaiting_payment"
    assert shop.balances() == {}


@dataclass
class HidesAnId:
    """A partner whose status API does not know one id it holds, as Midtrans does not know a
    Snap payment until its buyer picks a way to pay."""

    real: PaymentPartner
    hidden: str

    @property
    def name(self) -> str:
        return self.real.name

    def status(self, order_id: str) -> PaymentEvent:
        if order_id == self.hidden:
            raise UnknownPayment(f"404 transaction {order_id} does not exist", 404)
        return self.real.status(order_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_lost_payment_of_the_stored_attempt_is_found_behind_an_id_the_partner_does_not_know(
    shop: Shop,
) -> None:
    """Attempt 1 is a payment the partner's status API does not know; the stored attempt 2 is
    paid and its notification lost. Reconciliation still looks attempt 2 up and pays the order."""
    order = unpaid_order(shop)
    svc = paying(shop)
    expired = shop.partner.client.post(  # attempt 1 ends unpaid: the buyer starts another
        f"/admin/transactions/{order['number']}/expire", headers=shop.partner.operator()
    )
    assert expired.status_code == 200, expired.text
    shop.deliver()
    with Session(shop.system.commerce_engine) as s:
        buyer_id = s.get_one(order_db.OrderRow, order["id"]).buyer_id
    second = svc.start(buyer_id, order["id"], PaymentMethod.VIRTUAL_ACCOUNT)
    assert payment_row(shop, order["id"])[0] == 2  # type: ignore[index]
    shop.partner.set_faults(drop_probability=1.0)
    pay_at_partner(shop, order | {"payment": payment_out(second).model_dump(mode="json")})
    assert status(shop.system, order["id"]) == "awaiting_payment"

    recon = reconciliation(shop)
    recon.partner = HidesAnId(svc.partner, order["number"])  # type: ignore[assignment]
    report = recon.run()
    assert (report.settled, report.disagreements) == (1, [])
    assert status(shop.system, order["id"]) == "paid"
    assert shop.owed("escrow") == TOTAL


# Bug B: news of the payment that paid an order it had no row for -----------------------------
def unstored_payment(shop: Shop) -> tuple[dict[str, Any], CreatedPayment]:
    """An order checked out to pay later, whose payment the partner made while commerce died
    before storing it: commerce holds no payment row for it."""
    auth = buyer(shop.system, "pembeli@example.com")
    put_in_cart(shop.system, auth, shop.product["id"], 2)
    r = checkout(shop.system, auth)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()["orders"][0]
    assert order["total_idr"] == TOTAL
    assert payment_row(shop, order["id"]) is None
    return order, orphan(shop, order, 1)


def test_a_card_capture_then_its_settlement_pay_an_order_without_a_payment_row_once(
    shop: Shop,
) -> None:
    """Midtrans announces a card payment twice, `capture` then `settlement` (Xendit an
    invoice's PAID then SETTLED): one transaction, two dedupe keys. The first pays the order;
    the second is news of the same payment, never a second one returned to the buyer."""
    order, created = unstored_payment(shop)
    shop.partner.pay(created)
    settled = settlement(shop)

    assert send(shop, capture_of(settled)) == "order paid"
    assert send(shop, settled) == "noted: order is already paid"

    assert status(shop.system, order["id"]) == "paid"
    assert shop.owed("escrow") == TOTAL
    assert shop.owed("stray_payments") == 0
    assert refunds(shop, order["id"]) == []
    assert payment_row(shop, order["id"]) == (1, created.partner_transaction_id, "paid")
    report = reconciliation(shop).run()
    assert (report.checked, report.settled, report.refunds_settled) == (1, 0, 0)
    assert report.disagreements == []
    assert shop.partner.partner.status(order["number"]).refunded_amount == 0
    assert paid_events(shop.system, order["id"]) == 1


def test_a_payment_stored_after_another_attempt_paid_the_order_does_not_replace_it(
    shop: Shop,
) -> None:
    """Two `start`s race: the buyer pays the loser's attempt and its notification pays the
    order before the winner stores its own. The winner's row does not replace the payment that
    paid, so later news of that payment is no second payment, and the winner's attempt paid as
    well is the one owed back."""
    order, created = unstored_payment(shop)
    winner = orphan(shop, order, 2)
    shop.partner.pay(created)
    settled = settlement(shop)
    assert send(shop, settled) == "order paid"

    kept = paying(shop)._keep(order["id"], winner, 2, None)
    assert (kept.partner_transaction_id, kept.status) == (
        created.partner_transaction_id,
        "paid",
    )
    assert send(shop, capture_of(settled)) == "noted: order is already paid"
    assert shop.owed("stray_payments") == 0 and refunds(shop, order["id"]) == []

    shop.partner.pay(winner)
    assert send(shop, settlement(shop)).startswith("stray")
    assert reconciliation(shop).run().refunds_settled == 1
    assert shop.partner.partner.status(winner.order_id).refunded_amount == TOTAL
    assert shop.partner.partner.status(order["number"]).refunded_amount == 0
    assert shop.owed("escrow") == TOTAL and shop.owed("stray_payments") == 0
    with Session(shop.system.commerce_engine) as s:
        assert (
            s.scalar(select(func.count()).where(money_db.PaymentRow.order_id == order["id"])) == 1
        )
    assert status(shop.system, order["id"]) == "paid"

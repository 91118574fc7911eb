"""Orders moved from the old in-app shop keep their `LGC-…` numbers, so the payments social had
started at the partner under those ids keep resolving in commerce: a buyer who pays after the
cutover pays the order once, found by reconciliation (the service and `keranjang reconcile`),
with the ledger balanced; the partner's notification of it is then a duplicate; a payment the
partner ended is replaced by the next attempt, `LGC-…-2`.

The rows are written here the way the migration engine writes them: straight into commerce's
tables (commerce has no import API; the engine is the one code allowed to write them)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keranjang.commerce.buying.accounts import AccountService
from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.payment_news import order_number_and_attempt, partner_order_id
from keranjang.commerce.money.reconciliation import ReconciliationService
from keranjang.commerce.orders import db as order_db
from keranjang.payments import CreatedPayment, NewPayment, PaymentMethod
from tests.integration.conftest import System, bearer
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import ADDRESS
from tests.integration.test_reconciliation import run_command

PRICE, SHIPPING = 350_000, 15_000
TOTAL = 2 * PRICE + SHIPPING
NUMBER = "LGC-3F2A9C01B7E4D655"


@dataclass
class MovedShop:
    """A merchant moved into commerce with one product, and the partner social used."""

    system: System
    partner: SimulatorHarness
    merchant: dict[str, Any]
    product: dict[str, Any]

    @property
    def accounts(self) -> AccountService:
        svc: AccountService = self.system.commerce.app.state.commerce.accounts  # type: ignore[attr-defined]
        return svc

    @property
    def reconciliation(self) -> ReconciliationService:
        svc: ReconciliationService = self.system.commerce.app.state.commerce.reconciliation  # type: ignore[attr-defined]
        return svc

    def legacy_payment(self, number: str = NUMBER, paid: bool = False) -> CreatedPayment:
        """The payment social asked the partner for, under the legacy order number."""
        created = self.partner.partner.create_payment(
            NewPayment(
                order_id=number,
                gross_amount=TOTAL,
                method=PaymentMethod.VIRTUAL_ACCOUNT,
                description=f"Order {number}",
                expires_in=timedelta(minutes=30),
            )
        )
        if paid:
            self.pay(created)
        return created

    def pay(self, created: CreatedPayment) -> None:
        answer = self.partner.pay(created)
        assert answer.status_code in (302, 303), answer.text

    def move_order(self, created: CreatedPayment, status: str = "awaiting_payment") -> int:
        """The order as the engine copies it: the buyer's unclaimed account, the order under its
        legacy number with its line, hold and history, and its payment row."""
        buyer = self.accounts.open_unclaimed("ibu.sari@example.com", "Ibu Sari", "081234567890")
        now = self.system.clock.now()
        with Session(self.system.commerce_engine) as s, s.begin():
            number, _ = order_number_and_attempt(created.order_id)
            order = order_db.OrderRow(
                number=number,
                buyer_id=buyer,
                merchant_id=self.merchant["id"],
                status=status,
                subtotal_idr=2 * PRICE,
                shipping_idr=SHIPPING,
                total_idr=TOTAL,
                shipping_address=json.dumps(ADDRESS),
                hold_expires_at=created.expires_at + timedelta(seconds=30),
                created_at=now - timedelta(minutes=5),
                updated_at=now,
                platform_fee_bp=500,
            )
            s.add(order)
            s.flush()
            self._lines_and_history(s, order, now)
            s.add(payment_row(order.id, created, "paid" if status != "awaiting_payment" else None))
            return order.id

    def _lines_and_history(self, s: Session, order: order_db.OrderRow, now: datetime) -> None:
        product = self.product["id"]
        s.add(
            order_db.OrderLineRow(
                order_id=order.id,
                product_id=product,
                title="Batik",
                unit_price_idr=PRICE,
                quantity=2,
            )
        )
        s.add(
            order_db.StockHoldRow(
                order_id=order.id, product_id=product, quantity=2, expires_at=order.hold_expires_at
            )
        )
        s.get_one(ProductRow, product).stock -= 2  # the legacy stock already held these units
        states = [None, "awaiting_payment"] + (["paid"] if order.status == "paid" else [])
        for before, after in pairwise(states):
            s.add(
                order_db.OrderEventRow(
                    order_id=order.id,
                    from_status=before,
                    to_status=after,
                    actor="migration:legacy",
                    reason="",
                    at=now,
                )
            )


def payment_row(order_id: int, created: CreatedPayment, status: str | None) -> Any:
    instructions = {
        "redirect_url": created.redirect_url,
        "virtual_account": None,
        "qris": None,
        "expires_at": created.expires_at.isoformat(),
    }
    return money_db.PaymentRow(
        order_id=order_id,
        attempt=order_number_and_attempt(created.order_id)[1],
        partner="simulator",
        partner_transaction_id=created.partner_transaction_id,
        method=created.method.value,
        amount_idr=created.gross_amount,
        status=status or created.status.value,
        instructions=json.dumps(instructions),
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )


def moved_shop(system: System, partner: SimulatorHarness) -> MovedShop:
    merchant = system.merchant()
    product = system.product(merchant, price_idr=PRICE, stock=10)
    return MovedShop(system, partner, merchant, product)


@pytest.fixture
def moved(system: System, partner: SimulatorHarness) -> MovedShop:
    return moved_shop(system, partner)


def order_status(system: System, order_id: int) -> str:
    with Session(system.commerce_engine) as s:
        return s.get_one(order_db.OrderRow, order_id).status


def books(system: System) -> dict[str, int]:
    with Session(system.commerce_engine) as s:
        debits, credits = money_db.totals(s)
        assert debits == credits
        return money_db.balances(s)


def entries_of(system: System, order_id: int) -> list[str]:
    with Session(system.commerce_engine) as s:
        e = money_db.LedgerEntryRow
        return list(s.scalars(select(e.ref).where(e.order_id == order_id).order_by(e.id)))


def test_legacy_numbers_name_the_partners_attempts() -> None:
    assert order_number_and_attempt(NUMBER) == (NUMBER, 1)
    assert order_number_and_attempt(f"{NUMBER}-2") == (NUMBER, 2)
    assert partner_order_id(NUMBER, 3) == f"{NUMBER}-3"


def test_a_payment_started_in_the_app_and_paid_after_the_cutover_pays_once(
    moved: MovedShop,
) -> None:
    moved.partner.set_faults(drop_probability=1.0)  # social's notification never reaches us
    created = moved.legacy_payment()
    order_id = moved.move_order(created)
    moved.pay(created)
    assert order_status(moved.system, order_id) == "awaiting_payment"

    report = moved.reconciliation.run()
    assert (report.checked, report.settled, report.disagreements) == (1, 1, [])
    assert order_status(moved.system, order_id) == "paid"
    assert entries_of(moved.system, order_id) == [f"payment:{order_id}"]
    balances = books(moved.system)
    assert balances["escrow"] == -TOTAL
    assert balances["partner_clearing:simulator"] + balances["partner_fees"] == TOTAL

    again = moved.reconciliation.run()
    assert (again.settled, again.disagreements) == (0, [])
    assert books(moved.system) == balances
    with Session(moved.system.commerce_engine) as s:
        invoices = s.scalar(
            select(func.count())
            .select_from(order_db.InvoiceRow)
            .where(order_db.InvoiceRow.order_id == order_id)
        )
    assert invoices == 1


def test_the_partners_late_notification_of_it_is_a_duplicate(moved: MovedShop) -> None:
    moved.partner.set_faults(delay_seconds=600)
    created = moved.legacy_payment()
    order_id = moved.move_order(created)
    moved.pay(created)
    assert moved.reconciliation.run().settled == 1
    moved.system.clock.advance(seconds=600)
    outcomes = []
    for note in moved.partner.delivered():
        r = moved.system.commerce.post(
            "/payments/notifications", content=note.body, headers={"content-type": "x"}
        )
        outcomes.append(r.json()["outcome"])
    assert "order paid" not in outcomes and not any(o.startswith("stray") for o in outcomes)
    assert entries_of(moved.system, order_id) == [f"payment:{order_id}"]


def test_keranjang_reconcile_pays_the_moved_order_once(
    moved: MovedShop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved.partner.set_faults(drop_probability=1.0)
    created = moved.legacy_payment()
    order_id = moved.move_order(created)
    moved.pay(created)
    first = run_command(moved.system, moved.partner.partner, tmp_path, monkeypatch, "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["settled"] == 1
    second = run_command(moved.system, moved.partner.partner, tmp_path, monkeypatch, "--json")
    assert json.loads(second.stdout)["settled"] == 0
    assert order_status(moved.system, order_id) == "paid"
    assert books(moved.system)["escrow"] == -TOTAL


def test_a_moved_order_whose_payment_ended_is_paid_through_the_next_attempt(
    moved: MovedShop,
) -> None:
    created = moved.legacy_payment()
    order_id = moved.move_order(created)
    moved.partner.service.expire(NUMBER)
    moved.partner.set_faults(drop_probability=1.0)
    assert moved.reconciliation.run().recorded == 1

    buyer = moved.accounts.issue_claim_link(_buyer_of(moved.system, order_id))
    session = moved.system.commerce.post(
        "/api/buyers/claims", json={"token": buyer, "password": "kata-sandi-baru"}
    )
    assert session.status_code == 201, session.text
    auth = bearer(session.json())
    r = moved.system.commerce.post(
        f"/api/orders/{order_id}/payment", json={"method": "virtual_account"}, headers=auth
    )
    assert r.status_code == 200, r.text
    assert r.json()["partner_transaction_id"] != created.partner_transaction_id
    retry = CreatedPayment(
        order_id=f"{NUMBER}-2",
        partner_transaction_id=r.json()["partner_transaction_id"],
        status=created.status,
        gross_amount=TOTAL,
        method=PaymentMethod.VIRTUAL_ACCOUNT,
        expires_at=datetime.fromisoformat(r.json()["expires_at"]),
        redirect_url=r.json()["redirect_url"],
    )
    moved.pay(retry)
    report = moved.reconciliation.run()
    assert (report.settled, report.disagreements) == (1, [])
    assert order_status(moved.system, order_id) == "paid"
    assert books(moved.system)["escrow"] == -TOTAL


def _buyer_of(system: System, order_id: int) -> int:
    with Session(system.commerce_engine) as s:
        return s.get_one(order_db.OrderRow, order_id).buyer_id

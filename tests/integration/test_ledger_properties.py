"""Random sequences of payments, deliveries, completions, refunds (full and partial, before and
after completion) and closing refund windows, through commerce's real API and the payment
simulator, on SQLite and PostgreSQL (hypothesis, stateful). After every step: debits equal
credits, no payable or held share goes negative, escrow holds exactly the paid money of orders
not yet completed, and the partner holds exactly what the ledger says it does."""

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from keranjang.commerce.orders import db as order_db
from tests.integration.test_money import Shop
from tests.integration.test_money import shop as shop  # the fixture

OWED_SIDES = ("escrow", "merchant_pending:", "merchant_payable:", "commission_", "platform_fees")


def test_random_money_sequences_keep_the_books(shop: Shop) -> None:
    restocked = shop.system.commerce.patch(
        f"/api/seller/products/{shop.product['id']}", json={"stock": 100_000}, headers=shop.auth
    )
    assert restocked.status_code == 200, restocked.text

    class Books(RuleBasedStateMachine):
        orders = Bundle("orders")

        def __init__(self) -> None:
            super().__init__()
            self.mine: list[dict[str, Any]] = []

        @rule(target=orders, quantity=st.integers(1, 3), via_creator=st.booleans())
        def buy(self, quantity: int, via_creator: bool) -> dict[str, Any]:
            order = shop.paid_order(quantity, via_creator=via_creator)
            self.mine.append(order)
            return order

        @rule(order=orders)
        def deliver(self, order: dict[str, Any]) -> None:
            shop.seller(f"{order['id']}/ship", tracking_number="JNE-12345678")
            shop.seller(f"{order['id']}/deliver")

        @rule(order=orders)
        def confirm(self, order: dict[str, Any]) -> None:
            shop.system.commerce.post(f"/api/orders/{order['id']}/received", headers=order["auth"])

        @rule(order=orders, units=st.integers(1, 3), shipping=st.booleans())
        def refund_some(self, order: dict[str, Any], units: int, shipping: bool) -> None:
            item = {"product_id": shop.product["id"], "quantity": units}
            answer = shop.refund(order, items=[item], shipping=shipping)
            assert answer.status_code in (201, 409, 422), answer.text

        @rule(order=orders)
        def refund_all(self, order: dict[str, Any]) -> None:
            answer = shop.refund(order)
            assert answer.status_code in (201, 409, 422), answer.text

        @rule()
        def close_refund_windows(self) -> None:
            shop.system.clock.advance(days=8)
            state = shop.system.commerce.app.state.commerce  # type: ignore[attr-defined]
            state.settlement.run_due()

        @invariant()
        def books_balance(self) -> None:
            balances = shop.balances()  # asserts debits == credits
            for account, balance in balances.items():
                if account.startswith(OWED_SIDES):
                    assert balance <= 0, f"{account} owes {-balance}"
            assert -balances.get("escrow", 0) == _in_escrow(shop)
            fees = balances.get("partner_fees", 0)
            at_partner = sum(v for a, v in balances.items() if a.startswith("partner_clearing:"))
            assert at_partner + fees == _paid(shop) - _refunded(shop)

    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=12,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


UNPAID = ("awaiting_payment", "expired")


def _in_escrow(shop: Shop) -> int:
    """Paid money of orders that have not completed, less what was refunded of them."""
    o = order_db.OrderRow
    query = select(func.coalesce(func.sum(o.total_idr - o.refunded_idr), 0)).where(
        o.completed_at.is_(None), o.status.not_in(UNPAID)
    )
    with shop.system.commerce_engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def _paid(shop: Shop) -> int:
    query = select(func.coalesce(func.sum(order_db.OrderRow.total_idr), 0)).where(
        order_db.OrderRow.status.not_in(UNPAID)
    )
    with shop.system.commerce_engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def _refunded(shop: Shop) -> int:
    with shop.system.commerce_engine.connect() as conn:
        return int(
            conn.scalar(select(func.coalesce(func.sum(order_db.OrderRow.refunded_idr), 0))) or 0
        )

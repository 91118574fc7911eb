"""A bank-transfer (virtual account) order refunded through the Midtrans and Xendit replicas:
their refund APIs refuse virtual-account payments, so the refund waits for the buyer's bank
account (an Indonesian page shows the amount and the reason), goes out by disbursement (Iris,
Xendit Disbursements), and the order ends refunded, the ledger balanced, once the partner
confirms; a failed transfer asks the buyer again; e-wallet refunds stay on the refund API."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from keranjang.commerce.money.bank_refunds import BankRefundService
from keranjang.commerce.money.disbursing import DisbursingService
from keranjang.payments import CreatedPayment, PaymentMethod, PaymentStatus
from tests.integration.buyer_pages import SAME_ORIGIN, get
from tests.integration.conftest import System, bearer
from tests.integration.fake_xendit import FakeXendit
from tests.integration.partner_disbursements import FAILING_ACCOUNT, Replica
from tests.integration.partner_midtrans import MidtransHarness
from tests.integration.partner_xendit import XenditHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_money import status

PRICE = 250_000
SHIPPING = 15_000
PAYMENT_PARTNERS = {"midtrans": "iris", "xendit": "xendit"}


class Refunding:
    def __init__(self, system: System, kind: str) -> None:
        self.system = system
        harness = MidtransHarness(system.clock) if kind == "midtrans" else None
        self.harness: Any = harness or XenditHarness(FakeXendit(system.clock))
        self.replica = Replica(PAYMENT_PARTNERS[kind])
        commerce = system.commerce.app.state.commerce  # type: ignore[attr-defined]
        commerce.paying.partner = commerce.refunds.partner = self.harness.partner
        commerce.reconciliation.partner = self.harness.partner
        sessions, clock, out = commerce.payouts.sessions, commerce.clock, self.replica.adapter()
        self.bank_refunds = BankRefundService(sessions, clock, out, commerce.refunds)
        commerce.refunds.transfers = self.bank_refunds
        system.commerce.app.state.commerce = type(commerce)(  # type: ignore[attr-defined]
            **vars(commerce)
            | {
                "disbursing": DisbursingService(sessions, clock, out),
                "bank_refunds": self.bank_refunds,
            }
        )
        self.merchant = system.merchant()
        self.product = system.product(self.merchant, price_idr=PRICE, stock=5)

    def paid_order(self, method: str = "virtual_account") -> dict[str, Any]:
        auth = buyer(self.system, "siti@example.com")
        put_in_cart(self.system, auth, self.product["id"], 1)
        r = checkout(self.system, auth, payment_method=method)
        assert r.status_code == 201, r.text
        order = r.json()["orders"][0]
        p = order["payment"]
        self.harness.pay(
            CreatedPayment(
                "",
                p["partner_transaction_id"],
                PaymentStatus.PENDING,
                p["amount_idr"],
                PaymentMethod(p["method"]),
                datetime.fromisoformat(p["expires_at"]),
                redirect_url=p["redirect_url"],
            )
        )
        for note in self.harness.delivered():
            r = self.system.commerce.post(
                "/payments/notifications", content=note.body, headers=note.headers
            )
            assert r.status_code == 200, r.text
        assert status(self.system, order["id"]) == "paid"
        return order

    def refund_everything(self, order: dict[str, Any]) -> dict[str, Any]:
        r = self.system.commerce.post(
            f"/api/seller/orders/{order['id']}/refunds",
            json={"reason": "Stok habis"},
            headers=bearer(self.merchant),
        )
        assert r.status_code == 202, r.text  # accepted: the money goes back by transfer
        return r.json()  # type: ignore[no-any-return]

    def sign_in_buyer(self) -> None:
        r = self.system.commerce.post(
            "/login",
            data={"email": "siti@example.com", "password": "rahasia-sekali", "next": "/"},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text

    def give_account(self, refund_id: int, **fields: str) -> Any:
        form = {"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Siti Rahayu"}
        return self.system.commerce.post(
            f"/refunds/{refund_id}/account",
            data=form | fields,
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )

    def callback(self, key: str) -> None:
        headers, body = self.replica.finish(key)
        r = self.system.commerce.post(
            "/payments/disbursements/callback", content=body, headers=headers
        )
        assert r.status_code == 200, r.text

    def balanced(self) -> dict[str, int]:
        from sqlalchemy.orm import Session

        from keranjang.commerce.money import db as money_db

        with self.system.commerce_engine.connect() as conn, Session(bind=conn) as s:
            debits, credits = money_db.totals(s)
            assert debits == credits
            return money_db.balances(s)


@pytest.fixture(params=sorted(PAYMENT_PARTNERS))
def refunding(system: System, request: pytest.FixtureRequest) -> Iterator[Refunding]:
    yield Refunding(system, request.param)


def test_a_bank_transfer_order_is_refunded_by_disbursement_to_the_buyer_s_account(
    refunding: Refunding,
) -> None:
    order = refunding.paid_order()
    refund = refunding.refund_everything(order)
    assert refund["status"] == "requested"  # waits for the buyer's bank account
    refunding.sign_in_buyer()
    order_page = get(refunding.system, f"/orders/{order['id']}").text
    assert 'data-testid="refund-needs-account"' in order_page
    assert f"/refunds/{refund['id']}/account" in order_page
    asking = get(refunding.system, f"/refunds/{refund['id']}/account")
    assert asking.status_code == 200
    assert "Rp265.000" in asking.text and "Stok habis" in asking.text

    assert refunding.give_account(refund["id"]).status_code == 303
    [sent] = refunding.replica.by_key.values()
    assert sent["account"] == "1234567890" and status(refunding.system, order["id"]) == "paid"

    key = next(iter(refunding.replica.by_key))
    for _ in range(2):  # duplicated callback: one refund
        refunding.callback(key)
    assert status(refunding.system, order["id"]) == "refunded"
    assert refunding.balanced()["escrow"] == 0
    page = get(refunding.system, f"/refunds/{refund['id']}/account").text
    assert 'data-testid="refund-sent"' in page


def test_a_failed_refund_transfer_asks_the_buyer_again_under_a_new_key(
    refunding: Refunding,
) -> None:
    order = refunding.paid_order()
    refund = refunding.refund_everything(order)
    refunding.sign_in_buyer()
    assert refunding.give_account(refund["id"], account_number=FAILING_ACCOUNT).status_code in (
        303,
        422,  # Iris' account validation refuses the account before any money moves
    )
    if refunding.replica.by_key:  # Xendit: no validation, the transfer itself fails
        refunding.callback(next(iter(refunding.replica.by_key)))
    page = get(refunding.system, f"/refunds/{refund['id']}/account").text
    assert 'data-testid="refund-account-form"' in page
    assert status(refunding.system, order["id"]) == "paid"

    assert refunding.give_account(refund["id"]).status_code == 303
    keys = list(refunding.replica.by_key)
    refunding.callback(keys[-1])
    assert status(refunding.system, order["id"]) == "refunded"
    assert len({refunding.replica.by_key[k]["account"] for k in keys}) == len(keys)


def test_a_virtual_account_paid_after_its_order_was_cancelled_goes_back_by_transfer(
    refunding: Refunding,
) -> None:
    """The partner was away when the order was cancelled, and the buyer paid the virtual
    account meanwhile: the partners' refund APIs take no virtual-account payment, so the late
    payment goes back to the buyer's bank account, once, and reconciliation shows it."""
    commerce = refunding.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    commerce.payment_ends.partner = refunding.harness.unreachable()
    auth = buyer(refunding.system, "siti@example.com")
    put_in_cart(refunding.system, auth, refunding.product["id"], 1)
    order = checkout(refunding.system, auth, payment_method="virtual_account").json()["orders"][0]
    r = refunding.system.commerce.post(
        f"/api/orders/{order['id']}/cancel", json={"reason": "berubah pikiran"}, headers=auth
    )
    assert r.status_code == 200, r.text
    p = order["payment"]
    created = CreatedPayment(
        order["number"],
        p["partner_transaction_id"],
        PaymentStatus.PENDING,
        p["amount_idr"],
        PaymentMethod.VIRTUAL_ACCOUNT,
        datetime.fromisoformat(p["expires_at"]),
    )
    refunding.harness.pay(created)
    notes = refunding.harness.delivered()
    for note in [*notes, *notes]:  # every notification twice
        answer = refunding.system.commerce.post(
            "/payments/notifications", content=note.body, headers=note.headers
        )
        assert answer.status_code == 200, answer.text
    assert commerce.refunds.settle_requested() == 0  # not the refund API: the buyer's account

    refunding.sign_in_buyer()
    [waiting] = commerce.bank_refunds.waiting(order_buyer(refunding, order))
    assert waiting.amount_idr == PRICE + SHIPPING and waiting.order_number == order["number"]
    assert refunding.give_account(waiting.refund_id).status_code == 303
    [key] = refunding.replica.by_key
    refunding.callback(key)
    refunding.callback(key)
    report = commerce.reconciliation.run()
    [late] = report.late_payments
    assert (late.order_status, late.paid_with, late.state) == (
        "cancelled",
        "virtual_account",
        "refunded",
    )
    assert len(refunding.replica.by_key) == 1
    assert refunding.balanced().get("stray_payments", 0) == 0
    assert status(refunding.system, order["id"]) == "cancelled"


def order_buyer(refunding: Refunding, order: dict[str, Any]) -> int:
    from sqlalchemy import select

    from keranjang.commerce.orders import db as order_db

    with refunding.system.commerce_engine.connect() as conn:
        found = conn.scalar(
            select(order_db.OrderRow.buyer_id).where(order_db.OrderRow.id == order["id"])
        )
    assert found is not None
    return int(found)


def test_a_second_virtual_account_paid_for_a_paid_order_goes_back_by_transfer(
    refunding: Refunding,
) -> None:
    """The buyer paid the order, then also paid an older virtual account the partner still
    held: the partners' refund APIs take no virtual-account payment, so the second payment goes
    back to the buyer's bank account, once, and the order stays paid."""
    order = refunding.paid_order()
    commerce = refunding.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    paying = commerce.paying
    older = paying.partner.create_payment(
        paying._new_payment(
            order["id"],
            order["number"] + "-9",
            order["total_idr"],
            PaymentMethod.VIRTUAL_ACCOUNT,
            datetime.fromisoformat(order["hold_expires_at"]),
        )
    )
    refunding.harness.pay(older)
    notes = refunding.harness.delivered()
    for note in [*notes, *notes]:  # every notification twice: one refund
        r = refunding.system.commerce.post(
            "/payments/notifications", content=note.body, headers=note.headers
        )
        assert r.status_code == 200, r.text
    assert commerce.refunds.settle_requested() == 0  # not the refund API: the buyer's account
    refunding.sign_in_buyer()
    [waiting] = commerce.bank_refunds.waiting(order_buyer(refunding, order))
    assert waiting.amount_idr == order["total_idr"]
    assert refunding.give_account(waiting.refund_id).status_code == 303
    [key] = refunding.replica.by_key
    refunding.callback(key)
    assert refunding.balanced().get("stray_payments", 0) == 0
    assert status(refunding.system, order["id"]) == "paid"

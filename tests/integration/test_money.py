"""The money of an order, through the ledger: payment into escrow, completion into the merchant's,
the creator's and the platform's shares, the refund window, and refunds (full and partial, before
and after completion) through the payment partner. Every figure is checked to the rupiah."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from keranjang.payments import CreatedPayment, PaymentMethod, PaymentStatus
from tests.integration.conftest import HTML, System, bearer
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart, stock

PRICE, SHIPPING, COMMISSION_BP = 350_000, 15_000, 1_000  # 10% to the creator
VA_FEE = 4_000  # the partner's flat fee for a virtual-account payment


class Shop:
    """One merchant selling one product that a creator pins, with buyers paying through the
    simulator."""

    def __init__(self, system: System, partner: SimulatorHarness) -> None:
        self.system, self.partner = system, partner
        self.merchant = system.merchant()
        self.product = system.product(self.merchant, price_idr=PRICE, stock=20)
        r = system.commerce.patch(
            f"/api/seller/products/{self.product['id']}",
            json={"commission_bp": COMMISSION_BP},
            headers=bearer(self.merchant),
        )
        assert r.status_code == 200, r.text
        assert r.json()["commission_bp"] == COMMISSION_BP
        self.creator = system.creator()
        content = system.content(self.creator)
        self.pin = system.pin(self.creator, content, self.product)
        self.buyers = 0

    def paid_order(self, quantity: int = 2, via_creator: bool = True) -> dict[str, Any]:
        if via_creator:
            self.system.commerce.get(self.system.click_cart(self.pin["id"]), headers=HTML)
        else:
            self.system.commerce.cookies.clear()
        self.buyers += 1
        auth = buyer(self.system, f"pembeli{self.buyers}@example.com")
        put_in_cart(self.system, auth, self.product["id"], quantity)
        r = checkout(self.system, auth, payment_method="virtual_account")
        assert r.status_code == 201, r.text
        order = r.json()["orders"][0]
        paid = self.partner.pay(_created(self.partner, order["payment"]))
        assert paid.status_code in (302, 303), paid.text
        self.deliver()
        return order | {"auth": auth}

    def deliver(self) -> None:
        for note in self.partner.delivered():
            r = self.system.commerce.post(
                "/payments/notifications",
                content=note.body,
                headers={"content-type": "application/json"},
            )
            assert r.status_code == 200, r.text

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.merchant)

    def seller(self, path: str, **body: Any) -> Any:
        return self.system.commerce.post(f"/api/seller/orders/{path}", json=body, headers=self.auth)

    def delivered_order(self, quantity: int = 2) -> dict[str, Any]:
        order = self.paid_order(quantity)
        assert self.seller(f"{order['id']}/ship", tracking_number="JNE-12345678").status_code == 200
        assert self.seller(f"{order['id']}/deliver").status_code == 200
        return order

    def completed_order(self, quantity: int = 2) -> dict[str, Any]:
        order = self.delivered_order(quantity)
        r = self.system.commerce.post(f"/api/orders/{order['id']}/received", headers=order["auth"])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "completed"
        return order

    def refund(self, order: dict[str, Any], **body: Any) -> Any:
        return self.seller(f"{order['id']}/refunds", **({"reason": "Barang rusak"} | body))

    def balances(self) -> dict[str, int]:
        with self.system.commerce_engine.connect() as conn, Session(bind=conn) as s:
            debits, credits = money_db.totals(s)
            assert debits == credits
            return money_db.balances(s)

    def owed(self, account: str) -> int:
        return -self.balances().get(account, 0)

    @property
    def m(self) -> int:
        return int(self.merchant["id"])

    @property
    def c(self) -> int:
        return int(self.creator["id"])


def _created(partner: SimulatorHarness, payment: dict[str, Any]) -> Any:
    return CreatedPayment(
        order_id="",
        partner_transaction_id=payment["partner_transaction_id"],
        status=PaymentStatus.PENDING,
        gross_amount=payment["amount_idr"],
        method=PaymentMethod(payment["method"]),
        expires_at=datetime.fromisoformat(payment["expires_at"]),
        redirect_url=payment["redirect_url"],
    )


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    return Shop(system, partner)


def status(system: System, order_id: int) -> str:
    with system.commerce_engine.connect() as conn:
        return conn.scalar(select(order_db.OrderRow.status).where(order_db.OrderRow.id == order_id))  # type: ignore[return-value]


# payment and completion ----------------------------------------------------------------------
def test_a_payment_goes_into_escrow_less_the_partner_fee(shop: Shop) -> None:
    order = shop.paid_order()
    total = 2 * PRICE + SHIPPING
    assert order["total_idr"] == total
    assert shop.balances() == {
        "escrow": -total,
        "partner_clearing:simulator": total - VA_FEE,
        "partner_fees": VA_FEE,
    }


def test_completion_splits_the_money_between_merchant_creator_and_platform(shop: Shop) -> None:
    shop.completed_order()
    goods = 2 * PRICE
    fee, commission = goods * 500 // 10_000, goods * COMMISSION_BP // 10_000
    assert (fee, commission) == (35_000, 70_000)
    b = shop.balances()
    assert b.get("escrow", 0) == 0
    assert -b[f"merchant_pending:{shop.m}"] == goods + SHIPPING - fee - commission == 610_000
    assert -b[f"commission_pending:{shop.c}"] == commission
    assert -b["platform_fees"] == fee
    assert f"merchant_payable:{shop.m}" not in b  # held until the refund window closes


def test_without_a_creator_there_is_no_commission(shop: Shop) -> None:
    order = shop.paid_order(via_creator=False)
    shop.seller(f"{order['id']}/ship", tracking_number="JNE-12345678")
    shop.seller(f"{order['id']}/deliver")
    shop.system.commerce.post(f"/api/orders/{order['id']}/received", headers=order["auth"])
    b = shop.balances()
    assert not any(a.startswith("commission") for a in b)
    assert -b[f"merchant_pending:{shop.m}"] == 2 * PRICE + SHIPPING - 35_000


def test_held_shares_become_payable_when_the_refund_window_closes(shop: Shop) -> None:
    order = shop.completed_order()
    settlement = shop.system.commerce.app.state.commerce.settlement  # type: ignore[attr-defined]
    shop.system.clock.advance(days=6, hours=23)
    assert settlement.release_due() == 0
    shop.system.clock.advance(hours=1)
    assert settlement.release_due() == 1
    assert settlement.release_due() == 0  # once
    b = shop.balances()
    assert b.get(f"merchant_pending:{shop.m}", 0) == 0
    assert -b[f"merchant_payable:{shop.m}"] == 610_000
    assert -b[f"commission_payable:{shop.c}"] == 70_000
    r = shop.refund(order)
    assert r.status_code == 409 and "refund window" in r.json()["detail"]


def test_a_delivered_order_completes_by_itself_after_the_buyer_stays_silent(shop: Shop) -> None:
    order = shop.delivered_order()
    settlement = shop.system.commerce.app.state.commerce.settlement  # type: ignore[attr-defined]
    shop.system.clock.advance(days=2)
    assert settlement.complete_due() == 0
    shop.system.clock.advance(days=1)
    assert settlement.complete_due() == 1
    assert status(shop.system, order["id"]) == "completed"
    assert -shop.balances()[f"merchant_pending:{shop.m}"] == 610_000


def test_only_a_delivered_order_can_be_confirmed(shop: Shop) -> None:
    order = shop.paid_order()
    r = shop.system.commerce.post(f"/api/orders/{order['id']}/received", headers=order["auth"])
    assert r.status_code == 409
    assert shop.balances()["escrow"] == -(2 * PRICE + SHIPPING)


# refunds -------------------------------------------------------------------------------------
def test_a_full_refund_before_shipping_gives_everything_back(shop: Shop) -> None:
    order = shop.paid_order()
    r = shop.refund(order)
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["amount_idr"]) == ("succeeded", 2 * PRICE + SHIPPING)
    assert status(shop.system, order["id"]) == "refunded"
    b = shop.balances()
    assert b.get("escrow", 0) == 0
    # The partner keeps its fee: the platform bears it.
    assert b["partner_clearing:simulator"] == -VA_FEE and b["partner_fees"] == VA_FEE
    partner_view = shop.partner.partner.status(order["number"])
    assert partner_view.refunded_amount == 2 * PRICE + SHIPPING


def test_a_partial_refund_before_completion_leaves_the_rest_to_complete(shop: Shop) -> None:
    order = shop.delivered_order(quantity=3)
    r = shop.refund(order, items=[{"product_id": shop.product["id"], "quantity": 1}])
    assert r.status_code == 201, r.text
    assert r.json()["amount_idr"] == PRICE
    assert status(shop.system, order["id"]) == "delivered"
    shop.system.commerce.post(f"/api/orders/{order['id']}/received", headers=order["auth"])
    goods = 2 * PRICE
    b = shop.balances()
    assert b.get("escrow", 0) == 0
    assert -b[f"merchant_pending:{shop.m}"] == goods + SHIPPING - goods // 20 - goods // 10
    assert -b[f"commission_pending:{shop.c}"] == goods // 10


def test_a_refund_after_completion_claws_back_the_commission(shop: Shop) -> None:
    order = shop.completed_order(quantity=2)
    r = shop.refund(order, items=[{"product_id": shop.product["id"], "quantity": 1}])
    assert r.status_code == 201, r.text
    b = shop.balances()
    assert -b[f"commission_pending:{shop.c}"] == 35_000
    assert -b["platform_fees"] == 17_500
    assert -b[f"merchant_pending:{shop.m}"] == PRICE + SHIPPING - 35_000 - 17_500
    assert status(shop.system, order["id"]) == "completed"
    r = shop.refund(order, shipping=True)  # everything left
    assert r.status_code == 201, r.text
    assert r.json()["amount_idr"] == PRICE + SHIPPING
    assert status(shop.system, order["id"]) == "refunded"
    b = shop.balances()
    for account in (f"merchant_pending:{shop.m}", f"commission_pending:{shop.c}", "platform_fees"):
        assert b.get(account, 0) == 0, account


def test_refunding_more_than_is_left_is_refused_and_changes_nothing(shop: Shop) -> None:
    order = shop.paid_order(quantity=2)
    before = shop.balances()
    r = shop.refund(order, items=[{"product_id": shop.product["id"], "quantity": 3}])
    assert r.status_code == 422
    assert "refund from 1 to 2 units" in r.json()["detail"][0]["msg"]
    r = shop.refund(order, items=[{"product_id": 999_999, "quantity": 1}])
    assert r.status_code == 422 and "not in this order" in r.json()["detail"][0]["msg"]
    assert shop.balances() == before


def test_another_shop_cannot_refund_the_order(shop: Shop) -> None:
    order = shop.paid_order()
    other = shop.system.merchant("kopi-gayo", "Kopi Gayo")
    r = shop.system.commerce.post(
        f"/api/seller/orders/{order['id']}/refunds",
        json={"reason": "bukan punya saya"},
        headers=bearer(other),
    )
    assert r.status_code == 404
    assert status(shop.system, order["id"]) == "paid"


def test_cancelling_a_paid_order_refunds_it_and_puts_the_stock_back(shop: Shop) -> None:
    order = shop.paid_order(quantity=2)
    assert stock(shop.system, shop.product["id"]) == 18
    r = shop.seller(f"{order['id']}/cancel", reason="Stok habis di gudang")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert stock(shop.system, shop.product["id"]) == 20
    assert shop.balances().get("escrow", 0) == 0
    assert shop.partner.partner.status(order["number"]).status.value == "refunded"


def test_a_refund_waits_out_a_partner_outage_and_is_made_once(shop: Shop) -> None:
    order = shop.paid_order()
    refunds = shop.system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    reachable, refunds.partner = refunds.partner, shop.partner.unreachable()
    r = shop.refund(order)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "requested"
    assert status(shop.system, order["id"]) == "paid"
    assert shop.refund(order).status_code == 422  # the goods are already being refunded
    assert shop.seller(f"{order['id']}/ship", tracking_number="JNE-12345678").status_code == 409
    assert refunds.settle_requested() == 0  # still down
    refunds.partner = reachable
    assert refunds.settle_requested() == 1
    assert refunds.settle_requested() == 0
    assert status(shop.system, order["id"]) == "refunded"
    assert shop.partner.partner.status(order["number"]).refunded_amount == order["total_idr"]
    assert shop.balances().get("escrow", 0) == 0


def test_the_journal_cannot_be_edited(shop: Shop) -> None:
    shop.paid_order()
    for statement in ("UPDATE ledger_postings SET debit_idr = 1", "DELETE FROM ledger_entries"):
        with (
            pytest.raises(DBAPIError, match="append-only"),
            shop.system.commerce_engine.begin() as conn,
        ):
            conn.execute(text(statement))
    assert shop.balances()["escrow"] == -(2 * PRICE + SHIPPING)

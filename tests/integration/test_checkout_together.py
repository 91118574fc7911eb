"""A cart across shops is paid once: one partner payment for every shop's order, split per order
in the ledger (each order paid once, each seller's share to the rupiah, the partner's fee split
in proportion), however often the partner's news comes. Couriers price the shipping; the method
and VA bank the buyer chose are the ones the partner is asked for."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.money.news_together import split_fee
from keranjang.commerce.money.refunding import RefundAsk
from keranjang.commerce.web.invoice_rendering import render_html
from tests.integration.conftest import System
from tests.integration.payment_partners import HTML, SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_paying import deliver, paid_events, status_of

PAY_PAGE_METHOD = {"virtual_account": "bank_transfer", "ewallet": "gopay", "qris": "qris"}


def two_shops_cart(system: System) -> dict[str, str]:
    """Rp350.000 from Batik Sekar, 2 x Rp80.000 from Kopi Gayo, in one buyer's cart."""
    batik = system.product(system.merchant(), price_idr=350_000, stock=5)
    kopi = system.product(system.merchant("kopi-gayo", "Kopi Gayo"), price_idr=80_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, batik["id"], 1)
    put_in_cart(system, auth, kopi["id"], 2)
    return auth


def pay(partner: SimulatorHarness, payment: dict[str, Any]) -> None:
    """As the buyer on the partner's pay page: press Bayar with the method the payment has."""
    page = partner.client.get(payment["redirect_url"], headers=HTML)
    assert page.status_code == 200, page.text
    paid = partner.client.post(
        f"/pay/{payment['partner_transaction_id']}",
        data={"method": PAY_PAGE_METHOD[payment["method"]]},
        headers=HTML,
        follow_redirects=False,
    )
    assert paid.status_code in (302, 303), paid.text


def send_again(system: System, partner: SimulatorHarness) -> list[tuple[int, str]]:
    """Every notification delivered, and each once more (a partner duplicating its news)."""
    notes = partner.delivered()
    answers = []
    for note in [*notes, *notes]:
        r = system.commerce.post(
            "/payments/notifications",
            content=note.body,
            headers={"content-type": "application/json"},
        )
        answers.append((r.status_code, r.json().get("outcome", r.json().get("error"))))
    return answers


def balances(system: System) -> dict[str, int]:
    with system.commerce_engine.connect() as conn, Session(bind=conn) as s:
        return money_db.balances(s)


def test_one_payment_pays_every_shops_order_once_and_the_ledger_splits_it(
    system: System, partner: SimulatorHarness
) -> None:
    auth = two_shops_cart(system)
    placed = checkout(system, auth, payment_method="ewallet").json()["orders"]
    assert [o["total_idr"] for o in placed] == [365_000, 175_000]
    payments = [o["payment"] for o in placed]
    assert len({p["partner_transaction_id"] for p in payments}) == 1
    assert [p["amount_idr"] for p in payments] == [365_000, 175_000]  # each order's share
    assert "Rp540.000" in partner.client.get(payments[0]["redirect_url"], headers=HTML).text
    pay(partner, payments[0])
    answers = send_again(system, partner)
    assert all(code == 200 for code, _ in answers), answers
    assert sum(outcome.count("order paid") for _, outcome in answers) == 2
    assert [status_of(system, o["id"]) for o in placed] == ["paid", "paid"]
    assert [paid_events(system, o["id"]) for o in placed] == [1, 1]
    books = balances(system)
    assert sum(books.values()) == 0  # every entry balanced
    assert -books["escrow"] == 540_000  # both orders' money, each in its own entry
    fee = ledger.partner_fee("ewallet", 540_000)
    assert books[ledger.partner_clearing("simulator")] == 540_000 - fee
    assert books[ledger.PARTNER_FEES] == fee
    for order in placed:  # each order invoiced, naming the one payment
        invoice = system.commerce.get(f"/api/orders/{order['id']}/invoice", headers=auth)
        assert invoice.status_code == 200 and invoice.json()["total_idr"] == order["total_idr"]


def test_the_partners_fee_is_split_to_the_rupiah() -> None:
    assert split_fee(4_000, [365_000, 175_000]) == [2_703, 1_297]
    assert split_fee(1, [100, 100, 100]) == [0, 0, 1]
    assert sum(split_fee(10_801, [7, 11, 13])) == 10_801


def test_a_refund_of_one_shops_order_goes_back_through_the_one_payment(
    system: System, partner: SimulatorHarness
) -> None:
    auth = two_shops_cart(system)
    placed = checkout(system, auth, payment_method="qris").json()["orders"]
    pay(partner, placed[0]["payment"])
    deliver(system, partner)
    kopi = system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    done = kopi.refund(RefundAsk(placed[1]["id"], "merchant:2", "Kopi habis"))
    assert done.status == "succeeded" and done.amount_idr == 175_000
    with system.commerce_engine.connect() as conn:
        number = conn.scalar(select(money_db.CheckoutPaymentRow.number))
    assert partner.partner.status(number).refunded_amount == 175_000
    assert [status_of(system, o["id"]) for o in placed] == ["paid", "refunded"]
    assert -balances(system)["escrow"] == 365_000


def test_an_order_cancelled_before_the_one_payment_lands_gets_its_share_back(
    system: System, partner: SimulatorHarness
) -> None:
    auth = two_shops_cart(system)
    placed = checkout(system, auth, payment_method="qris").json()["orders"]
    r = system.commerce.post(f"/api/orders/{placed[1]['id']}/cancel", json={}, headers=auth)
    assert r.status_code == 200, r.text
    pay(partner, placed[0]["payment"])
    outcomes = " ".join(outcome for _, outcome in send_again(system, partner))
    assert "order paid" in outcomes and "stray" in outcomes
    assert [status_of(system, o["id"]) for o in placed] == ["paid", "cancelled"]
    assert -balances(system)["stray_payments"] == 175_000
    refunds = system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    assert refunds.settle_requested() == 1
    with system.commerce_engine.connect() as conn:
        number = conn.scalar(select(money_db.CheckoutPaymentRow.number))
    assert partner.partner.status(number).refunded_amount == 175_000
    books = balances(system)
    assert books.get("stray_payments", 0) == 0 and -books["escrow"] == 365_000


def test_a_courier_sets_each_shops_shipping_in_the_total_and_the_invoice(
    system: System, partner: SimulatorHarness
) -> None:
    auth = two_shops_cart(system)
    unknown = checkout(system, auth, courier="kilat")
    assert unknown.status_code == 422 and "courier must be one of" in unknown.text
    placed = checkout(system, auth, courier="anteraja", payment_method="qris").json()["orders"]
    assert [(o["shipping_idr"], o["total_idr"]) for o in placed] == [
        (27_000, 377_000),
        (27_000, 187_000),
    ]
    assert placed[0]["shipping_address"]["courier"] == "AnterAja Next Day"
    pay(partner, placed[0]["payment"])
    deliver(system, partner)
    invoice = system.commerce.get(f"/api/orders/{placed[0]['id']}/invoice", headers=auth).json()
    assert invoice["shipping_idr"] == 27_000 and invoice["total_idr"] == 377_000
    invoices = system.commerce.app.state.commerce.invoices  # type: ignore[attr-defined]
    buying = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    buyer_id = buying.buyer_id(auth["Authorization"].removeprefix("Bearer "))
    issued = invoices.for_buyer(buyer_id, placed[0]["id"])
    html = render_html(issued)
    assert "Ongkos kirim (AnterAja Next Day)" in html
    assert 'data-testid="invoice-shipping">Rp27.000' in html
    pdf = system.commerce.get(f"/api/orders/{placed[0]['id']}/invoice?format=pdf", headers=auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    couriers = system.commerce.get("/api/couriers").json()
    assert {"code": "anteraja", "name": "AnterAja Next Day", "price_idr": 27_000}.items() <= (
        next(c for c in couriers if c["code"] == "anteraja").items()
    )


def test_the_chosen_method_and_bank_are_honoured_when_a_payment_exists(
    system: System, partner: SimulatorHarness
) -> None:
    product = system.product(system.merchant(), price_idr=350_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    order = checkout(system, auth, payment_method="virtual_account", va_bank="bni").json()
    [placed] = order["orders"]
    assert placed["payment"]["virtual_account"]["bank"] == "bni"
    path = f"/api/orders/{placed['id']}/payment"
    same = system.commerce.post(path, json={"method": "virtual_account"}, headers=auth).json()
    assert same["partner_transaction_id"] == placed["payment"]["partner_transaction_id"]
    ewallet = system.commerce.post(path, json={"method": "ewallet"}, headers=auth).json()
    assert ewallet["method"] == "ewallet"
    assert ewallet["partner_transaction_id"] != placed["payment"]["partner_transaction_id"]
    again = system.commerce.post(path, json={"method": "ewallet"}, headers=auth).json()
    assert again["partner_transaction_id"] == ewallet["partner_transaction_id"]
    with system.commerce_engine.connect() as conn:
        rows = conn.execute(
            select(money_db.PaymentRow.method, money_db.PaymentRow.attempt).where(
                money_db.PaymentRow.order_id == placed["id"]
            )
        ).all()
    assert [tuple(r) for r in rows] == [("ewallet", 2)]  # one payment for the order, replaced
    pay(partner, ewallet)
    deliver(system, partner)
    assert status_of(system, placed["id"]) == "paid"


def test_an_older_payment_paid_after_the_method_changed_is_returned(
    system: System, partner: SimulatorHarness
) -> None:
    """The virtual account the buyer left is still open at the partner until it expires: if it
    is paid after all, the order is paid once and the second payment is refunded."""
    product = system.product(system.merchant(), price_idr=350_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    [placed] = checkout(system, auth, payment_method="virtual_account").json()["orders"]
    path = f"/api/orders/{placed['id']}/payment"
    ewallet = system.commerce.post(path, json={"method": "ewallet"}, headers=auth).json()
    pay(partner, placed["payment"])
    pay(partner, ewallet)
    outcomes = " ".join(o for _, o in send_again(system, partner))
    assert "order paid" in outcomes and "stray" in outcomes
    assert paid_events(system, placed["id"]) == 1
    refunds = system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    assert refunds.settle_requested() == 1
    assert -balances(system)["escrow"] == 365_000
    assert balances(system).get("stray_payments", 0) == 0


def test_a_checkout_payment_stays_one_when_the_checkout_is_replayed(
    system: System, partner: SimulatorHarness
) -> None:
    auth = two_shops_cart(system)
    first = checkout(system, auth, key="one-payment-1", payment_method="qris")
    again = checkout(system, auth, key="one-payment-1", payment_method="qris")
    assert again.json() == first.json()
    with system.commerce_engine.connect() as conn:
        assert len(conn.execute(select(money_db.CheckoutPaymentRow.id)).all()) == 1
        assert len(conn.execute(select(money_db.PaymentRow.id)).all()) == 2


def test_reconciliation_pays_a_checkout_whose_news_was_lost_and_agrees_after(
    system: System, partner: SimulatorHarness
) -> None:
    auth = two_shops_cart(system)
    placed = checkout(system, auth, payment_method="qris").json()["orders"]
    reconciliation = system.commerce.app.state.commerce.reconciliation  # type: ignore[attr-defined]
    before = reconciliation.run()
    assert before.disagreements == [] and before.settled == 0
    pay(partner, placed[0]["payment"])
    partner.delivered()  # the partner's news is lost on its way
    assert [status_of(system, o["id"]) for o in placed] == ["awaiting_payment"] * 2
    report = reconciliation.run()
    assert report.settled == 1 and report.disagreements == []
    assert [status_of(system, o["id"]) for o in placed] == ["paid", "paid"]
    refunds = system.commerce.app.state.commerce.refunds  # type: ignore[attr-defined]
    refunds.refund(RefundAsk(placed[0]["id"], "merchant:1", "Rusak"))
    after = reconciliation.run()
    assert after.settled == 0 and after.disagreements == [], after.disagreements

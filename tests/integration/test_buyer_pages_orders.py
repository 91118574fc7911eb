"""The buyer's pages, orders: the list, the wait for the partner after paying, paying again,
cancelling, another buyer's order not found, the invoice once paid, and confirming a delivered
order. On SQLite and PostgreSQL, with the payment simulator in-process."""

from urllib.parse import urlsplit

from sqlalchemy import select

from keranjang.commerce.orders import db as order_db
from keranjang.commerce.web.pages.buyer.guard import SESSION_COOKIE
from tests.integration.buyer_pages import (
    add,
    check_out,
    get,
    pay_at_partner,
    placed_order,
    post,
    sign_up,
)
from tests.integration.conftest import COMMERCE_URL, System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import stock
from tests.integration.test_paying import deliver, status_of


def test_orders_are_listed_with_shop_status_total_and_date(
    system: System, partner: SimulatorHarness
) -> None:
    order, _ = placed_order(system)
    page = get(system, "/orders")
    assert page.status_code == 200
    with system.commerce_engine.connect() as conn:
        number = conn.scalar(select(order_db.OrderRow.number))
    row = page.text.split('data-testid="order-row"')[1]
    assert number in row and "Batik Sekar" in row and "Menunggu pembayaran" in row
    assert "Rp365.000" in row and "27 Mar 2024, 16.00 WIB" in row
    detail = get(system, f"/orders/{order['id']}").text
    assert "Kemeja Batik Tulis" in detail and "Jl. Merdeka No. 17" in detail
    assert 'data-testid="pay-form"' in detail and 'data-testid="cancel-form"' in detail
    assert 'data-testid="invoice-link"' not in detail


def test_back_from_paying_the_order_page_waits_for_the_partner_then_shows_it_paid(
    system: System, partner: SimulatorHarness
) -> None:
    order, to_pay = placed_order(system)
    back = pay_at_partner(system, partner, to_pay.headers["location"])
    returned = urlsplit(back.headers["location"])
    assert f"{returned.scheme}://{returned.netloc}{returned.path}" == (
        f"{COMMERCE_URL}/orders/{order['id']}"
    )
    waiting = get(system, f"{returned.path}?{returned.query}")
    assert 'data-testid="awaiting-confirmation"' in waiting.text
    assert 'http-equiv="refresh"' in waiting.text

    assert (200, "order paid") in deliver(system, partner)
    paid = get(system, f"{returned.path}?{returned.query}").text
    assert 'data-status="paid"' in paid and "Dibayar" in paid
    assert 'http-equiv="refresh"' not in paid and 'data-testid="pay-form"' not in paid
    assert f'href="/orders/{order["id"]}/invoice"' in paid
    history = paid.split('data-testid="order-history"', 1)[1].split("</ol>", 1)[0]
    assert history.index("Menunggu pembayaran") < history.index("Dibayar")


def test_checking_for_the_payment_stops_after_a_while(
    system: System, partner: SimulatorHarness
) -> None:
    order, _ = placed_order(system)
    late = get(system, f"/orders/{order['id']}?transaction_status=settlement&check=60").text
    assert 'data-testid="confirmation-late"' in late and 'http-equiv="refresh"' not in late


def test_the_pay_button_goes_to_the_same_payment(system: System, partner: SimulatorHarness) -> None:
    order, to_pay = placed_order(system)
    again = post(system, f"/orders/{order['id']}/pay", method="virtual_account")
    assert again.status_code == 303 and again.headers["location"] == to_pay.headers["location"]


def test_an_unpaid_order_can_be_cancelled_and_its_stock_returns(
    system: System, partner: SimulatorHarness
) -> None:
    order, _ = placed_order(system)
    r = post(system, f"/orders/{order['id']}/cancel")
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{order['id']}"
    assert status_of(system, order["id"]) == "cancelled"
    assert stock(system, order["product"]["id"]) == 5
    page = get(system, f"/orders/{order['id']}").text
    assert "Dibatalkan" in page and 'data-testid="cancel-form"' not in page


def test_another_buyers_order_and_invoice_are_not_found(
    system: System, partner: SimulatorHarness
) -> None:
    order, _ = placed_order(system)
    post(system, "/logout")
    sign_up(system, "stranger@example.com")
    for path in (f"/orders/{order['id']}", f"/orders/{order['id']}/invoice"):
        r = get(system, path)
        assert r.status_code == 404 and "tidak ada di akunmu" in r.text
    assert post(system, f"/orders/{order['id']}/cancel").status_code == 404
    assert status_of(system, order["id"]) == "awaiting_payment"


def test_the_invoice_is_there_once_paid_as_a_page_and_a_pdf(
    system: System, partner: SimulatorHarness
) -> None:
    order, to_pay = placed_order(system)
    unpaid = get(system, f"/orders/{order['id']}/invoice")
    assert unpaid.status_code == 409 and "setelah pesanan dibayar" in unpaid.text
    pay_at_partner(system, partner, to_pay.headers["location"])
    deliver(system, partner)
    session = {"authorization": f"Bearer {system.commerce.cookies[SESSION_COOKIE]}"}
    number = system.commerce.get(f"/api/orders/{order['id']}", headers=session).json()["invoice"][
        "number"
    ]
    assert number in get(system, f"/orders/{order['id']}").text  # the order page links to it
    page = get(system, f"/orders/{order['id']}/invoice")
    assert page.status_code == 200
    assert number in page.text and "Rp365.000" in page.text and "Rp350.000" in page.text
    pdf = get(system, f"/orders/{order['id']}/invoice.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_buyer_confirms_a_delivered_order_and_it_completes(
    system: System, partner: SimulatorHarness
) -> None:
    merchant = system.merchant()
    sign_up(system)
    add(system, system.product(merchant, price_idr=350_000, stock=5)["id"])
    to_pay = check_out(system)
    with system.commerce_engine.connect() as conn:
        order = {"id": conn.scalar(select(order_db.OrderRow.id))}
    pay_at_partner(system, partner, to_pay.headers["location"])
    deliver(system, partner)
    assert 'data-testid="received-form"' not in get(system, f"/orders/{order['id']}").text
    early = post(system, f"/orders/{order['id']}/received")
    assert early.status_code == 409 and "setelah tiba di tujuan" in early.text
    seller = {"Authorization": f"Bearer {merchant['token']}"}
    for step, body in (("ship", {"tracking_number": "JNE-12345678"}), ("deliver", {})):
        r = system.commerce.post(
            f"/api/seller/orders/{order['id']}/{step}", json=body, headers=seller
        )
        assert r.status_code == 200, r.text
    page = get(system, f"/orders/{order['id']}").text
    assert 'data-testid="received-form"' in page
    done = post(system, f"/orders/{order['id']}/received")
    assert done.status_code == 303
    assert status_of(system, order["id"]) == "completed"
    assert "Selesai" in get(system, f"/orders/{order['id']}").text

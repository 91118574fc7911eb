"""The buyer's pages, checkout: the order placed and the buyer sent to the pay page, a bad address
or short stock shown with nothing lost, a double submission placing the orders once, a partner
that is down, one payment for a cart across shops. On SQLite and PostgreSQL, with the payment
simulator in-process."""

import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from tests.integration.buyer_pages import (
    HTML,
    add,
    batik,
    cart_lines,
    check_out,
    checkout_key,
    get,
    placed_order,
    post,
    sign_up,
    sold_elsewhere,
)
from tests.integration.conftest import System
from tests.integration.payment_partners import PAYMENTS_URL, SimulatorHarness
from tests.integration.test_checkout import count, stock
from tests.integration.test_paying import status_of


def test_checkout_places_the_order_and_sends_the_buyer_to_the_pay_page(
    system: System, partner: SimulatorHarness
) -> None:
    order, to_pay = placed_order(system)
    assert to_pay.headers["location"].startswith(f"{PAYMENTS_URL}/pay/")
    assert cart_lines(system) == [] and stock(system, order["product"]["id"]) == 4
    pay_page = partner.client.get(to_pay.headers["location"], headers=HTML)
    assert "Rp365.000" in pay_page.text
    with system.commerce_engine.connect() as conn:
        address = conn.scalar(select(order_db.OrderRow.shipping_address))
    assert '"phone": "081234567890"' in address  # spaces and dashes dropped


def test_a_bad_address_is_shown_next_to_its_fields_and_nothing_is_lost(system: System) -> None:
    product = batik(system)
    sign_up(system)
    add(system, product["id"])
    first = get(system, "/checkout")
    r = check_out(
        system, checkout_key(first), phone="12ab", postal_code="4011", street="Jl. Asia Afrika 8"
    )
    assert r.status_code == 422
    assert 'data-testid="error-phone"' in r.text and 'data-testid="error-postal_code"' in r.text
    assert 'data-testid="error-recipient"' not in r.text
    assert 'value="Jl. Asia Afrika 8"' in r.text and 'value="4011"' in r.text
    assert "Kode pos terdiri dari 5 angka" in r.text
    assert count(system, order_db.OrderRow) == 0 and cart_lines(system) == [
        (product["id"], 1, None)
    ]


def test_out_of_stock_says_what_is_short_and_keeps_the_cart(
    system: System, partner: SimulatorHarness
) -> None:
    product = batik(system, title="Kopi Langka", stock=2)
    sign_up(system)
    add(system, product["id"], 2)
    sold_elsewhere(system, product["id"], 1)
    r = check_out(system, recipient="Budi")
    assert r.status_code == 409
    assert "Stok tidak cukup" in r.text and "Kopi Langka: tersisa 1, kamu memesan 2" in r.text
    assert 'value="Budi"' in r.text
    assert count(system, order_db.OrderRow) == 0 and cart_lines(system) == [
        (product["id"], 2, None)
    ]
    post(system, f"/cart/{product['id']}", quantity=1)
    assert check_out(system, checkout_key(r)).status_code == 303  # a fresh key: a fresh try


def test_an_empty_cart_cannot_be_checked_out(system: System) -> None:
    sign_up(system)
    page = get(system, "/checkout")
    assert 'data-testid="cart-empty"' in page.text
    r = check_out(system, "a-key-from-an-old-page")
    assert r.status_code == 422 and "Keranjangmu kosong" in r.text


def test_submitting_the_same_checkout_twice_places_the_orders_once(
    system: System, partner: SimulatorHarness
) -> None:
    product = batik(system)
    sign_up(system)
    add(system, product["id"], 2)
    key = checkout_key(get(system, "/checkout"))
    first, second = check_out(system, key), check_out(system, key)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert count(system, order_db.OrderRow) == 1 and count(system, money_db.PaymentRow) == 1
    assert stock(system, product["id"]) == 3


def test_a_double_click_on_place_order_places_the_orders_once(
    system: System, partner: SimulatorHarness
) -> None:
    product = batik(system)
    sign_up(system)
    add(system, product["id"])
    key = checkout_key(get(system, "/checkout"))
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: check_out(system, key), range(4)))
    pay_page = answers[0].headers["location"]
    assert {(r.status_code, r.headers["location"]) for r in answers} == {(303, pay_page)}
    assert count(system, order_db.OrderRow) == 1 and count(system, money_db.PaymentRow) == 1


def test_when_the_partner_is_down_the_orders_stand_and_can_be_paid_later(
    system: System, partner: SimulatorHarness
) -> None:
    paying = system.commerce.app.state.commerce.paying  # type: ignore[attr-defined]
    paying.partner = partner.unreachable()
    product = batik(system)
    sign_up(system)
    add(system, product["id"])
    r = check_out(system)
    assert r.status_code == 200 and "Mitra pembayaran belum bisa dihubungi" in r.text
    [order_id] = re.findall(r'data-testid="pay-entry" data-order-id="(\d+)"', r.text)
    assert status_of(system, int(order_id)) == "awaiting_payment" and cart_lines(system) == []
    down = post(system, f"/orders/{order_id}/pay", method="virtual_account")
    assert down.status_code == 503 and "tidak bisa dihubungi" in down.text
    paying.partner = partner.partner
    up = post(system, f"/orders/{order_id}/pay", method="virtual_account")
    assert up.status_code == 303 and up.headers["location"].startswith(f"{PAYMENTS_URL}/pay/")


def test_a_cart_across_shops_is_paid_once_on_one_pay_page(
    system: System, partner: SimulatorHarness
) -> None:
    sign_up(system)
    add(system, batik(system)["id"])
    add(system, system.product(system.merchant("kopi-gayo", "Kopi Gayo"), stock=9)["id"])
    r = check_out(system, method="qris")
    assert r.status_code == 303 and r.headers["location"].startswith(f"{PAYMENTS_URL}/pay/")
    pay_page = partner.client.get(r.headers["location"], headers=HTML).text
    assert "Rp730.000" in pay_page  # both shops' orders, each with its shipping
    with system.commerce_engine.connect() as conn:
        payments = conn.execute(select(money_db.PaymentRow.partner_transaction_id)).all()
    assert len(payments) == 2 and len(set(payments)) == 1  # one partner payment, two shares

"""The buyer's pages in the browser's terms: forms posted from the shop's own pages, a session
cookie, redirects. Sign-up and log-in, the cart, checkout, orders and invoices, on SQLite and
PostgreSQL, with the payment simulator in-process."""

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from keranjang.commerce.attribution.db import AttributionRow
from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.web.cookies import ATTRIBUTION_COOKIE
from keranjang.commerce.web.pages.buyer.guard import SESSION_COOKIE
from tests.integration.conftest import COMMERCE_URL, System
from tests.integration.payment_partners import PAYMENTS_URL, SimulatorHarness
from tests.integration.test_checkout import count, stock
from tests.integration.test_paying import deliver, status_of

HTML = {"accept": "text/html"}
# What a browser sends with a form from the shop's own page.
SAME_ORIGIN = HTML | {"origin": COMMERCE_URL, "sec-fetch-site": "same-origin"}
PASSWORD = "rahasia-sekali"
ADDRESS = {
    "recipient": "Siti Rahma",
    "phone": "0812-3456-7890",
    "street": "Jl. Merdeka No. 17",
    "city": "Bandung",
    "postal_code": "40111",
}


def post(system: System, path: str, headers: dict[str, str] | None = None, **data: Any):  # type: ignore[no-untyped-def]
    return system.commerce.post(
        path, data=data, headers=SAME_ORIGIN if headers is None else headers, follow_redirects=False
    )


def get(system: System, path: str) -> httpx.Response:
    return system.commerce.get(path, headers=HTML, follow_redirects=False)


def sign_up(system: System, email: str = "siti@example.com", **extra: Any) -> httpx.Response:
    r = post(system, "/signup", name="Siti Rahma", email=email, password=PASSWORD, **extra)
    assert r.status_code == 303, r.text
    return r


def add(system: System, product_id: int, quantity: int = 1) -> httpx.Response:
    return post(system, "/cart/add", product_id=product_id, quantity=quantity)


def cart_lines(system: System) -> list[tuple[int, int, int | None]]:
    with system.commerce_engine.connect() as conn:
        rows = conn.execute(
            select(
                buying_db.CartLineRow.product_id,
                buying_db.CartLineRow.quantity,
                buying_db.CartLineRow.attribution_id,
            ).order_by(buying_db.CartLineRow.product_id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def checkout_key(page: httpx.Response) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def check_out(system: System, key: str | None = None, **fields: str) -> httpx.Response:
    key = key or checkout_key(get(system, "/checkout"))
    data = ADDRESS | {"method": "virtual_account", "idempotency_key": key} | fields
    return post(system, "/checkout", **data)


def batik(system: System, **fields: Any) -> dict[str, Any]:
    return system.product(system.merchant(), **({"price_idr": 350_000, "stock": 5} | fields))


def placed_order(system: System) -> tuple[dict[str, Any], httpx.Response]:
    product = batik(system)
    sign_up(system)
    add(system, product["id"])
    to_pay = check_out(system)
    assert to_pay.status_code == 303, to_pay.text
    with system.commerce_engine.connect() as conn:
        order_id = conn.scalar(select(order_db.OrderRow.id))
    return {"id": order_id, "product": product}, to_pay


def pay_at_partner(system: System, partner: SimulatorHarness, pay_url: str) -> httpx.Response:
    """As the buyer on the partner's pay page: press Bayar; the partner sends them back."""
    transaction = urlsplit(pay_url).path.rsplit("/", 1)[1]
    back = partner.client.post(
        f"/pay/{transaction}",
        data={"method": "bank_transfer"},
        headers=HTML,
        follow_redirects=False,
    )
    assert back.status_code == 303, back.text
    return back


# -- accounts -------------------------------------------------------------------------------------


def test_signing_up_keeps_an_httponly_lax_session_and_logging_out_ends_it(system: System) -> None:
    r = sign_up(system)
    assert r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    cart = get(system, "/cart")
    assert cart.status_code == 200 and 'data-testid="logout"' in cart.text
    assert cart.headers["cache-control"] == "no-store"

    token = system.commerce.cookies[SESSION_COOKIE]
    out = post(system, "/logout")
    assert out.status_code == 303 and SESSION_COOKIE not in system.commerce.cookies
    assert get(system, "/cart").headers["location"] == "/login?next=/cart"
    # The session is revoked, not only forgotten by this browser: its token no longer works.
    stolen = system.commerce.get("/api/cart", headers={"Authorization": f"Bearer {token}"})
    assert stolen.status_code == 401


def test_the_session_cookie_is_secure_on_https(system: System) -> None:
    secure = system.commerce.post(
        "https://commerce.test/signup",
        data={"name": "Siti", "email": "siti@example.com", "password": PASSWORD},
        headers=HTML | {"origin": "https://commerce.test"},
        follow_redirects=False,
    )
    assert secure.status_code == 303
    assert "Secure" in secure.headers["set-cookie"]


def test_logging_in_returns_to_where_the_buyer_was_going(system: System) -> None:
    sign_up(system)
    post(system, "/logout")
    asked = get(system, "/orders?page=2")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login?next=/orders%3Fpage%3D2"
    login = get(system, asked.headers["location"])
    assert 'name="next" value="/orders?page=2"' in login.text
    r = post(system, "/login", email="SITI@example.com", password=PASSWORD, next="/orders?page=2")
    assert r.status_code == 303 and r.headers["location"] == "/orders?page=2"
    assert get(system, "/orders").status_code == 200


def test_a_wrong_password_is_refused_and_the_email_kept(system: System) -> None:
    sign_up(system)
    post(system, "/logout")
    r = post(system, "/login", email="siti@example.com", password="bukan-sandinya", next="/")
    assert r.status_code == 401
    assert "Email atau kata sandi salah" in r.text
    assert 'value="siti@example.com"' in r.text and "bukan-sandinya" not in r.text
    assert SESSION_COOKIE not in system.commerce.cookies


def test_sign_up_mistakes_are_shown_next_to_their_fields_and_input_kept(system: System) -> None:
    r = post(system, "/signup", name="Siti Rahma", email="siti-at-example", password="pendek")
    assert r.status_code == 422
    assert 'data-testid="error-email"' in r.text and 'data-testid="error-password"' in r.text
    assert "minimal 10 karakter" in r.text
    assert 'value="Siti Rahma"' in r.text and 'value="siti-at-example"' in r.text
    sign_up(system)
    post(system, "/logout")
    again = post(system, "/signup", name="Siti", email="siti@example.com", password=PASSWORD)
    assert again.status_code == 422 and "sudah terdaftar" in again.text


@pytest.mark.parametrize(
    "hostile", ["https://evil.test/", "//evil.test/", "/\\evil.test", "/\t/evil.test"]
)
def test_next_never_leads_off_the_shop(system: System, hostile: str) -> None:
    r = sign_up(system, next=hostile)
    assert r.headers["location"] == "/"


# -- cross-site forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site", "origin": "https://evil.test"},
        {"sec-fetch-site": "same-site", "origin": "http://social.test"},
        {"origin": "https://evil.test"},
        {"origin": "null"},
        {"referer": "https://evil.test/page"},
        {},
    ],
    ids=["cross-site", "same-site", "other-origin", "null-origin", "other-referer", "no-header"],
)
def test_a_form_another_site_posts_is_refused_and_changes_nothing(
    system: System, headers: dict[str, str]
) -> None:
    product = batik(system)
    sign_up(system)
    refused = post(system, "/cart/add", HTML | headers, product_id=product["id"], quantity=1)
    assert refused.status_code == 403
    assert "tidak dikirim dari halaman Keranjang" in refused.text
    assert cart_lines(system) == []
    login = post(system, "/login", HTML | headers, email="siti@example.com", password=PASSWORD)
    assert login.status_code == 403 and "set-cookie" not in login.headers


def test_a_form_from_the_shop_counts_by_origin_or_referer_too(system: System) -> None:
    product = batik(system)
    sign_up(system)
    by_origin = post(system, "/cart/add", HTML | {"origin": COMMERCE_URL}, product_id=product["id"])
    by_referer = post(
        system,
        "/cart/add",
        HTML | {"referer": f"{COMMERCE_URL}/products/1"},
        product_id=product["id"],
    )
    assert by_origin.status_code == by_referer.status_code == 303
    assert cart_lines(system) == [(product["id"], 2, None)]


# -- product page and cart ------------------------------------------------------------------------


def product_part(html: str) -> str:
    """The product itself (what every visitor sees alike), without the page's header."""
    return html[html.index('<article class="pdp"') : html.index("</article>")]


def test_the_product_page_offers_add_to_cart_and_is_the_same_for_everyone(system: System) -> None:
    product = batik(system, stock=3)
    anonymous = get(system, f"/products/{product['id']}")
    assert 'action="/cart/add"' in anonymous.text and 'max="3"' in anonymous.text
    assert f'href="/login?next=/products/{product["id"]}"' in anonymous.text
    assert 'data-testid="nav-account"' not in anonymous.text
    sign_up(system)
    signed_in = get(system, f"/products/{product['id']}")
    assert product_part(signed_in.text) == product_part(anonymous.text)
    # The header is the signed-in buyer's own: their account, not "Masuk".
    assert 'data-testid="nav-account"' in signed_in.text
    assert 'data-testid="nav-login"' not in signed_in.text
    sold_out = system.product(system.merchant("kain-habis", "Kain Habis"), stock=0)
    assert "disabled>Stok habis" in get(system, f"/products/{sold_out['id']}").text


def test_a_handed_off_buyer_logs_in_midway_and_the_creator_is_still_credited(
    system: System, partner: SimulatorHarness
) -> None:
    pin = system.pinned_product()
    product_id = pin["product"]["product_id"]
    landing = system.commerce.get(system.click_cart(pin["id"]), headers=HTML)
    # Redeemed, then sent to the product's own address with the attribution in the cookie.
    assert [r.status_code for r in landing.history] == [303]
    assert ATTRIBUTION_COOKIE in landing.history[0].cookies
    assert landing.url.path == f"/products/{pin['product']['product_id']}"

    asked = add(system, product_id, 2)
    assert asked.status_code == 303
    to_login = urlsplit(asked.headers["location"])
    assert to_login.path == "/login"
    carried = {k: v[0] for k, v in parse_qs(to_login.query).items()}
    assert carried == {
        "next": f"/products/{product_id}",
        "product_id": str(product_id),
        "quantity": "2",
    }
    signup_page = get(system, f"/signup?{to_login.query}")
    assert f'name="product_id" value="{product_id}"' in signup_page.text

    signed_up = sign_up(system, **carried)
    assert signed_up.headers["location"] == f"/cart?added={product_id}"
    assert "sudah masuk ke keranjang" in get(system, signed_up.headers["location"]).text
    with system.commerce_engine.connect() as conn:
        attribution_id = conn.scalar(select(AttributionRow.id))
    assert cart_lines(system) == [(product_id, 2, attribution_id)]

    post(system, f"/cart/{product_id}", quantity=1)  # an edit keeps the creator's credit
    assert cart_lines(system) == [(product_id, 1, attribution_id)]
    assert check_out(system).status_code == 303
    with system.commerce_engine.connect() as conn:
        credited = conn.scalar(select(order_db.OrderLineRow.attribution_id))
    assert credited == attribution_id


def test_the_cart_groups_lines_by_shop_with_shipping_each_and_edits_them(system: System) -> None:
    kain = batik(system, title="Kain Batik", price_idr=165_000)
    kopi = system.product(
        system.merchant("kopi-gayo", "Kopi Gayo"), title="Kopi Gayo", price_idr=95_000, stock=9
    )
    sign_up(system)
    add(system, kain["id"], 2)
    add(system, kopi["id"], 1)
    add(system, kopi["id"], 2)  # adds to what is there
    page = get(system, "/cart").text
    assert page.count('data-testid="cart-shop"') == 2
    assert "Batik Sekar" in page and "Kopi Gayo" in page
    assert "Rp330.000" in page and "Rp285.000" in page  # 2 x 165.000, 3 x 95.000
    assert page.count("Rp15.000") == 2  # shipping per shop
    assert 'data-testid="cart-total">Rp645.000<' in page  # 330.000 + 285.000 + 2 x 15.000

    post(system, f"/cart/{kopi['id']}", quantity=1)
    post(system, f"/cart/{kain['id']}", quantity=0)
    assert cart_lines(system) == [(kopi["id"], 1, None)]
    page = get(system, "/cart").text
    assert page.count('data-testid="cart-shop"') == 1
    assert 'data-testid="cart-total">Rp110.000<' in page


def sold_elsewhere(system: System, product_id: int, left: int) -> None:
    """Another buyer took stock after this buyer's cart was filled."""
    with system.commerce_engine.begin() as conn:
        conn.execute(update(ProductRow).where(ProductRow.id == product_id).values(stock=left))


def test_the_cart_warns_when_a_line_asks_for_more_than_is_left(system: System) -> None:
    product = batik(system, stock=3)
    sign_up(system)
    add(system, product["id"], 3)
    sold_elsewhere(system, product["id"], 1)
    assert "Stok tinggal 1" in get(system, "/cart").text


# -- checkout -------------------------------------------------------------------------------------


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


# -- orders ---------------------------------------------------------------------------------------


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

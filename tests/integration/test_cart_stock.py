"""The cart never holds more than the shop has: a quantity above the stock left is cut to it,
and the cart page says so in Indonesian; a product sold out is not added at all."""

from tests.integration.buyer_pages import add, batik, cart_lines, get, post, sign_up
from tests.integration.conftest import System


def test_adding_more_than_the_stock_keeps_the_stock_and_says_so(system: System) -> None:
    product = batik(system, title="Kain Songket", stock=2)
    sign_up(system)
    r = add(system, product["id"], 5)
    assert r.headers["location"] == f"/cart?capped={product['id']}"
    assert cart_lines(system) == [(product["id"], 2, None)]
    page = get(system, r.headers["location"]).text
    assert "Stok Kain Songket tinggal 2: jumlah di keranjangmu disesuaikan menjadi 2." in page
    assert 'data-testid="short-of-stock"' not in page  # what is in the cart can be bought
    add(system, product["id"], 1)  # on top of the two already there
    assert cart_lines(system) == [(product["id"], 2, None)]


def test_changing_a_line_above_the_stock_keeps_the_stock(system: System) -> None:
    product = batik(system, title="Kain Songket", stock=4)
    sign_up(system)
    add(system, product["id"], 1)
    r = post(system, f"/cart/{product['id']}", quantity=9)
    assert r.headers["location"] == f"/cart?capped={product['id']}"
    assert cart_lines(system) == [(product["id"], 4, None)]
    assert 'max="4"' in get(system, "/cart").text
    assert post(system, f"/cart/{product['id']}", quantity=3).headers["location"] == "/cart"
    assert cart_lines(system) == [(product["id"], 3, None)]


def test_a_sold_out_product_is_not_added(system: System) -> None:
    product = batik(system, title="Kain Songket", stock=0)
    sign_up(system)
    r = add(system, product["id"], 1)
    assert cart_lines(system) == []
    assert "Stok Kain Songket habis" in get(system, r.headers["location"]).text


def test_a_product_added_before_logging_in_is_capped_too(system: System) -> None:
    product = batik(system, title="Kain Songket", stock=1)
    asked = add(system, product["id"], 3)  # not signed in: the login page carries it
    assert asked.headers["location"].startswith("/login?")
    r = sign_up(system, product_id=str(product["id"]), quantity="3", next="/")
    assert r.headers["location"] == f"/cart?capped={product['id']}"
    assert cart_lines(system) == [(product["id"], 1, None)]

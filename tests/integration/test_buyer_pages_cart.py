"""The buyer's pages, the product page and the cart: the same product for everyone, a handed-off
buyer who signs in midway keeps the creator's credit, lines grouped by shop and edited, stock
that ran short. On SQLite and PostgreSQL."""

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from keranjang.commerce.attribution.db import AttributionRow
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.web.cookies import ATTRIBUTION_COOKIE
from tests.integration.buyer_pages import (
    HTML,
    add,
    batik,
    cart_lines,
    check_out,
    get,
    post,
    sign_up,
    sold_elsewhere,
)
from tests.integration.conftest import System
from tests.integration.payment_partners import SimulatorHarness


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


def test_the_cart_warns_when_a_line_asks_for_more_than_is_left(system: System) -> None:
    product = batik(system, stock=3)
    sign_up(system)
    add(system, product["id"], 3)
    sold_elsewhere(system, product["id"], 1)
    assert "Stok tinggal 1" in get(system, "/cart").text

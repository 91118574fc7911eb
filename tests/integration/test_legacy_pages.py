"""The in-app shop's pages, as a browser sends them, on SQLite and PostgreSQL: a viewer signs up,
opens a legacy pin's product sheet, buys, pays on the partner's page and sees the order paid;
the seller ships it in the seller tools. A bad form keeps what was typed and names the field; a
form posted from another site is refused and changes nothing; a checkout form submitted twice
places one order; a seller never sees another seller's orders."""

import re
import threading
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keranjang.social.legacy_shop import db
from tests.integration.conftest import SOCIAL_URL, bearer
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.test_legacy_routing import pin_legacy

OWN = {"origin": SOCIAL_URL, "accept": "text/html"}
ADDRESS_FORM = {
    "address": "baru",
    "recipient": "Siti Aminah",
    "phone": "0812-3456-7890",
    "street": "Jl. Merdeka No. 17, RT 02/RW 05",
    "city": "Bandung",
    "postal_code": "40111",
    "method": "virtual_account",
}


def post(client: TestClient, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
    return client.post(path, data=data, headers=OWN | headers, follow_redirects=False)


def page(client: TestClient, path: str) -> httpx.Response:
    r = client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return r


def sign_up(client: TestClient, email: str = "siti@example.com") -> None:
    form = {"name": "Siti Aminah", "email": email, "password": "rahasia-sekali", "next": "/"}
    r = post(client, "/legacy/account/signup", form)
    assert r.status_code == 303, r.text


def form_key(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def order_count(legacy: Legacy) -> int:
    with legacy.engine.connect() as c:
        return int(c.scalar(select(func.count()).select_from(db.OrderRow)) or 0)


def shop_with_product(legacy: Legacy, stock: int = 10) -> tuple[dict[str, Any], dict[str, Any]]:
    seller = legacy.seller()
    product = legacy.product(
        seller, title="Sambal Roa", price_idr=45_000, stock=stock, sni_number="SNI 01-2345"
    )
    return seller, product


def seller_signs_in(client: TestClient, seller: dict[str, Any]) -> None:
    r = post(client, "/legacy/seller/login", {"token": seller["token"]})
    assert r.status_code == 303 and r.headers["location"] == "/legacy/seller/orders", r.text


def checkout_and_pay(legacy: Legacy, client: TestClient) -> int:
    """Checkout with a new address; on the partner's page; back to the order. Its id."""
    key = form_key(page(client, "/legacy/checkout").text)
    r = post(client, "/legacy/checkout", ADDRESS_FORM | {"idempotency_key": key})
    assert r.status_code == 303, r.text
    pay_path = urlsplit(r.headers["location"]).path
    assert pay_path.startswith("/pay/")
    paid = legacy.sim.client.post(
        pay_path, data={"method": "bank_transfer"}, headers={"accept": "text/html"},
        follow_redirects=False,
    )  # fmt: skip
    assert paid.status_code == 303, paid.text
    back = urlsplit(paid.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == SOCIAL_URL
    legacy.deliver()
    return int(back.path.rsplit("/", 1)[1])


def test_a_viewer_buys_from_a_legacy_pin_pays_and_the_seller_ships(legacy: Legacy) -> None:
    seller, product = shop_with_product(legacy)
    pin = pin_legacy(legacy.system, product)
    client = legacy.social
    landing = client.get(f"/cart/{pin['id']}", follow_redirects=False).headers["location"]
    sheet = page(client, landing).text
    assert "Sambal Roa" in sheet and "Rp45.000" in sheet and "SNI 01-2345" in sheet
    assert "Stok 10" in sheet and "Toko Rina" in sheet and "Masuk untuk membeli" in sheet

    sign_up(client)
    r = post(client, "/legacy/cart/add", {"product_id": str(product["id"]), "quantity": "2",
                                          "pin": str(pin["id"])})  # fmt: skip
    assert r.status_code == 303, r.text
    assert "Sambal Roa masuk keranjang" in page(client, r.headers["location"]).text
    order_id = checkout_and_pay(legacy, client)

    order_page = page(client, f"/legacy/orders/{order_id}").text
    assert 'data-status="paid"' in order_page and "Dibayar" in order_page
    assert "27 Mar 2024, 16.00 WIB" in order_page  # the clock's 09.00 UTC, in WIB
    assert "Rp105.000" in order_page
    with legacy.engine.connect() as c:
        creators = c.scalars(select(db.OrderLineRow.creator_id)).all()
    assert creators == [pin_creator(legacy, pin)]

    seller_signs_in(client, seller)
    assert "Dibayar" in page(client, "/legacy/seller/orders").text
    r = post(client, f"/legacy/seller/orders/{order_id}/ship", {"tracking_number": "JNE-0042"})
    assert r.status_code == 303, r.text
    assert "JNE-0042" in page(client, f"/legacy/seller/orders/{order_id}").text
    shipped = page(client, f"/legacy/orders/{order_id}").text
    assert 'data-status="shipped"' in shipped and "Dikirim" in shipped and "JNE-0042" in shipped
    assert "Rp105.000" in page(client, "/legacy/seller/balance").text


def pin_creator(legacy: Legacy, pin: dict[str, Any]) -> int:
    content = legacy.social.get(f"/api/content/{pin['content_id']}").json()
    return int(content["creator"]["id"])


def test_a_bad_form_keeps_what_was_typed_and_names_the_field(legacy: Legacy) -> None:
    seller, product = shop_with_product(legacy, stock=3)
    client = legacy.social
    r = post(client, "/legacy/account/signup",
             {"name": "Siti", "email": "siti-at-example", "password": "pendek"})  # fmt: skip
    assert r.status_code == 422
    assert 'data-testid="error-email"' in r.text and 'data-testid="error-password"' in r.text
    assert 'value="siti-at-example"' in r.text and 'value="Siti"' in r.text
    assert 'data-testid="error-name"' not in r.text

    sign_up(client)
    r = post(client, "/legacy/cart/add", {"product_id": str(product["id"]), "quantity": "dua"})
    assert r.status_code == 422 and 'data-testid="error-quantity"' in r.text
    assert 'value="dua"' in r.text
    r = post(client, "/legacy/cart/add", {"product_id": str(product["id"]), "quantity": "9"})
    assert r.status_code == 303  # more than the stock: cut to it, and said so
    assert "Stok Sambal Roa tinggal 3" in page(client, r.headers["location"]).text
    r = post(client, f"/legacy/cart/{product['id']}", {"quantity": "-1"})
    assert r.status_code == 422 and 'value="-1"' in r.text

    key = form_key(page(client, "/legacy/checkout").text)
    typed = ADDRESS_FORM | {"phone": "12ab", "postal_code": "401", "idempotency_key": key}
    r = post(client, "/legacy/checkout", typed)
    assert r.status_code == 422, r.text
    assert 'data-testid="error-phone"' in r.text and 'data-testid="error-postal_code"' in r.text
    assert 'data-testid="error-street"' not in r.text
    assert 'value="Jl. Merdeka No. 17, RT 02/RW 05"' in r.text and 'value="401"' in r.text
    assert order_count(legacy) == 0

    seller_signs_in(client, seller)
    r = post(client, f"/legacy/seller/products/{product['id']}",
             {"price_idr": "empat puluh", "stock": "5"})  # fmt: skip
    assert r.status_code == 422
    assert f'data-testid="error-price-{product["id"]}"' in r.text
    assert 'value="empat puluh"' in r.text
    r = post(client, f"/legacy/seller/products/{product['id']}",
             {"price_idr": "50.000", "stock": "5"})  # fmt: skip
    assert r.status_code == 303
    listed = legacy.social.get(f"/legacy/api/products/{product['id']}").json()
    assert (listed["price_idr"], listed["stock"]) == (50_000, 5)


def test_a_form_from_another_site_is_refused_and_changes_nothing(legacy: Legacy) -> None:
    seller, product = shop_with_product(legacy)
    client = legacy.social
    sign_up(client)
    add = {"product_id": str(product["id"]), "quantity": "1"}
    for headers in (
        {"origin": "http://evil.test"},
        {"origin": "http://social.test:8443"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": SOCIAL_URL},
        {"origin": "", "referer": "http://evil.test/page"},
    ):
        r = client.post("/legacy/cart/add", data=add, headers={"accept": "text/html"} | headers)
        assert r.status_code == 403, (headers, r.text)
        assert "tidak dikirim dari halaman aplikasi ini" in r.text
    assert 'data-testid="cart-empty"' in page(client, "/legacy/cart").text

    assert post(client, "/legacy/cart/add", add).status_code == 303
    key = form_key(page(client, "/legacy/checkout").text)
    cross = {"origin": "http://evil.test"}
    r = post(client, "/legacy/checkout", ADDRESS_FORM | {"idempotency_key": key}, **cross)
    assert r.status_code == 403 and order_count(legacy) == 0
    r = post(client, "/legacy/account/logout", {}, **cross)
    assert r.status_code == 403 and "Keluar" in page(client, "/legacy/cart").text

    order_id = checkout_and_pay(legacy, client)
    seller_signs_in(client, seller)
    r = post(client, f"/legacy/seller/orders/{order_id}/cancel", {"reason": "habis"}, **cross)
    assert r.status_code == 403
    r = post(client, f"/legacy/seller/products/{product['id']}",
             {"price_idr": "1", "stock": "0"}, **cross)  # fmt: skip
    assert r.status_code == 403
    assert 'data-status="paid"' in page(client, f"/legacy/seller/orders/{order_id}").text
    listed = legacy.social.get(f"/legacy/api/products/{product['id']}").json()
    assert listed["price_idr"] == 45_000


def test_a_checkout_form_submitted_twice_places_one_order(legacy: Legacy) -> None:
    _, product = shop_with_product(legacy, stock=5)
    client = legacy.social
    sign_up(client)
    post(client, "/legacy/cart/add", {"product_id": str(product["id"]), "quantity": "2"})
    form = ADDRESS_FORM | {"idempotency_key": form_key(page(client, "/legacy/checkout").text)}

    # Two presses at once (two connections, one session), then a third after both.
    twin = TestClient(client.app, base_url=SOCIAL_URL, cookies=dict(client.cookies))
    answers: list[httpx.Response] = []
    presses = [threading.Thread(target=lambda c=c: answers.append(post(c, "/legacy/checkout", form)))
               for c in (client, twin)]  # fmt: skip
    for press in presses:
        press.start()
    for press in presses:
        press.join()
    answers.append(post(client, "/legacy/checkout", form))

    assert [a.status_code for a in answers] == [303, 303, 303], [a.text[:300] for a in answers]
    assert len({a.headers["location"] for a in answers}) == 1  # the same pay page
    assert order_count(legacy) == 1
    assert legacy.social.get(f"/legacy/api/products/{product['id']}").json()["stock"] == 3


def test_a_seller_cannot_see_or_touch_another_sellers_orders(legacy: Legacy) -> None:
    seller, product = shop_with_product(legacy)
    other = legacy.seller("toko-budi")
    client = legacy.social
    sign_up(client)
    post(client, "/legacy/cart/add", {"product_id": str(product["id"]), "quantity": "1"})
    order_id = checkout_and_pay(legacy, client)

    seller_signs_in(client, other)
    assert 'data-testid="orders-empty"' in page(client, "/legacy/seller/orders").text
    r = client.get(f"/legacy/seller/orders/{order_id}", headers={"accept": "text/html"})
    assert r.status_code == 404 and 'data-testid="error"' in r.text
    r = post(client, f"/legacy/seller/orders/{order_id}/ship", {"tracking_number": "JNE-0042"})
    assert r.status_code == 404
    r = post(client, f"/legacy/seller/products/{product['id']}", {"price_idr": "1", "stock": "1"})
    assert r.status_code == 404
    r = legacy.social.get(f"/legacy/api/seller/orders/{order_id}", headers=bearer(seller))
    assert r.json()["status"] == "paid" and r.json()["tracking_number"] is None


def test_odd_input_to_the_pages_is_refused_never_a_server_error(legacy: Legacy) -> None:
    seller, product = shop_with_product(legacy)
    client = legacy.social
    sign_up(client)
    seller_signs_in(client, seller)
    paths = ["/legacy/account/login", "/legacy/account/signup", "/legacy/cart/add",
             f"/legacy/cart/{product['id']}", "/legacy/checkout", "/legacy/orders/1/pay",
             "/legacy/seller/login", f"/legacy/seller/products/{product['id']}",
             "/legacy/seller/orders/1/ship", "/legacy/seller/orders/1/cancel"]  # fmt: skip
    bodies: list[tuple[bytes, str]] = [
        (b'{"quantity": 1}', "application/json"),
        (b"a=" + b"x" * 40_000, "application/x-www-form-urlencoded"),
        (b"&".join(b"f%d=1" % i for i in range(60)), "application/x-www-form-urlencoded"),
        (
            b"quantity=%FF%FE&product_id=99999999999999999999&price_idr=1e9&stock=-0",
            "application/x-www-form-urlencoded",
        ),
        (b"", "multipart/form-data; boundary=x"),
    ]
    for path in paths:
        for body, kind in bodies:
            r = client.post(path, content=body, headers=OWN | {"content-type": kind})
            assert r.status_code < 500, (path, kind, r.status_code, r.text[:300])
    for path in ("/legacy/products/0", "/legacy/products/99999999999999999999",
                 "/legacy/products/1?pin=-5", "/legacy/cart?ditambah=x&dibatasi=%00",
                 "/legacy/seller/orders?status=nope", "/legacy/seller/products?disimpan=1e5",
                 "/legacy/account/login?next=//evil.test", "/legacy/orders/abc"):  # fmt: skip
        r = client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert r.status_code < 500, (path, r.status_code)
    r = post(client, "/legacy/account/login",
             {"email": "siti@example.com", "password": "rahasia-sekali", "next": "//evil.test"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/legacy/")

"""Social's pages in one language at a time: walked with data (the feed, a live session with a
legacy pin, the in-app shop from product to paid order, the seller tools, the creator's sign-in,
the partner's pay page and an error page), an Indonesian reader sees none of the catalogs'
English, and an English reader (`?lang=en`, then the remembered switch) sees English. A refusal
in a form says what to fix in the form's words, in both languages; the JSON error adds its code,
parameters and message in the request's locale."""

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.english import english_on
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.test_legacy_pages import (
    ADDRESS_FORM,
    form_key,
    post,
    seller_signs_in,
    shop_with_product,
    sign_up,
)
from tests.integration.test_legacy_routing import pin_legacy

TAG = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S)


def shown(html: str) -> str:
    """What a reader sees of a page: its text without markup."""
    return re.sub(r"\s+", " ", TAG.sub(" ", html)).replace("&amp;", "&")


def get(client: TestClient, path: str, lang: str = "id") -> str:
    headers = {"accept": "text/html", "accept-language": lang}
    r = client.get(path, headers=headers, follow_redirects=False)
    assert r.status_code in (200, 404), (path, r.status_code, r.text[:300])
    assert r.headers["content-language"] == lang or path.startswith("/pay/"), path
    return shown(r.text)


def walk(legacy: Legacy) -> tuple[list[str], list[str]]:
    """A buyer and the seller through social with data: (the buyer's paths, the seller's). The
    buyer pays one order and fills the cart again, so the cart and checkout show data too."""
    seller, product = shop_with_product(legacy)
    pin = pin_legacy(legacy.system, product)
    client = legacy.social
    sign_up(client)
    post(client, "/legacy/cart/add", {"product_id": str(product["id"]), "quantity": "2",
                                      "pin": str(pin["id"])})  # fmt: skip
    key = form_key(client.get("/legacy/checkout", headers={"accept": "text/html"}).text)
    placed = post(client, "/legacy/checkout", ADDRESS_FORM | {"idempotency_key": key})
    pay_path = urlsplit(placed.headers["location"]).path
    listed = client.get("/legacy/orders", headers={"accept": "text/html"}).text
    found = re.search(r'href="(/legacy/orders/\d+)"', listed)
    assert found, listed
    order_path = found.group(1)
    buyer = ["/", "/?kind=live", f"/live/{pin['content_id']}", f"/legacy/products/{product['id']}",
             "/legacy/cart", "/legacy/checkout", "/legacy/orders", order_path,
             "/legacy/products/999999", "/kreator/masuk", "/tidak-ada"]  # fmt: skip
    legacy.sim.client.post(pay_path, data={"method": "bank_transfer"}, follow_redirects=False)
    legacy.deliver()
    post(client, "/legacy/cart/add", {"product_id": str(product["id"]), "quantity": "1"})
    seller_signs_in(client, seller)
    order_id = order_path.rsplit("/", 1)[1]
    sellers = ["/legacy/seller/orders", f"/legacy/seller/orders/{order_id}",
               "/legacy/seller/products", "/legacy/seller/balance"]  # fmt: skip
    return [*buyer, pay_path], sellers


def test_an_indonesian_reader_sees_no_english_and_an_english_reader_sees_english(
    legacy: Legacy,
) -> None:
    buyer, seller = walk(legacy)
    pay_path = buyer.pop()
    pages = {path: get(legacy.social, path) for path in buyer + seller}
    pages[pay_path] = get(legacy.sim.client, pay_path)
    for path, text in pages.items():
        assert english_on(text) == [], path
    assert "Untuk Anda" in pages["/"] and "Hanya promosi" in pages["/"]
    assert "Sambal Roa" in pages[buyer[3]] and "Dibayar" in pages[buyer[7]]
    assert "Pembayaran berhasil" in pages[pay_path]

    english = {path: get(legacy.social, path, "en") for path in buyer + seller}
    assert "For You" in english["/"] and "Promotion only" in english["/"]
    assert "Products in this live session" in english[buyer[2]]
    assert "Sold by" in english[buyer[3]] and "In stock: 8" in english[buyer[4]]
    assert "Shipping address" in english[buyer[5]] and "My orders" in english[buyer[6]]
    assert "Paid" in english[buyer[7]] and "History" in english[buyer[7]]
    assert "That product is not in this shop." in english[buyer[8]]
    assert "Sign in as a creator" in english[buyer[9]]
    assert "Page not found" in english[buyer[10]]
    assert "There is nothing at /tidak-ada here" in english[buyer[10]]
    assert "Shop orders" in english[seller[0]] and "Ship to" in english[seller[1]]
    assert "Balance of" in english[seller[3]]
    assert "Payment successful" in get(legacy.sim.client, pay_path, "en")


def test_the_switch_is_remembered_for_the_next_pages(legacy: Legacy) -> None:
    client = legacy.social
    r = client.get("/?lang=en", headers={"accept": "text/html"})
    assert "For You" in r.text and 'href="/?lang=id"' in r.text
    assert "For You" in client.get("/", headers={"accept": "text/html"}).text
    assert "Untuk Anda" in client.get("/?lang=id", headers={"accept": "text/html"}).text
    assert "Untuk Anda" in client.get("/", headers={"accept": "text/html"}).text


def test_a_refused_checkout_says_what_to_fix_in_the_forms_words(legacy: Legacy) -> None:
    seller, product = shop_with_product(legacy, stock=3)
    client = legacy.social
    sign_up(client)
    post(client, "/legacy/cart/add", {"product_id": str(product["id"]), "quantity": "3"})
    for lang, hint in (("id", "Kode pos terdiri dari 5 angka, contoh 40111."),
                       ("en", "A postal code has 5 digits, for example 40111.")):  # fmt: skip
        key = form_key(client.get("/legacy/checkout").text)
        typed = ADDRESS_FORM | {"postal_code": "401", "idempotency_key": key}
        r = post(client, f"/legacy/checkout?lang={lang}", typed)
        assert r.status_code == 422 and hint in shown(r.text), lang
        assert "postal_code" not in shown(r.text)  # the form's label, never the field's name

    _stock(client, seller, product)
    for lang, said in (("id", "Stok tidak cukup. Sambal Roa: tersisa 1, kamu memesan 3."),
                       ("en", "Not enough stock. Sambal Roa: 1 left, you ordered 3.")):  # fmt: skip
        key = form_key(client.get(f"/legacy/checkout?lang={lang}").text)
        r = post(client, "/legacy/checkout", ADDRESS_FORM | {"idempotency_key": key})
        assert r.status_code == 409 and said in shown(r.text), (lang, shown(r.text)[:600])


def _stock(client: TestClient, seller: dict[str, object], product: dict[str, object]) -> None:
    """The seller lowers the stock in the seller tools, as a seller would."""
    r = client.patch(
        f"/legacy/api/seller/products/{product['id']}",
        json={"stock": 1},
        headers={"authorization": f"Bearer {seller['token']}"},
    )
    assert r.status_code == 200, r.text


def test_a_json_error_adds_its_code_params_and_message_in_the_asked_language(
    legacy: Legacy,
) -> None:
    english = legacy.social.get(
        "/legacy/api/products/999999", headers={"accept-language": "en"}
    ).json()
    assert english["code"] == "no_product" and english["params"] == {"id": 999999}
    assert english["message"] == "That product is not in this shop."
    assert "999999" in english["detail"]  # the developer's message, as before
    indonesian = legacy.social.get("/api/content/424242").json()
    assert indonesian["code"] == "no_content" and indonesian["params"] == {"id": 424242}
    assert indonesian["message"] == "Video atau live 424242 tidak ada."

"""A merchant moving between the app and commerce is not selling in commerce: from its bind to its
cutover nothing of it is on sale there (catalog, product page, cart), and from the start of a
rollback every checkout is refused with a clear, retryable answer and nothing written, while a
checkout already under way finishes before the fence and goes back to the app with the rest. On
SQLite and PostgreSQL, checkouts racing the rollback from several threads."""

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from keranjang.commerce.errors import NotSelling
from keranjang.migration.phases import Phase
from tests.integration.conftest import HTML, bearer
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.test_checkout import ADDRESS
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401

BUYERS = 6
PLACED_BEFORE_THE_ROLLBACK = 12  # orders placed in commerce before the rollback starts
TRIES_AFTER_THE_ROLLBACK = 3


def commerce_products(moving: Moving) -> list[int]:
    merchant = moving.move().commerce_merchant_id
    found = rows(moving.commerce, f"SELECT id FROM products WHERE merchant_id = {merchant} ORDER BY id")  # fmt: skip
    return [r[0] for r in found]


def buyer(moving: Moving, email: str) -> dict[str, str]:
    r = moving.legacy.system.commerce.post(
        "/api/buyers", json={"email": email, "name": "Dewi", "password": "rahasia-sekali"}
    )
    assert r.status_code == 201, r.text
    return {"token": r.json()["token"]}


def test_a_merchant_is_not_on_sale_in_commerce_from_its_bind_to_its_cutover(
    moving: Moving,
) -> None:
    commerce = moving.legacy.system.commerce
    assert moving.run(Phase.CATCHING_UP) is Phase.CATCHING_UP
    products = commerce_products(moving)
    assert products, "the copy brought the merchant's products"
    dewi = buyer(moving, "dewi.awal@example.com")

    feed = commerce.get("/catalog/products?limit=200").json()["items"]
    assert not {p["id"] for p in feed} & set(products)
    assert commerce.get(f"/catalog/products/{products[0]}").status_code == 404
    page = commerce.get(f"/products/{products[0]}", headers=HTML)
    assert page.status_code == 409 and "Toko sedang pindah" in page.text, page.text
    r = commerce.put(f"/api/cart/items/{products[0]}", json={"quantity": 1}, headers=bearer(dewi))
    assert r.status_code == 409 and r.json()["error"] == "NotSelling", r.text
    assert "try again" in r.json()["detail"]

    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    feed = commerce.get("/catalog/products?limit=200").json()["items"]
    assert set(products) <= {p["id"] for p in feed}
    assert commerce.get(f"/products/{products[0]}", headers=HTML).status_code == 200
    r = commerce.put(f"/api/cart/items/{products[0]}", json={"quantity": 1}, headers=bearer(dewi))
    assert r.status_code == 200, r.text


def test_a_checkout_after_the_rollback_started_is_refused_and_writes_nothing(
    moving: Moving,
) -> None:
    commerce = moving.legacy.system.commerce
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    product = commerce_products(moving)[0]
    dewi = buyer(moving, "dewi.telat@example.com")
    r = commerce.put(f"/api/cart/items/{product}", json={"quantity": 1}, headers=bearer(dewi))
    assert r.status_code == 200, r.text
    stock = one(moving.commerce, f"SELECT stock FROM products WHERE id = {product}")
    orders = one(moving.commerce, "SELECT count(*) FROM orders")

    assert moving.mover.rollback(moving.seller_id, "operator", "asked") is Phase.ROLLED_BACK

    key = {"Idempotency-Key": uuid.uuid4().hex}
    for _ in range(2):  # the refusal is not stored under the key: each try is refused afresh
        r = commerce.post("/api/checkout", json={"shipping_address": ADDRESS},
                          headers=bearer(dewi) | key)  # fmt: skip
        assert r.status_code == 409 and r.json()["error"] == "NotSelling", r.text
    assert one(moving.commerce, "SELECT count(*) FROM orders") == orders
    assert one(moving.commerce, f"SELECT stock FROM products WHERE id = {product}") == stock
    assert one(moving.commerce, "SELECT count(*) FROM idempotency_keys WHERE key = :k",
               k=key["Idempotency-Key"]) == 0  # fmt: skip
    assert len(commerce.get("/api/cart", headers=bearer(dewi)).json()["lines"]) == 1


@dataclass
class Shoppers:
    """Buyers checking out the merchant's product again and again, each in a thread of its own,
    until commerce refuses them."""

    moving: Moving
    product: int
    placed: list[str] = field(default_factory=list)
    refused: list[Exception] = field(default_factory=list)
    enough: threading.Event = field(default_factory=threading.Event)
    rolled_back: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def buying(self) -> Any:
        return self.moving.legacy.system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]

    def shop(self, n: int) -> None:
        buying = self.buying
        me = buying.buyer_id(buying.sign_up(f"pembeli{n}@example.com", "P", "rahasia-sekali"))
        after = 0
        while after < TRIES_AFTER_THE_ROLLBACK:  # a broken fence ends the test, not hangs it
            after += self.rolled_back.is_set()
            try:
                buying.set_quantity(me, self.product, 1)
                answer = buying.checkout(me, uuid.uuid4().hex, {"shipping_address": ADDRESS})
            except Exception as exc:  # the refusal ends this buyer's shopping
                with self.lock:
                    self.refused.append(exc)
                return
            assert answer.status_code == 201, answer.body
            with self.lock:
                self.placed.extend(o["number"] for o in answer.body["orders"])
                if len(self.placed) >= PLACED_BEFORE_THE_ROLLBACK:
                    self.enough.set()


def test_checkouts_racing_the_rollback_are_all_in_the_app_afterwards(moving: Moving) -> None:
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    merchant = moving.move().commerce_merchant_id
    product = commerce_products(moving)[0]
    r = moving.legacy.system.commerce.patch(
        f"/api/seller/products/{product}", json={"stock": 100_000}, headers=bearer(moving.seller)
    )
    assert r.status_code == 200, r.text
    shoppers = Shoppers(moving, product)
    threads = [threading.Thread(target=shoppers.shop, args=(n,)) for n in range(BUYERS)]
    for t in threads:
        t.start()
    assert shoppers.enough.wait(timeout=120), shoppers.refused

    assert moving.mover.rollback(moving.seller_id, "operator", "asked") is Phase.ROLLED_BACK
    shoppers.rolled_back.set()
    for t in threads:
        t.join(timeout=120)

    assert [type(e) for e in shoppers.refused] == [NotSelling] * BUYERS, shoppers.refused
    in_commerce = {r[0] for r in rows(moving.commerce, f"SELECT number FROM orders WHERE merchant_id = {merchant}")}  # fmt: skip
    in_app = {r[0] for r in rows(moving.social, f"SELECT number FROM legacy_orders WHERE seller_id = {moving.seller_id}")}  # fmt: skip
    assert set(shoppers.placed) <= in_commerce
    assert in_commerce - in_app == set(), "orders placed in commerce that never reached the app"

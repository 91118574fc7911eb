"""The legacy shop under real HTTP concurrency: a flash sale sells exactly the stock, a retried
checkout is placed once, and sign-ups racing for one email get one account and 409s."""

import threading
import uuid
from collections import Counter
from collections.abc import Callable

import httpx
from sqlalchemy import func, select

from keranjang.social.legacy_shop import db
from tests.integration.conftest import System, bearer, serving
from tests.integration.legacy_fixtures import ADDRESS

BUYERS = 24
UNITS = 7


def at_once(calls: list[Callable[[], int]]) -> Counter[int]:
    """Run every call in its own thread, released together; count the statuses."""
    start = threading.Barrier(len(calls))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def run(call: Callable[[], int]) -> None:
        start.wait()
        status = call()
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_a_flash_sale_in_the_app_sells_exactly_the_stock(system: System) -> None:
    r = system.social.post(
        "/legacy/api/sellers", json={"slug": "toko-kilat", "name": "Toko Kilat"},
        headers=system.operator(),
    )  # fmt: skip
    seller = r.json()
    product = system.social.post(
        "/legacy/api/seller/products",
        json={"title": "Sepatu Edisi Terbatas", "price_idr": 250_000, "stock": UNITS},
        headers=bearer(seller),
    ).json()
    with serving(system.social.app) as url, httpx.Client(base_url=url, timeout=30) as http:  # type: ignore[arg-type]
        viewers = []
        for i in range(BUYERS):
            r = http.post(
                "/api/viewers",
                json={
                    "email": f"pembeli{i}@example.com",
                    "name": f"P{i}",
                    "password": "rahasia-sekali",
                },
            )
            assert r.status_code == 201, r.text
            auth = bearer(r.json())
            r = http.put(
                f"/legacy/api/cart/items/{product['id']}", json={"quantity": 1}, headers=auth
            )
            assert r.status_code == 200, r.text
            viewers.append(auth)

        def buyer(auth: dict[str, str]) -> Callable[[], int]:
            def buy() -> int:
                with httpx.Client(base_url=url, timeout=60) as own:
                    headers = auth | {"Idempotency-Key": uuid.uuid4().hex}
                    body = {"shipping_address": ADDRESS}
                    return own.post("/legacy/api/checkout", json=body, headers=headers).status_code

            return buy

        statuses = at_once([buyer(auth) for auth in viewers])

    assert statuses == Counter({201: UNITS, 409: BUYERS - UNITS})
    with system.social_engine.connect() as c:
        assert c.scalar(select(db.ProductRow.stock).where(db.ProductRow.id == product["id"])) == 0
        assert c.scalar(select(func.count()).select_from(db.OrderRow)) == UNITS
        assert c.scalar(select(func.sum(db.OrderLineRow.quantity))) == UNITS
        assert c.scalar(select(func.sum(db.StockHoldRow.quantity))) == UNITS


def test_a_checkout_retried_at_once_is_placed_once(system: System) -> None:
    seller = system.social.post(
        "/legacy/api/sellers", json={"slug": "toko-ulang", "name": "Toko Ulang"},
        headers=system.operator(),
    ).json()  # fmt: skip
    product = system.social.post(
        "/legacy/api/seller/products",
        json={"title": "Tas Rotan", "price_idr": 90_000, "stock": 5},
        headers=bearer(seller),
    ).json()
    with serving(system.social.app) as url, httpx.Client(base_url=url, timeout=30) as http:  # type: ignore[arg-type]
        r = http.post(
            "/api/viewers",
            json={"email": "ulang@example.com", "name": "U", "password": "rahasia-sekali"},
        )
        auth = bearer(r.json()) | {"Idempotency-Key": "one-checkout-0001"}
        http.put(f"/legacy/api/cart/items/{product['id']}", json={"quantity": 2}, headers=auth)
        answers: list[str] = []

        def retry() -> int:
            with httpx.Client(base_url=url, timeout=60) as own:
                r = own.post(
                    "/legacy/api/checkout", json={"shipping_address": ADDRESS}, headers=auth
                )
            answers.append(str([o["id"] for o in r.json().get("orders", [])]))
            return r.status_code

        statuses = at_once([retry] * 6)
    assert statuses == Counter({201: 6})
    assert len(set(answers)) == 1
    with system.social_engine.connect() as c:
        assert c.scalar(select(db.ProductRow.stock).where(db.ProductRow.id == product["id"])) == 3
        assert c.scalar(select(func.count()).select_from(db.OrderRow)) == 1


def test_sign_ups_racing_for_one_email_get_one_account_and_409s(system: System) -> None:
    with serving(system.social.app) as url:  # type: ignore[arg-type]

        def sign_up() -> int:
            with httpx.Client(base_url=url, timeout=60) as own:
                body = {"email": "kembar@example.com", "name": "K", "password": "rahasia-sekali"}
                return own.post("/api/viewers", json=body).status_code

        statuses = at_once([sign_up] * 6)
    assert statuses == Counter({201: 1, 409: 5})

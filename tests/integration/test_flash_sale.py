"""A flash sale over real HTTP: many buyers at once race for fewer units than buyers."""

import threading
import uuid
from collections import Counter

import httpx
from sqlalchemy import func, select

from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.orders import db as order_db
from tests.integration.conftest import System, serving
from tests.integration.test_checkout import ADDRESS

BUYERS = 30
UNITS = 7


def test_second_buyer_cannot_take_the_last_item(system: System) -> None:
    product = system.product(system.merchant(), title="Sepatu Edisi Terbatas", stock=UNITS)
    with serving(system.commerce.app) as url, httpx.Client(base_url=url, timeout=30) as http:  # type: ignore[arg-type]
        tokens = []
        for i in range(BUYERS):
            r = http.post(
                "/api/buyers",
                json={
                    "email": f"buyer{i}@example.com",
                    "name": f"B{i}",
                    "password": "rahasia-sekali",
                },
            )
            auth = {"Authorization": f"Bearer {r.json()['token']}"}
            assert (
                http.put(
                    f"/api/cart/items/{product['id']}", json={"quantity": 1}, headers=auth
                ).status_code
                == 200
            )
            tokens.append(auth)

        start = threading.Barrier(BUYERS)
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def buy(auth: dict[str, str]) -> None:
            with httpx.Client(base_url=url, timeout=60) as own:
                start.wait()
                r = own.post(
                    "/api/checkout",
                    json={"shipping_address": ADDRESS},
                    headers=auth | {"Idempotency-Key": uuid.uuid4().hex},
                )
            with lock:
                statuses[r.status_code] += 1

        threads = [threading.Thread(target=buy, args=(auth,)) for auth in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert statuses == Counter({201: UNITS, 409: BUYERS - UNITS})
    with system.commerce_engine.connect() as conn:
        assert conn.scalar(select(ProductRow.stock).where(ProductRow.id == product["id"])) == 0
        assert conn.scalar(select(func.count()).select_from(order_db.OrderRow)) == UNITS
        assert conn.scalar(select(func.sum(order_db.OrderLineRow.quantity))) == UNITS
        assert conn.scalar(select(func.sum(order_db.StockHoldRow.quantity))) == UNITS


def test_a_checkout_retried_many_times_at_once_places_its_orders_once(system: System) -> None:
    """A buyer's app retries one checkout (one Idempotency-Key) eight times at once: every
    answer is the same order, stock moves once."""
    product = system.product(system.merchant(), title="Tas Rotan", stock=5)
    retries = 8
    with serving(system.commerce.app) as url, httpx.Client(base_url=url, timeout=30) as http:  # type: ignore[arg-type]
        r = http.post(
            "/api/buyers",
            json={"email": "retry@example.com", "name": "R", "password": "rahasia-sekali"},
        )
        auth = {"Authorization": f"Bearer {r.json()['token']}", "Idempotency-Key": "one-checkout-1"}
        http.put(f"/api/cart/items/{product['id']}", json={"quantity": 2}, headers=auth)
        start = threading.Barrier(retries)
        answers: list[httpx.Response] = []

        def retry() -> None:
            with httpx.Client(base_url=url, timeout=60) as own:
                start.wait()
                answer = own.post("/api/checkout", json={"shipping_address": ADDRESS}, headers=auth)
            answers.append(answer)  # list.append is atomic

        threads = [threading.Thread(target=retry) for _ in range(retries)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert [a.status_code for a in answers] == [201] * retries
    assert len({a.text for a in answers}) == 1
    with system.commerce_engine.connect() as conn:
        assert conn.scalar(select(ProductRow.stock).where(ProductRow.id == product["id"])) == 3
        assert conn.scalar(select(func.count()).select_from(order_db.OrderRow)) == 1

"""Requests racing for one unique key, over real HTTP: the first wins, every other one is told
the key is taken (409), none gets a 500, and the database holds exactly one row."""

import threading
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select

from keranjang.commerce.buying.db import BuyerRow
from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.catalog.db import MerchantRow
from tests.integration.conftest import OPERATOR, System, serving

RACERS = 8


def race(url: str, send: Callable[[httpx.Client], httpx.Response]) -> Counter[int]:
    """`RACERS` clients send at the same moment; the statuses they got."""
    start = threading.Barrier(RACERS)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def one() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            start.wait()
            r = send(http)
        with lock:
            statuses[r.status_code] += 1
            if r.status_code == 409:
                assert r.json()["error"] in ("Conflict", "Taken"), r.text

    threads = [threading.Thread(target=one) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def rows(system: System, table: type, **where: str) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(getattr(table, column) == value)
    with system.commerce_engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def test_two_sign_ups_with_one_email_at_once_open_one_account(system: System) -> None:
    body = {"email": "siti@example.com", "name": "Siti", "password": "rahasia-sekali"}
    with serving(system.commerce.app) as url:  # type: ignore[arg-type]
        statuses = race(url, lambda http: http.post("/api/buyers", json=body))
    assert statuses == Counter({201: 1, 409: RACERS - 1})
    assert rows(system, BuyerRow, email="siti@example.com") == 1


def test_two_shops_with_one_address_at_once_open_one_shop(system: System) -> None:
    body = {"slug": "batik-sekar", "name": "Batik Sekar", "city": "Solo"}
    auth = {"Authorization": f"Bearer {OPERATOR}"}
    with serving(system.commerce.app) as url:  # type: ignore[arg-type]
        statuses = race(url, lambda http: http.post("/api/merchants", json=body, headers=auth))
    assert statuses == Counter({201: 1, 409: RACERS - 1})
    assert rows(system, MerchantRow, slug="batik-sekar") == 1


def test_a_shop_address_taken_after_the_check_is_a_409_that_changes_nothing(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The losing side of the race, made certain: the check saw the address free, the insert
    then meets the winner's row on the unique key."""
    system.merchant(slug="batik-sekar")
    monkeypatch.setattr(catalog_db, "merchant_by_slug", lambda s, slug: None)
    r = system.commerce.post(
        "/api/merchants",
        json={"slug": "batik-sekar", "name": "Batik Lain", "city": "Solo"},
        headers=system.operator(),
    )
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "Taken"
    assert "try again" in r.json()["detail"]
    assert rows(system, MerchantRow, slug="batik-sekar") == 1
    assert rows(system, MerchantRow, name="Batik Lain") == 0

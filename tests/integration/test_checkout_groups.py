"""Checkouts placed together (one transaction for every checkout waiting at a moment) are
decided as if each had run alone, one after the other, in the order they arrived."""

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from keranjang.commerce import order_tables as t
from keranjang.commerce import orders, placing
from keranjang.commerce.domain import Unauthenticated
from keranjang.infra.auth import token_digest
from tests.integration.conftest import System
from tests.integration.test_checkout import ADDRESS, checkout, count, put_in_cart, stock

BODY = {"shipping_address": ADDRESS}
RULES = placing.Rules(
    shipping_idr=15_000,
    hold_minutes=30,
    attribution_window=timedelta(days=7),
    platform_fee_bp=500,
)


def signed_up(system: System, email: str) -> tuple[str, dict[str, str]]:
    r = system.commerce.post(
        "/api/buyers", json={"email": email, "name": "Pembeli", "password": "rahasia-sekali"}
    )
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    return token, {"Authorization": f"Bearer {token}"}


def ask(token: str, key: str, body: dict[str, Any] = BODY) -> placing.Ask:
    return placing.Ask(key, body, orders.request_fingerprint(body), token_hash=token_digest(token))


def place(system: System, asks: list[placing.Ask]) -> list[placing.Outcome]:
    with system.commerce_engine.begin() as c:
        return placing.place_group(c, asks, system.clock.now(), RULES)


def test_a_group_is_decided_checkout_by_checkout_in_arrival_order(system: System) -> None:
    """Two units, three buyers: the first two get one each and the third is refused; a key
    repeated in the group replays its first answer; a key repeated with another body, a
    second checkout of an emptied cart and an unknown session are each answered alone."""
    batik = system.product(system.merchant(), price_idr=350_000, stock=2)
    (ani, ani_auth), (budi, budi_auth), (citra, citra_auth) = (
        signed_up(system, f"{name}@example.com") for name in ("ani", "budi", "citra")
    )
    for auth in (ani_auth, budi_auth, citra_auth):
        put_in_cart(system, auth, batik["id"], 1)
    other_body = {"shipping_address": ADDRESS | {"city": "Jakarta"}}

    outcomes = place(
        system,
        [
            ask(ani, "key-ani-1"),
            ask(budi, "key-budi-1"),
            ask(ani, "key-ani-1"),  # a retry that arrived with the first
            ask(citra, "key-citra-1"),  # no unit left
            ask(ani, "key-ani-2"),  # Ani's cart went into her first order
            ask(budi, "key-budi-1", other_body),  # the key again, another body
            ask("not-a-session", "key-nobody"),
        ],
    )

    first, second, replay, refused, empty, mismatch, nobody = outcomes
    assert isinstance(first, placing.Answer) and isinstance(second, placing.Answer)
    assert (first.status_code, second.status_code) == (201, 201)
    assert isinstance(replay, placing.Answer)
    assert (replay.replayed, replay.body) == (True, first.body)
    assert isinstance(refused, placing.Answer)
    assert (refused.status_code, refused.body["error"]) == (409, "OutOfStock")
    assert isinstance(empty, placing.Answer)
    assert (empty.status_code, empty.body["error"]) == (422, "EmptyCart")
    assert isinstance(mismatch, orders.IdempotencyMismatch)
    assert isinstance(nobody, Unauthenticated)
    assert stock(system, batik["id"]) == 0
    assert count(system, t.OrderRow) == 2 and count(system, t.StockHoldRow) == 2
    # Every answer given is kept with its key; errors are not (nothing was decided).
    assert count(system, t.IdempotencyKeyRow) == 4
    with system.commerce_engine.connect() as c:
        carts = dict(
            c.execute(
                select(t.CartLineRow.buyer_id, func.count()).group_by(t.CartLineRow.buyer_id)
            ).all()
        )
    assert list(carts.values()) == [1]  # only Citra, refused, still has her cart

    # Later retries through the API get the same answers.
    again = checkout(system, ani_auth, "key-ani-1")
    assert (again.status_code, again.json()) == (201, first.body)
    again = checkout(system, citra_auth, "key-citra-1")
    assert (again.status_code, again.json()["error"]) == (409, "OutOfStock")


def test_a_group_that_cannot_commit_is_placed_again_one_by_one(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If a group's write finds the stock moved (another process took some after the read),
    nothing of the group is kept and each checkout is placed again on its own."""
    kopi = system.product(system.merchant(), title="Kopi Gayo", price_idr=95_000, stock=10)
    buyers = [signed_up(system, f"pembeli{i}@example.com") for i in range(3)]
    for _, auth in buyers:
        put_in_cart(system, auth, kopi["id"], 2)
    real = placing.place_group
    groups: list[int] = []

    def stock_moved_in_groups(c: Any, asks: list[placing.Ask], *rest: Any) -> Any:
        groups.append(len(asks))
        if len(asks) > 1:
            real(c, asks, *rest)  # everything written, then the guard fails: all rolled back
            raise placing.StockMoved("1 product(s) changed while placing")
        return real(c, asks, *rest)

    monkeypatch.setattr(placing, "place_group", stock_moved_in_groups)
    buying = system.commerce.app.state.buying  # type: ignore[attr-defined]
    outcomes = buying._place_group([ask(token, uuid.uuid4().hex) for token, _ in buyers])

    assert groups == [3, 1, 1, 1]
    assert [o.status_code for o in outcomes] == [201, 201, 201]
    assert stock(system, kopi["id"]) == 4
    assert count(system, t.OrderRow) == 3 and count(system, t.IdempotencyKeyRow) == 3


def test_concurrent_checkouts_of_one_buyer_with_one_key_place_one_order(system: System) -> None:
    """Eight requests with the same key at once, whether they share a group or not: one order,
    and every request gets its answer."""
    kopi = system.product(system.merchant(), title="Kopi Gayo", price_idr=95_000, stock=10)
    _, auth = signed_up(system, "dina@example.com")
    put_in_cart(system, auth, kopi["id"], 3)
    key = uuid.uuid4().hex
    answers: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def buy() -> None:
        start.wait()
        r = checkout(system, auth, key)
        with lock:
            answers.append((r.status_code, r.json()))

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {code for code, _ in answers} == {201}
    assert len({str(body) for _, body in answers}) == 1
    assert count(system, t.OrderRow) == 1 and stock(system, kopi["id"]) == 7

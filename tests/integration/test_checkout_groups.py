"""Checkouts placed together (one transaction for every checkout waiting at a moment) are
decided as if each had run alone, one after the other, in the order they arrived."""

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text

from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.buying import group, group_writes, placing
from keranjang.commerce.buying.domain import request_fingerprint
from keranjang.commerce.buying.service import BuyingService
from keranjang.commerce.errors import IdempotencyMismatch, Unauthenticated
from keranjang.commerce.orders import db as order_db
from keranjang.infra.credentials import token_digest
from tests.integration.conftest import System
from tests.integration.test_checkout import ADDRESS, checkout, count, put_in_cart, stock

BODY = {"shipping_address": ADDRESS}
RULES = group.Rules(
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


def ask(token: str, key: str, body: dict[str, Any] = BODY) -> group.Ask:
    return group.Ask(key, body, request_fingerprint(body), token_hash=token_digest(token))


def place(system: System, asks: list[group.Ask]) -> list[group.Outcome]:
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
    assert isinstance(first, group.Answer) and isinstance(second, group.Answer)
    assert (first.status_code, second.status_code) == (201, 201)
    assert isinstance(replay, group.Answer)
    assert (replay.replayed, replay.body) == (True, first.body)
    assert isinstance(refused, group.Answer)
    assert (refused.status_code, refused.body["error"]) == (409, "OutOfStock")
    assert isinstance(empty, group.Answer)
    assert (empty.status_code, empty.body["error"]) == (422, "EmptyCart")
    assert isinstance(mismatch, IdempotencyMismatch)
    assert isinstance(nobody, Unauthenticated)
    assert stock(system, batik["id"]) == 0
    assert count(system, order_db.OrderRow) == 2 and count(system, order_db.StockHoldRow) == 2
    # Every answer given is kept with its key; errors are not (nothing was decided).
    assert count(system, buying_db.IdempotencyKeyRow) == 4
    with system.commerce_engine.connect() as c:
        carts = dict(
            c.execute(
                select(buying_db.CartLineRow.buyer_id, func.count()).group_by(
                    buying_db.CartLineRow.buyer_id
                )
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

    def stock_moved_in_groups(c: Any, asks: list[group.Ask], *rest: Any) -> Any:
        groups.append(len(asks))
        if len(asks) > 1:
            real(c, asks, *rest)  # everything written, then the guard fails: all rolled back
            raise group_writes.StockMoved("1 product(s) changed while placing")
        return real(c, asks, *rest)

    monkeypatch.setattr(placing, "place_group", stock_moved_in_groups)
    buying = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    outcomes = buying._place_group([ask(token, uuid.uuid4().hex) for token, _ in buyers])

    assert groups == [3, 1, 1, 1]
    assert [o.status_code for o in outcomes] == [201, 201, 201]
    assert stock(system, kopi["id"]) == 4
    assert count(system, order_db.OrderRow) == 3 and count(system, buying_db.IdempotencyKeyRow) == 3


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
    assert count(system, order_db.OrderRow) == 1 and stock(system, kopi["id"]) == 7


def buying(system: System) -> BuyingService:
    svc: BuyingService = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    return svc


def buyer_of(system: System, token: str) -> int:
    with system.commerce_engine.connect() as c:
        found = c.scalar(
            select(buying_db.BuyerSessionRow.buyer_id).where(
                buying_db.BuyerSessionRow.token_hash == token_digest(token)
            )
        )
    assert found is not None
    return int(found)


def cart_products(system: System, buyer_id: int) -> set[int]:
    with system.commerce_engine.connect() as c:
        rows = c.execute(
            select(buying_db.CartLineRow.product_id).where(
                buying_db.CartLineRow.buyer_id == buyer_id
            )
        )
        return {int(r[0]) for r in rows}


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run `fn` on a daemon thread (a hang must not hang the test run); [result or exception]."""
    out: list[Any] = []

    def target() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out


def pause_inside_groups(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Every group pauses after its products are locked and its orders written (before its carts
    are emptied and its keys stored) until `release` is set; `paused` tells it got there."""
    paused, release = threading.Event(), threading.Event()
    real = group_writes.insert_orders

    def insert_then_wait(*args: Any, **kwargs: Any) -> Any:
        views = real(*args, **kwargs)
        paused.set()
        assert release.wait(20), "the test never released the group"
        return views

    monkeypatch.setattr(group_writes, "insert_orders", insert_then_wait)
    return paused, release


def test_a_cancelled_api_checkout_does_not_stop_every_later_checkout(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API checkout whose request gives up while its group is in the database (a timeout
    around it, a shutdown) does not take the checkout worker down: later checkouts are placed."""
    kopi = system.product(system.merchant(), title="Kopi Gayo", price_idr=95_000, stock=10)
    (ani, ani_auth), (budi, budi_auth) = (
        signed_up(system, f"{n}@example.com") for n in ("ani", "budi")
    )
    put_in_cart(system, ani_auth, kopi["id"], 1)
    put_in_cart(system, budi_auth, kopi["id"], 1)
    svc = buying(system)
    paused, release = pause_inside_groups(monkeypatch)

    async def impatient() -> None:
        waiting = asyncio.ensure_future(svc.checkout_with_token(ani, "key-ani-1", BODY))
        await asyncio.to_thread(paused.wait, 10)
        waiting.cancel()  # e.g. asyncio.wait_for(..., timeout) around the checkout
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.sleep(0.2)

    runner, _ = in_thread(lambda: asyncio.run(impatient()))
    runner.join(15)

    later, answer = in_thread(lambda: svc.checkout(buyer_of(system, budi), "key-budi-1", BODY))
    later.join(10)
    assert not later.is_alive(), "the next checkout was never answered: the worker is gone"
    assert answer[0].status_code == 201


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_cart_edit_racing_a_checkout_group_is_not_killed_as_a_deadlock_victim(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group locks its products as an UPDATE of their stock would (FOR NO KEY UPDATE), not
    FOR UPDATE, which would block every INSERT that refers to a product. A cart edit of a buyer
    whose checkout is in a group (`set_quantity`: DELETE the line, INSERT it again) would then
    wait for the group while the group's DELETE of the cart waits for the edit: a deadlock.
    PostgreSQL only: SQLite has one writer and no row locks."""
    kopi = system.product(system.merchant(), title="Kopi Gayo", price_idr=95_000, stock=10)
    token, auth = signed_up(system, "ani@example.com")
    put_in_cart(system, auth, kopi["id"], 1)
    ani = buyer_of(system, token)
    paused, release = pause_inside_groups(monkeypatch)

    with system.commerce_engine.connect() as edit:
        edit.execute(text("SET lock_timeout = '15s'"))
        # set_quantity's first statement (the ORM flushes the INSERT right after it)
        edit.execute(
            text("DELETE FROM cart_lines WHERE buyer_id = :b AND product_id = :p"),
            {"b": ani, "p": kopi["id"]},
        )
        group, outcome = in_thread(lambda: place(system, [ask(token, "key-ani-1")]))
        assert paused.wait(10), "the group never got its locks"

        def insert_line(c: Connection = edit) -> str:
            c.execute(
                text("INSERT INTO cart_lines (buyer_id, product_id, quantity) VALUES (:b, :p, 3)"),
                {"b": ani, "p": kopi["id"]},
            )
            c.commit()
            return "edited"

        editing, edited = in_thread(insert_line)
        time.sleep(0.3)  # the edit now waits for the group's lock on the product
        release.set()
        editing.join(20)
        group.join(20)

    assert edited == ["edited"], f"the cart edit failed: {edited!r}"
    assert not isinstance(outcome[0], Exception), f"the group failed: {outcome[0]!r}"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_another_buyers_add_to_cart_is_not_held_up_by_a_checkout_group_of_the_product(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same lock mode on the hot path: while a group is in the database, rows that refer
    to its products (a hand-off's attribution, another buyer's add-to-cart) are written at once.
    PostgreSQL only: SQLite has one writer and no row locks."""
    kopi = system.product(system.merchant(), title="Kopi Gayo", price_idr=95_000, stock=10)
    token, auth = signed_up(system, "ani@example.com")
    _, other_auth = signed_up(system, "budi@example.com")
    put_in_cart(system, auth, kopi["id"], 1)
    paused, release = pause_inside_groups(monkeypatch)

    group, _ = in_thread(lambda: place(system, [ask(token, "key-ani-1")]))
    assert paused.wait(10)
    adding, added = in_thread(lambda: put_in_cart(system, other_auth, kopi["id"], 1))
    adding.join(3)
    still_waiting = adding.is_alive()
    release.set()
    adding.join(20)
    group.join(20)
    assert not still_waiting, "another buyer's add-to-cart waited for the checkout group"
    assert added and not isinstance(added[0], Exception)


def test_a_product_added_to_the_cart_while_the_group_runs_stays_in_the_cart(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group empties only the cart lines it read and ordered: a product the buyer adds in
    another tab while the group runs stays in the cart, unordered. (On SQLite the writer lock
    makes the add wait for the group.)"""
    kopi = system.product(system.merchant(), title="Kopi Gayo", price_idr=95_000, stock=10)
    teh = system.product(
        system.merchant("teh", "Teh Tarik"), title="Teh Tarik", price_idr=20_000, stock=10
    )
    token, auth = signed_up(system, "ani@example.com")
    put_in_cart(system, auth, kopi["id"], 1)
    ani = buyer_of(system, token)
    paused, release = pause_inside_groups(monkeypatch)

    group, outcome = in_thread(lambda: place(system, [ask(token, "key-ani-1")]))
    assert paused.wait(10)
    adding, _ = in_thread(lambda: put_in_cart(system, auth, teh["id"], 2))
    adding.join(1)  # PostgreSQL: committed at once; SQLite: waits for the writer lock
    release.set()
    group.join(20)
    adding.join(20)

    placed = outcome[0][0]
    assert placed.status_code == 201
    ordered = {line["product_id"] for o in placed.body["orders"] for line in o["lines"]}
    assert ordered == {kopi["id"]}
    assert cart_products(system, ani) == {teh["id"]}, "the added line vanished unordered"
    assert stock(system, teh["id"]) == 10 and count(system, order_db.OrderRow) == 1

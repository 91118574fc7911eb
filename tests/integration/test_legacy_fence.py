"""The fence the migration raises for a seller's cutover, and the route it flips: while fenced,
the seller's buyers, the seller and the partner's news get a retryable 503 and nothing changes;
another seller sells on; once the fence lifts the same request succeeds. Once routed to commerce
the shop's writes answer 409 naming commerce, and the partner's news of its payments changes
nothing here. On PostgreSQL a writer racing the fence either finishes before it or is refused.
And the seller's own consent to the move."""

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from keranjang.social import db as promotion
from keranjang.social.legacy_shop import db, domain
from keranjang.social.legacy_shop.changes import ChangeRow
from keranjang.social.legacy_shop.moving import FenceRow, check_open
from keranjang.social.legacy_shop.paying import MOVED
from tests.integration.conftest import COMMERCE_URL, bearer
from tests.integration.legacy_fixtures import ADDRESS, Legacy, legacy_fixture  # noqa: F401

ROUTE = promotion.MerchantRouteRow


def raise_fence(s: Session, seller_id: int) -> None:
    """As the migration does: the seller's route row FOR UPDATE, then the fence row."""
    s.execute(select(ROUTE).where(ROUTE.legacy_seller_id == seller_id).with_for_update())
    s.add(FenceRow(seller_id=seller_id, fenced_at=datetime.now(UTC), reason="cutover"))


def fence(legacy: Legacy, seller_id: int) -> None:
    with Session(legacy.engine) as s, s.begin():
        raise_fence(s, seller_id)


def lift(legacy: Legacy, seller_id: int) -> None:
    with legacy.engine.begin() as c:
        c.execute(delete(FenceRow).where(FenceRow.seller_id == seller_id))


def route_to_commerce(legacy: Legacy, seller_id: int) -> None:
    with legacy.engine.begin() as c:
        c.execute(
            update(ROUTE)
            .where(ROUTE.legacy_seller_id == seller_id)
            .values(route="commerce", commerce_merchant_id=7, changed_at=datetime.now(UTC))
        )


def logged(legacy: Legacy, seller_id: int) -> int:
    with legacy.engine.connect() as c:
        query = select(func.count()).select_from(ChangeRow).where(ChangeRow.seller_id == seller_id)
        return c.scalar(query) or 0


def count(legacy: Legacy, model: Any) -> int:
    with legacy.engine.connect() as c:
        return c.scalar(select(func.count()).select_from(model)) or 0


def edit(legacy: Legacy, seller: dict[str, Any], product: dict[str, Any], price: int) -> Any:
    return legacy.social.patch(
        f"/legacy/api/seller/products/{product['id']}",
        json={"price_idr": price},
        headers=bearer(seller),
    )


def checkout(legacy: Legacy, viewer: dict[str, Any], key: str) -> Any:
    headers = bearer(viewer) | {"Idempotency-Key": key}
    body = {"shipping_address": ADDRESS, "payment_method": "virtual_account"}
    return legacy.social.post("/legacy/api/checkout", json=body, headers=headers)


def assert_moving(r: Any) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "1"
    assert "This shop is moving; try again in a moment" in r.json()["detail"]


def test_a_fenced_sellers_writes_get_503_and_change_nothing_until_the_fence_lifts(
    legacy: Legacy,
) -> None:
    seller, other = legacy.seller("toko-pindah"), legacy.seller("toko-tetap")
    product = legacy.product(seller, price_idr=45_000, stock=10)
    others = legacy.product(other, price_idr=20_000, stock=10)
    viewer, neighbour = legacy.viewer(), legacy.viewer("budi@example.com")
    unpaid = legacy.buy(viewer, product)
    legacy.put_in_cart(viewer, product, 2)
    fence(legacy, seller["id"])
    before = (logged(legacy, seller["id"]), count(legacy, db.CheckoutRow))
    news = count(legacy, db.PaymentNewsRow)

    key = uuid.uuid4().hex
    assert_moving(checkout(legacy, viewer, key))
    assert_moving(edit(legacy, seller, product, 50_000))
    legacy.pay(unpaid)  # the partner's news of it
    refused = [a for a in legacy.inbox.answers if a.status_code != 200]
    assert refused and len(refused) == len(legacy.inbox.answers)
    for answer in refused:
        assert_moving(answer)
    assert legacy.order(viewer, unpaid["id"])["status"] == "awaiting_payment"
    assert (logged(legacy, seller["id"]), count(legacy, db.CheckoutRow)) == before
    assert count(legacy, db.PaymentNewsRow) == news
    # Another seller sells on meanwhile.
    assert edit(legacy, other, others, 21_000).status_code == 200
    assert legacy.buy(neighbour, others)["status"] == "awaiting_payment"

    lift(legacy, seller["id"])
    placed = checkout(legacy, viewer, key)  # the same request, the same key
    assert placed.status_code == 201 and not placed.json()["replayed"], placed.text
    assert edit(legacy, seller, product, 50_000).json()["price_idr"] == 50_000
    settled = [d for d in legacy.inbox.delivered if b"settlement" in d.body][-1]
    again = legacy.social.post("/legacy/payments/notifications", content=settled.body)
    assert again.status_code == 200 and again.json()["outcome"] == "order paid", again.text
    assert legacy.order(viewer, unpaid["id"])["status"] == "paid"


def test_a_seller_routed_to_commerce_gets_409_naming_commerce_for_every_write(
    legacy: Legacy,
) -> None:
    seller = legacy.seller("toko-pindah")
    product = legacy.product(seller, stock=10)
    viewer = legacy.viewer()
    order = legacy.buy(viewer, product)
    legacy.pay(order)
    legacy.put_in_cart(viewer, product, 1)
    route_to_commerce(legacy, seller["id"])
    before = logged(legacy, seller["id"])

    refused = [
        checkout(legacy, viewer, uuid.uuid4().hex),
        legacy.social.put(
            f"/legacy/api/cart/items/{product['id']}", json={"quantity": 3}, headers=bearer(viewer)
        ),
        edit(legacy, seller, product, 1_000),
        legacy.social.post(
            f"/legacy/api/seller/orders/{order['id']}/ship",
            json={"tracking_number": "JNE-1"},
            headers=bearer(seller),
        ),
        legacy.social.post(
            f"/legacy/api/seller/orders/{order['id']}/cancel",
            json={"reason": "pindah toko"},
            headers=bearer(seller),
        ),
    ]
    for r in refused:
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "SellerMoved" and r.json()["commerce_url"] == f"{COMMERCE_URL}/"
        assert "now sells in commerce" in r.json()["detail"]
    assert logged(legacy, seller["id"]) == before
    # Taking the product out of the cart stays possible.
    out = legacy.social.put(
        f"/legacy/api/cart/items/{product['id']}", json={"quantity": 0}, headers=bearer(viewer)
    )
    assert out.status_code == 200 and out.json()["lines"] == []


def test_news_of_a_moved_sellers_payment_answers_moved_and_changes_nothing(
    legacy: Legacy,
) -> None:
    """Started in the app before the cutover, paid after it: commerce's reconciliation pays the
    order (under the same LGC- id); social only says so."""
    seller = legacy.seller("toko-pindah")
    viewer = legacy.viewer()
    order = legacy.buy(viewer, legacy.product(seller, stock=3))
    legacy.deliver()  # the pending news, while still in the app
    route_to_commerce(legacy, seller["id"])
    before = (logged(legacy, seller["id"]), count(legacy, db.PaymentNewsRow))

    answers = len(legacy.inbox.answers)
    legacy.pay(order)
    moved = legacy.inbox.answers[answers:]
    assert moved and all(a.status_code == 200 for a in moved)
    assert {a.json()["outcome"] for a in moved} == {MOVED}
    assert legacy.order(viewer, order["id"])["status"] == "awaiting_payment"
    assert (logged(legacy, seller["id"]), count(legacy, db.PaymentNewsRow)) == before
    forged = legacy.inbox.delivered[-1].json() | {"signature_key": "0" * 128}
    r = legacy.social.post("/legacy/payments/notifications", content=json.dumps(forged))
    assert r.status_code == 400, r.text  # the signature is checked first, moved or not


def test_the_seller_confirms_the_move_once(legacy: Legacy) -> None:
    seller = legacy.seller("toko-pindah")
    path = "/legacy/api/seller/move"
    assert legacy.social.get(path, headers=bearer(seller)).json()["confirmed"] is False
    first = legacy.social.post(path, headers=bearer(seller))
    assert first.status_code == 200 and first.json()["confirmed"] is True, first.text
    legacy.system.clock.advance(minutes=5)
    again = legacy.social.post(path, headers=bearer(seller)).json()
    assert again["confirmed_at"] == first.json()["confirmed_at"]
    assert legacy.social.get(path, headers=bearer(seller)).json() == again
    assert legacy.social.post(path).status_code == 401


def wait_for_lock_wait(engine: Engine) -> None:
    """Until some session of this database waits for a row lock (the racing side). SQLite
    cannot show who waits for its write lock: the other side is given a moment to get there."""
    if engine.dialect.name == "sqlite":
        time.sleep(0.3)
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    with engine.connect() as c:
        while not c.scalar(query):
            assert time.monotonic() < deadline, "nobody waited for the lock"
            time.sleep(0.01)
            c.rollback()


def test_a_writer_in_flight_finishes_before_the_fence_holds(legacy: Legacy) -> None:
    seller = legacy.seller("toko-pindah")
    product = legacy.product(seller, price_idr=45_000)
    ready, done = threading.Barrier(2), threading.Event()

    def migration() -> None:
        ready.wait()
        fence(legacy, seller["id"])
        done.set()

    fencing = threading.Thread(target=migration)
    fencing.start()
    with Session(legacy.engine) as writer, writer.begin():
        check_open(writer, seller["id"])
        writer.execute(
            update(db.ProductRow).where(db.ProductRow.id == product["id"]).values(price_idr=1)
        )
        ready.wait()
        wait_for_lock_wait(legacy.engine)
        assert not done.is_set()  # the fence waits for the write in flight
    fencing.join(timeout=10)
    assert done.is_set() and count(legacy, FenceRow) == 1
    assert legacy.social.get(f"/legacy/api/products/{product['id']}").json()["price_idr"] == 1
    assert_moving(edit(legacy, seller, product, 2))


def test_a_writer_arriving_while_the_fence_is_raised_waits_then_is_refused(
    legacy: Legacy,
) -> None:
    seller = legacy.seller("toko-pindah")
    product = legacy.product(seller, price_idr=45_000)
    ready, outcome = threading.Barrier(2), []

    def buyer_side() -> None:
        ready.wait()
        try:
            legacy.shop.selling.edit_product(seller["id"], product["id"], {"price_idr": 1})
            outcome.append("written")
        except domain.SellerFenced:
            outcome.append("refused")

    writing = threading.Thread(target=buyer_side)
    with Session(legacy.engine) as migration, migration.begin():
        raise_fence(migration, seller["id"])
        migration.flush()
        writing.start()
        ready.wait()
        wait_for_lock_wait(legacy.engine)
        assert outcome == []  # the writer waits for the fence's commit
    writing.join(timeout=10)
    assert outcome == ["refused"]
    assert legacy.social.get(f"/legacy/api/products/{product['id']}").json()["price_idr"] == 45_000

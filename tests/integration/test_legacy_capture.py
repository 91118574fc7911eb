"""The legacy shop's change log: every kind of write a seller's shop sees, made through the API
as buyers, sellers, the partner and the shop's jobs make it, lands in `legacy_changes` with that
seller (and no other seller's log moves); and the log reads from a cursor with nothing lost or
read twice, even when PostgreSQL commits a smaller id after a larger one was read."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from keranjang.social.legacy_shop import changes, db, evidence
from keranjang.social.legacy_shop.changes import ChangeRow
from tests.integration.conftest import bearer
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401


@dataclass
class World:
    legacy: Legacy
    seller: dict[str, Any]
    other: dict[str, Any]
    product: dict[str, Any]
    viewer: dict[str, Any]
    order: dict[str, Any] | None = None

    def seller_post(self, path: str, body: dict[str, Any] | None = None) -> None:
        r = self.legacy.social.post(path, json=body, headers=bearer(self.seller))
        assert r.status_code == 200, r.text

    def order_step(self, step: str, body: dict[str, Any] | None = None) -> None:
        assert self.order is not None
        self.seller_post(f"/legacy/api/seller/orders/{self.order['id']}/{step}", body)


def world(legacy: Legacy) -> World:
    seller, other = legacy.seller("toko-rina"), legacy.seller("toko-lain")
    product = legacy.product(seller, price_idr=45_000, stock=10)
    legacy.product(other, price_idr=10_000, stock=10)
    return World(legacy, seller, other, product, legacy.viewer())


def bought(w: World) -> None:
    w.order = w.legacy.buy(w.viewer, w.product)


def paid(w: World) -> None:
    bought(w)
    assert w.order is not None
    w.legacy.pay(w.order)


def shipped(w: World) -> None:
    paid(w)
    w.order_step("ship", {"tracking_number": "JNE-0042"})


def delivered(w: World) -> None:
    shipped(w)
    w.order_step("delivered")


def payout_account(w: World) -> None:
    r = w.legacy.social.put(
        "/legacy/api/seller/payout-account",
        json={"bank_code": "bca", "account_number": "1234567890", "holder_name": "Rina"},
        headers=bearer(w.seller),
    )
    assert r.status_code == 200, r.text


def edit(w: World) -> None:
    r = w.legacy.social.patch(
        f"/legacy/api/seller/products/{w.product['id']}",
        json={"price_idr": 47_000, "stock": 12},
        headers=bearer(w.seller),
    )
    assert r.status_code == 200, r.text


def received(w: World) -> None:
    assert w.order is not None
    path = f"/legacy/api/orders/{w.order['id']}/received"
    assert w.legacy.social.post(path, headers=bearer(w.viewer)).status_code == 200


def expire(w: World) -> None:
    w.legacy.system.clock.advance(minutes=31)
    assert w.legacy.shop.run_jobs()["expired"] == 1


def purge_payout_account(w: World) -> None:
    """As the migration's purge will: straight in the database."""
    with w.legacy.engine.begin() as c:
        c.execute(
            delete(db.PayoutAccountRow).where(db.PayoutAccountRow.seller_id == w.seller["id"])
        )


def nothing(w: World) -> None:
    pass


Step = Callable[[World], None]
INS, U, D = "insert", "update", "delete"
# Each kind of write: what comes before it, the write, and the changes it must leave.
WRITES: dict[str, tuple[Step, Step, set[tuple[str, str]]]] = {
    "payout account": (nothing, payout_account, {("legacy_payout_accounts", INS)}),
    "list a product": (
        nothing,
        lambda w: w.legacy.product(w.seller, title="Rendang"),
        {("legacy_products", INS)},
    ),
    "price and stock": (nothing, edit, {("legacy_products", U)}),
    "checkout and payment start": (
        lambda w: w.legacy.put_in_cart(w.viewer, w.product, 2),
        lambda w: setattr(w, "order", w.legacy.checkout(w.viewer).json()["orders"][0]),
        {
            ("legacy_orders", INS),
            ("legacy_order_lines", INS),
            ("legacy_stock_holds", INS),
            ("legacy_order_events", INS),
            ("legacy_products", U),
            ("legacy_payments", INS),
        },
    ),
    "payment news": (
        bought,
        lambda w: w.legacy.pay(w.order),  # type: ignore[arg-type]
        {
            ("legacy_payments", U),
            ("legacy_orders", U),
            ("legacy_order_events", INS),
            ("legacy_ledger_entries", INS),
            ("legacy_ledger_postings", INS),
        },
    ),
    "ship": (
        paid,
        lambda w: w.order_step("ship", {"tracking_number": "JNE-0042"}),
        {("legacy_orders", U), ("legacy_order_events", INS)},
    ),
    "deliver": (
        shipped,
        lambda w: w.order_step("delivered"),
        {("legacy_orders", U), ("legacy_order_events", INS)},
    ),
    "receipt completes the order": (
        delivered,
        received,
        {("legacy_orders", U), ("legacy_ledger_entries", INS), ("legacy_ledger_postings", INS)},
    ),
    "cancel a paid order: refund": (
        paid,
        lambda w: w.order_step("cancel", {"reason": "stok habis di gudang"}),
        {
            ("legacy_orders", U),
            ("legacy_stock_holds", U),
            ("legacy_products", U),
            ("legacy_refunds", INS),
            ("legacy_refunds", U),
            ("legacy_ledger_postings", INS),
        },
    ),
    "hold expiry job": (
        bought,
        expire,
        {("legacy_orders", U), ("legacy_stock_holds", U), ("legacy_products", U)},
    ),
    "purge": (payout_account, purge_payout_account, {("legacy_payout_accounts", D)}),
}


def last_change(legacy: Legacy) -> int:
    with legacy.engine.connect() as c:
        return c.scalar(select(func.max(ChangeRow.id))) or 0


def logged_since(legacy: Legacy, after: int) -> list[tuple[int, str, str]]:
    query = select(ChangeRow.seller_id, ChangeRow.table_name, ChangeRow.op).where(
        ChangeRow.id > after
    )
    with legacy.engine.connect() as c:
        return [tuple(row) for row in c.execute(query.order_by(ChangeRow.id))]  # type: ignore[misc]


@pytest.mark.parametrize("kind", list(WRITES))
def test_every_kind_of_legacy_write_is_in_the_change_log_with_its_seller(
    legacy: Legacy, kind: str
) -> None:
    w = world(legacy)
    setup, write, expected = WRITES[kind]
    setup(w)
    before = last_change(legacy)
    write(w)
    logged = logged_since(legacy, before)
    assert expected <= {(table, op) for seller, table, op in logged}, logged
    assert {seller for seller, _, _ in logged} == {w.seller["id"]}  # the other's log is still


def test_a_new_shop_and_a_ledger_posting_without_a_seller_are_logged_with_the_seller(
    legacy: Legacy,
) -> None:
    before = last_change(legacy)
    seller = legacy.seller("toko-baru")
    assert logged_since(legacy, before) == [(seller["id"], "legacy_sellers", "insert")]
    order = legacy.buy(legacy.viewer(), legacy.product(seller))
    before = last_change(legacy)
    legacy.pay(order)
    postings = [x for x in logged_since(legacy, before) if x[1] == "legacy_ledger_postings"]
    # Partner clearing has no seller id of its own: its entry's order names the seller.
    assert postings == [(seller["id"], "legacy_ledger_postings", "insert")] * 2


def test_the_log_reads_from_a_cursor_each_change_once(legacy: Legacy) -> None:
    w = world(legacy)
    with Session(legacy.engine) as s:
        cursor = changes.cursor_now(s)
    edit(w)
    with Session(legacy.engine) as s:
        batch = changes.changes_since(s, w.seller["id"], cursor)
    assert [(c.table_name, c.row_id, c.op) for c in batch.changes] == [
        ("legacy_products", w.product["id"], "update")
    ]
    with Session(legacy.engine) as s:
        assert changes.changes_since(s, w.seller["id"], batch.cursor).changes == ()
        assert changes.changes_since(s, w.other["id"], cursor).changes == ()


def test_a_change_committed_after_a_later_one_was_read_is_not_lost(legacy: Legacy) -> None:
    """PostgreSQL hands out ids at insert and commits in another order: the earlier id commits
    last. The cursor (a snapshot) still returns it, once."""
    if legacy.engine.dialect.name != "postgresql":
        pytest.skip("SQLite commits one writer at a time, in id order")
    w = world(legacy)
    second = legacy.product(w.seller, title="Abon Sapi")
    with Session(legacy.engine) as s:
        cursor = changes.cursor_now(s)
    price = update(db.ProductRow).values(price_idr=50_000)
    with legacy.engine.connect() as early:
        early.execute(price.where(db.ProductRow.id == w.product["id"]))  # its change id first
        with legacy.engine.begin() as late:
            late.execute(price.where(db.ProductRow.id == second["id"]))
        with Session(legacy.engine) as s:
            first = changes.changes_since(s, w.seller["id"], cursor)
        early.commit()
    with Session(legacy.engine) as s:
        then = changes.changes_since(s, w.seller["id"], first.cursor)
        after = changes.changes_since(s, w.seller["id"], then.cursor)
    assert [c.row_id for c in first.changes] == [second["id"]]
    assert [c.row_id for c in then.changes] == [w.product["id"]]
    assert then.changes[0].id < first.changes[0].id and after.changes == ()


def test_bulk_seeding_can_pause_the_capture_for_its_own_transaction(legacy: Legacy) -> None:
    w = world(legacy)
    before = last_change(legacy)
    price = update(db.ProductRow).where(db.ProductRow.id == w.product["id"])
    with legacy.engine.begin() as c:
        with changes.capture_paused(c):
            c.execute(price.values(price_idr=1_000))
        c.execute(price.values(price_idr=2_000))  # after the block, captured again
    assert logged_since(legacy, before) == [(w.seller["id"], "legacy_products", "update")]
    edit(w)
    assert len(logged_since(legacy, before)) == 2


def test_legacy_sales_per_seller_count_orders_whose_money_came_in(legacy: Legacy) -> None:
    w = world(legacy)
    paid(w)
    kept = w.order
    paid(w)
    w.order_step("cancel", {"reason": "stok habis di gudang"})  # paid, then returned
    bought(w)  # never paid
    with Session(legacy.engine) as s:
        assert kept is not None
        assert evidence.legacy_sales_idr(s) == {w.seller["id"]: kept["total_idr"]}
        assert evidence.seller_sales_idr(s, w.seller["id"]) == kept["total_idr"]
        assert evidence.seller_sales_idr(s, w.other["id"]) == 0

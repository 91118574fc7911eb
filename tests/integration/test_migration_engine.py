"""The engine moving one merchant of a generated marketplace out of the app and into commerce, on
SQLite and PostgreSQL (social, commerce and the journal each on a fresh database of their own):
end to end through `advance` with orders in every state; live writes between the copy and the
cutover arriving exactly once; the cutover's pause measured, and a pause predicted over budget
abandoned and tried again; a payment started in the app and paid after the cutover paying the
order once, in commerce; the way back; the purge."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.money import db as money_db
from keranjang.infra.clock import FixedClock
from keranjang.migration.copy import Pace
from keranjang.migration.engine import Mover, Parts
from keranjang.migration.errors import NotConfirmed, OverBudget
from keranjang.migration.journal import EventRow, MoveRow
from keranjang.migration.phases import Phase
from keranjang.social.legacy_shop.generator import seeding, tokens
from keranjang.social.legacy_shop.generator.plan import Size
from tests.integration.conftest import bearer
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.migration_planned import confirmed, planned_marketplace

KEY = b"migration-test-key-0123456789abc"
SIZE = Size(merchants=4, products_per_merchant=4, buyers=30, orders=160, seed=1)
EVERY_STATE = ("awaiting_payment", "paid", "shipped", "delivered", "completed", "cancelled", "expired", "refunded")  # fmt: skip
GENEROUS_MS = 2_000.0  # a budget no healthy test machine misses (the pause is printed)


@dataclass
class Moving:
    legacy: Legacy
    journal: sessionmaker[Session]
    parts: Parts
    seller_id: int

    @property
    def mover(self) -> Mover:
        return Mover(self.parts)

    @property
    def social(self) -> Engine:
        return self.legacy.engine

    @property
    def commerce(self) -> Engine:
        return self.legacy.system.commerce_engine

    @property
    def seller(self) -> dict[str, str]:
        return {"token": tokens.seller_token(KEY, self.seller_id)}

    def run(self, until: Phase, seller_id: int | None = None) -> Phase:
        """`advance` until the move reaches `until` (as a worker would, call after call)."""
        seller_id = seller_id or self.seller_id
        phase = self.move(seller_id).phase
        for _ in range(500):
            if phase == until:
                return Phase(phase)
            phase = self.mover.advance(seller_id)
        raise AssertionError(f"the move stopped at {phase}")

    def move(self, seller_id: int | None = None) -> MoveRow:
        with self.journal() as s:
            return s.get_one(MoveRow, seller_id or self.seller_id)

    def events(self) -> list[str]:
        query = select(EventRow.what).where(EventRow.seller_id == self.seller_id)
        with self.journal() as s:
            return list(s.scalars(query.order_by(EventRow.id)))

    def event(self, what: str) -> EventRow:
        query = select(EventRow).where(EventRow.seller_id == self.seller_id, EventRow.what == what)
        with self.journal() as s:
            return s.scalars(query.order_by(EventRow.id.desc())).first()  # type: ignore[return-value]


def rows(engine: Engine, query: str, **params: Any) -> list[Any]:
    with engine.connect() as c:
        return list(c.execute(text(query), params))


def one(engine: Engine, query: str, **params: Any) -> Any:
    return rows(engine, query, **params)[0][0]


@pytest.fixture(name="moving")
def moving_fixture(
    legacy: Legacy, database_url: Callable[[str], str], clock: FixedClock
) -> Iterator[Moving]:
    """A generated marketplace in the app, planned; its busiest seller has confirmed."""
    request = seeding.SeedRequest(SIZE, KEY, clock.now(), batch_orders=100)
    planned = planned_marketplace(legacy, database_url("migration"), clock.now(), request)
    (seller_id,) = confirmed(legacy, planned.sellers[:1])  # the busiest
    parts = Parts(planned.journal, legacy.engine, legacy.system.commerce_engine, clock,
                  pause_budget_ms=GENEROUS_MS, pace=Pace(batch_rows=40, slice_seconds=0.05))  # fmt: skip
    yield Moving(legacy, planned.journal, parts, seller_id)
    planned.engine.dispose()


def test_a_seller_moves_end_to_end_and_verifies(moving: Moving) -> None:
    sid, social, commerce = moving.seller_id, moving.social, moving.commerce
    states = {
        r[0] for r in rows(social, f"SELECT status FROM legacy_orders WHERE seller_id = {sid}")
    }
    assert states == set(EVERY_STATE)

    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

    move = moving.move()
    merchant = move.commerce_merchant_id
    assert moving.events()[:4] == ["planned", "bound", "copy_started", "copied"]
    assert moving.events()[-2:] == ["cut_over", "verified"]
    assert move.pause_ms is not None and move.rows_verified == move.rows_total > 0
    print(f"\ncutover pause: {moving.event('cut_over').detail}")
    # The orders, state for state, under their legacy numbers.
    legacy_orders = rows(
        social,
        f"SELECT number, status, total_idr FROM legacy_orders WHERE seller_id = {sid} ORDER BY number",
    )
    moved = rows(
        commerce,
        f"SELECT number, status, total_idr FROM orders WHERE merchant_id = {merchant} ORDER BY number",
    )
    assert [tuple(r) for r in moved] == [tuple(r) for r in legacy_orders]
    assert all(r[0].startswith("LGC-") for r in moved)
    # Buyers are commerce accounts of their own, unclaimed.
    assert (
        one(
            commerce,
            f"SELECT count(*) FROM buyers WHERE id IN (SELECT buyer_id FROM orders WHERE merchant_id = {merchant}) AND password_hash IS NOT NULL",
        )
        == 0
    )
    # The yellow carts go to commerce; the legacy shop refuses the seller's writes.
    assert rows(
        social,
        f"SELECT route, commerce_merchant_id FROM merchant_routes WHERE legacy_seller_id = {sid}",
    ) == [("commerce", merchant)]
    assert (
        one(
            social,
            f"SELECT count(*) FROM legacy_product_map WHERE legacy_product_id IN (SELECT id FROM legacy_products WHERE seller_id = {sid})",
        )
        == SIZE.products_per_merchant
    )
    assert one(social, "SELECT count(*) FROM legacy_fences") == 0
    product = one(social, f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid}")
    r = moving.legacy.social.patch(
        f"/legacy/api/seller/products/{product}",
        json={"price_idr": 1000},
        headers=bearer(moving.seller),
    )
    assert r.status_code == 409, r.text
    # The seller's own token opens the seller center in commerce.
    r = moving.legacy.system.commerce.get("/api/seller/orders", headers=bearer(moving.seller))
    assert r.status_code == 200, r.text
    # The money: escrow and payable opened to the rupiah, the ledger balanced.
    balance = moving.legacy.shop.selling.balance(sid)
    with Session(commerce) as s:
        debits, credits = money_db.totals(s)
        assert debits == credits
        assert money_db.owed(s, f"merchant_payable:{merchant}") == balance.payable_idr
        clearing = money_db.balances(s, ["migration_clearing"])["migration_clearing"]
    assert clearing == balance.escrow_idr + balance.payable_idr


def test_advancing_again_moves_nothing_twice(moving: Moving) -> None:
    moving.run(Phase.VERIFIED)
    before = {t: one(moving.commerce, f"SELECT count(*) FROM {t}") for t in COUNTED}
    assert moving.mover.advance(moving.seller_id) is Phase.VERIFIED
    assert {t: one(moving.commerce, f"SELECT count(*) FROM {t}") for t in COUNTED} == before


COUNTED = ("merchants", "products", "orders", "order_lines", "order_events", "stock_holds", "payments", "refunds", "buyers", "buyer_addresses", "ledger_entries")  # fmt: skip


def test_a_seller_who_has_not_confirmed_waits(moving: Moving) -> None:
    other = one(moving.social, f"SELECT min(id) FROM legacy_sellers WHERE id <> {moving.seller_id}")
    with pytest.raises(NotConfirmed):
        moving.mover.advance(other)
    assert moving.move(other).phase == Phase.PLANNED


def test_live_writes_between_copy_and_cutover_arrive_exactly_once(moving: Moving) -> None:
    sid, legacy = moving.seller_id, moving.legacy
    moving.run(Phase.CATCHING_UP)
    product = one(
        moving.social, f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid} AND stock > 3"
    )
    viewer = legacy.viewer("pembeli.baru@example.com")
    order = legacy.buy(viewer, {"id": product}, quantity=2)
    legacy.pay(order)
    r = legacy.social.patch(
        f"/legacy/api/seller/products/{product}",
        json={"price_idr": 123_456},
        headers=bearer(moving.seller),
    )
    assert r.status_code == 200, r.text

    moving.run(Phase.VERIFIED)

    merchant = moving.move().commerce_merchant_id
    placed = rows(
        moving.commerce, "SELECT status, total_idr FROM orders WHERE number = :n", n=order["number"]
    )
    assert placed == [("paid", order["total_idr"])]
    price, stock = rows(
        moving.commerce,
        "SELECT price_idr, stock FROM products WHERE merchant_id = :m AND title = :t",
        m=merchant,
        t=one(moving.social, f"SELECT title FROM legacy_products WHERE id = {product}"),
    )[0]
    assert (price, stock) == tuple(
        rows(moving.social, f"SELECT price_idr, stock FROM legacy_products WHERE id = {product}")[0]
    )
    assert price == 123_456
    assert (
        one(moving.commerce, "SELECT count(*) FROM buyers WHERE email = 'pembeli.baru@example.com'")
        == 1
    )


def test_a_pause_predicted_over_budget_is_abandoned_then_tried_again(moving: Moving) -> None:
    moving.run(Phase.CATCHING_UP)
    moving.parts.pause_budget_ms = 0.001
    with pytest.raises(OverBudget, match="cutover abandoned: predicted"):
        for _ in range(50):
            moving.mover.advance(moving.seller_id)
    assert moving.move().phase == Phase.CATCHING_UP
    assert "predicted" in moving.event("cutover_abandoned").detail
    assert (
        one(
            moving.social,
            f"SELECT route FROM merchant_routes WHERE legacy_seller_id = {moving.seller_id}",
        )
        == "legacy"
    )
    assert one(moving.social, "SELECT count(*) FROM legacy_fences") == 0

    moving.parts.pause_budget_ms = GENEROUS_MS
    assert moving.run(Phase.CUT_OVER) is Phase.CUT_OVER
    pause = moving.move().pause_ms
    assert pause is not None and pause <= GENEROUS_MS
    print(f"\ncutover pause after an abandoned one: {pause} ms")


def test_a_payment_started_in_the_app_and_paid_after_the_cutover_pays_once_in_commerce(
    moving: Moving,
) -> None:
    legacy = moving.legacy
    product = one(
        moving.social,
        f"SELECT min(id) FROM legacy_products WHERE seller_id = {moving.seller_id} AND stock > 1",
    )
    viewer = legacy.viewer("telat.bayar@example.com")
    order = legacy.buy(viewer, {"id": product})
    moving.run(Phase.VERIFIED)

    legacy.pay(order)  # at the partner's page, after the cutover
    assert "moved" in legacy.inbox.answers[-1].text
    state = legacy.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    state.reconciliation.partner = state.paying.partner = legacy.sim.partner
    state.reconciliation.run()
    state.reconciliation.run()

    assert rows(
        moving.commerce, "SELECT status FROM orders WHERE number = :n", n=order["number"]
    ) == [("paid",)]
    order_id = one(moving.commerce, "SELECT id FROM orders WHERE number = :n", n=order["number"])
    assert (
        one(
            moving.commerce, f"SELECT count(*) FROM ledger_entries WHERE ref = 'payment:{order_id}'"
        )
        == 1
    )
    assert legacy.order(viewer, order["id"])["status"] == "awaiting_payment"  # the app did nothing


def test_a_rolled_back_merchant_sells_in_the_app_again_with_nothing_lost(moving: Moving) -> None:
    sid, legacy = moving.seller_id, moving.legacy
    moving.run(Phase.VERIFIED)
    commerce = legacy.system.commerce
    paid = one(
        moving.commerce,
        f"SELECT min(id) FROM orders WHERE merchant_id = {moving.move().commerce_merchant_id} AND status = 'paid'",
    )
    r = commerce.post(
        f"/api/seller/orders/{paid}/ship",
        json={"tracking_number": "JNE123"},
        headers=bearer(moving.seller),
    )
    assert r.status_code == 200, r.text
    product = one(
        moving.commerce,
        f"SELECT min(id) FROM products WHERE merchant_id = {moving.move().commerce_merchant_id}",
    )
    r = commerce.patch(
        f"/api/seller/products/{product}", json={"stock": 77}, headers=bearer(moving.seller)
    )
    assert r.status_code == 200, r.text
    number = one(moving.commerce, f"SELECT number FROM orders WHERE id = {paid}")

    assert moving.mover.rollback(sid, "operator", "the seller asked") is Phase.ROLLED_BACK

    assert rows(
        moving.social,
        "SELECT status, tracking_number FROM legacy_orders WHERE number = :n",
        n=number,
    ) == [("shipped", "JNE123")]
    assert 77 in {
        r[0]
        for r in rows(moving.social, f"SELECT stock FROM legacy_products WHERE seller_id = {sid}")
    }
    assert (
        one(moving.social, f"SELECT route FROM merchant_routes WHERE legacy_seller_id = {sid}")
        == "legacy"
    )
    assert commerce.get("/api/seller/orders", headers=bearer(moving.seller)).status_code == 401
    legacy_product = one(
        moving.social, f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid}"
    )
    r = legacy.social.patch(
        f"/legacy/api/seller/products/{legacy_product}",
        json={"price_idr": 50_000},
        headers=bearer(moving.seller),
    )
    assert r.status_code == 200, r.text
    with Session(moving.commerce) as s:
        debits, credits = money_db.totals(s)
        assert debits == credits
        assert money_db.owed(s, f"merchant_payable:{moving.move().commerce_merchant_id}") == 0
    # ... and it can be moved again, with the changes made in the app meanwhile.
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

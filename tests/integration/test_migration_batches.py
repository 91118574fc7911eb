"""Small merchants moved as a batch (one set of statements per table for all of them, one fence),
on SQLite and PostgreSQL: every merchant of the batch arrives in commerce whole and once, with
its own journal row and events; a batch killed (SIGKILL) in the copy, the catch-up or the
cutover resumes with nothing doubled; the verification of a batch names the merchant whose rows
differ and no other; and one bad merchant does not hold the rest of its batch back."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import FixedClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.migration.copy import Pace
from keranjang.migration.engine import Mover, Parts
from keranjang.migration.errors import MigrationError, Mismatch, NotConfirmed
from keranjang.migration.journal import EventRow, MoveRow
from keranjang.migration.phases import Phase
from keranjang.migration.workers import Journal, Rules, Worker
from keranjang.social.legacy_shop.generator import seeding
from keranjang.social.legacy_shop.generator.plan import Size
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.migration_planned import confirmed, planned_marketplace
from tests.integration.test_migration_engine import one, rows

ROOT = Path(__file__).resolve().parents[2]
KEY = b"migration-test-key-0123456789abc"
SIZE = Size(merchants=4, products_per_merchant=4, buyers=30, orders=120, seed=7)
GENEROUS_MS = 10_000.0
CHILD_TABLES = {
    "order_lines": "legacy_order_lines",
    "order_events": "legacy_order_events",
    "stock_holds": "legacy_stock_holds",
    "payments": "(SELECT DISTINCT order_id FROM legacy_payments)",
    "refunds": "legacy_refunds",
}


@dataclass
class Batch:
    legacy: Legacy
    journal: sessionmaker[Session]
    parts: Parts
    sellers: list[int]

    @property
    def mover(self) -> Mover:
        return Mover(self.parts)

    @property
    def social(self) -> Engine:
        return self.legacy.engine

    @property
    def commerce(self) -> Engine:
        return self.legacy.system.commerce_engine

    def run(self, until: Phase, sellers: list[int] | None = None) -> dict[int, object]:
        """`advance_batch` until every move of the batch reaches `until`."""
        sellers = sellers or self.sellers
        results: dict[int, object] = {}
        for _ in range(500):
            results = dict(self.mover.advance_batch(sellers))
            if all(r == until for r in results.values()):
                return results
            assert not any(isinstance(r, Exception) for r in results.values()), results
        raise AssertionError(f"the batch stopped at {results}")

    def move(self, seller_id: int) -> MoveRow:
        with self.journal() as s:
            return s.get_one(MoveRow, seller_id)

    def events(self, seller_id: int) -> list[EventRow]:
        query = select(EventRow).where(EventRow.seller_id == seller_id).order_by(EventRow.id)
        with self.journal() as s:
            return list(s.scalars(query))


@pytest.fixture(name="batch")
def batch_fixture(
    legacy: Legacy, database_url: Callable[[str], str], clock: FixedClock
) -> Iterator[Batch]:
    """A generated marketplace in the app, planned; every seller has confirmed."""
    request = seeding.SeedRequest(SIZE, KEY, clock.now(), batch_orders=100)
    planned = planned_marketplace(legacy, database_url("migration"), clock.now(), request)
    sellers = confirmed(legacy, planned.sellers)
    parts = Parts(planned.journal, legacy.engine, legacy.system.commerce_engine, clock,
                  pause_budget_ms=GENEROUS_MS, pace=Pace(batch_rows=40, slice_seconds=0.05))  # fmt: skip
    yield Batch(legacy, planned.journal, parts, sellers)
    planned.engine.dispose()


def assert_moved_once(batch: Batch, sid: int) -> None:
    """The seller's shop is in commerce once, row for row, routed there, not fenced."""
    merchant = batch.move(sid).commerce_merchant_id
    social, commerce = batch.social, batch.commerce
    slug = one(social, f"SELECT slug FROM legacy_sellers WHERE id = {sid}")
    assert one(commerce, "SELECT count(*) FROM merchants WHERE slug LIKE :s", s=f"{slug}%") == 1
    assert one(commerce, f"SELECT count(*) FROM products WHERE merchant_id = {merchant}") == one(
        social, f"SELECT count(*) FROM legacy_products WHERE seller_id = {sid}"
    )
    numbers = rows(commerce, f"SELECT number FROM orders WHERE merchant_id = {merchant}")
    assert sorted(numbers) == sorted(
        rows(social, f"SELECT number FROM legacy_orders WHERE seller_id = {sid}")
    )
    for table, legacy in CHILD_TABLES.items():
        ours = one(commerce, f"SELECT count(*) FROM {table} WHERE order_id IN (SELECT id FROM orders WHERE merchant_id = {merchant})")  # fmt: skip
        theirs = one(social, f"SELECT count(*) FROM {legacy} x WHERE x.order_id IN (SELECT id FROM legacy_orders WHERE seller_id = {sid})")  # fmt: skip
        assert ours == theirs, (sid, table)
    route = one(social, f"SELECT route FROM merchant_routes WHERE legacy_seller_id = {sid}")
    assert (route, one(social, "SELECT count(*) FROM legacy_fences")) == ("commerce", 0)


def no_entry_twice(batch: Batch) -> None:
    opened = rows(batch.commerce, "SELECT ref FROM ledger_entries WHERE kind = 'opening'")
    assert len(opened) == len(set(opened))
    balance = one(batch.commerce, "SELECT coalesce(sum(debit_idr) - sum(credit_idr), 0) FROM ledger_postings")  # fmt: skip
    assert balance == 0


def test_a_batch_of_merchants_moves_together_each_with_its_own_journal_row_and_events(
    batch: Batch,
) -> None:
    batch.run(Phase.CATCHING_UP)
    sid = batch.sellers[0]
    product = one(batch.social, f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid} AND stock > 2")  # fmt: skip
    viewer = batch.legacy.viewer("batch.buyer@example.com")
    order = batch.legacy.buy(viewer, {"id": product})  # a write the catch-up must bring
    batch.legacy.pay(order)

    assert batch.run(Phase.VERIFIED) == dict.fromkeys(batch.sellers, Phase.VERIFIED)

    merchants = {batch.move(s).commerce_merchant_id for s in batch.sellers}
    assert len(merchants) == len(batch.sellers)  # a merchant of its own each
    pauses = set()
    for seller_id in batch.sellers:
        move = batch.move(seller_id)
        grew = 7 if seller_id == sid else 0  # the order bought meanwhile: itself and 6 rows
        events = batch.events(seller_id)
        started = json.loads(events[2].detail)["rows"]  # the rows when the copy started
        # Every row in commerce and verified, the order the catch-up brought included: the
        # operator's page shows as many copied as verified, of as many in all.
        assert move.rows_copied == move.rows_verified == move.rows_total == started + grew
        assert started > 0
        assert [e.what for e in events] == [
            "planned", "bound", "copy_started", "copied", "cut_over", "verified"
        ]  # fmt: skip
        cut = json.loads(events[4].detail)
        assert cut["batch"] == batch.sellers  # one fence over all of them
        assert json.loads(events[5].detail)["passed"] is True
        pauses.add(move.pause_ms)
        assert_moved_once(batch, seller_id)
    assert len(pauses) == 1  # one pause, the batch's
    assert one(batch.commerce, f"SELECT count(*) FROM orders WHERE number = '{order['number']}'") == 1  # fmt: skip
    no_entry_twice(batch)


def test_verification_of_a_batch_names_the_merchant_whose_rows_differ_and_no_other(
    batch: Batch,
) -> None:
    batch.run(Phase.CUT_OVER)
    bad, other = batch.sellers[0], batch.sellers[1]
    bad_merchant = batch.move(bad).commerce_merchant_id
    number = one(batch.commerce, f"SELECT min(number) FROM orders WHERE merchant_id = {bad_merchant}")  # fmt: skip
    with batch.commerce.begin() as c:
        c.execute(text("UPDATE orders SET total_idr = total_idr + 1 WHERE number = :n"), {"n": number})  # fmt: skip

    results = batch.mover.advance_batch(batch.sellers)

    assert isinstance(results[bad], Mismatch) and number in str(results[bad])
    assert all(results[s] is Phase.VERIFIED for s in batch.sellers if s != bad)
    assert batch.move(bad).phase == Phase.CUT_OVER
    differences = json.loads(batch.events(bad)[-1].detail)["differences"]
    assert differences == [f"orders differ in state or amounts: {number}"]
    others = {
        n
        for (n,) in rows(batch.social, f"SELECT number FROM legacy_orders WHERE seller_id != {bad}")
    }
    assert not any(n in d for d in differences for n in others)  # no one else's rows named
    assert json.loads(batch.events(other)[-1].detail)["differences"] == []


def test_a_seller_who_has_not_confirmed_leaves_the_batch_and_the_others_are_bound(
    batch: Batch,
) -> None:
    waiting = batch.sellers[2]
    with batch.social.begin() as c:
        c.execute(text(f"DELETE FROM legacy_move_consents WHERE seller_id = {waiting}"))

    results = batch.mover.advance_batch(batch.sellers)

    assert isinstance(results[waiting], NotConfirmed)
    assert {s: r for s, r in results.items() if s != waiting} == {
        s: Phase.BOUND for s in batch.sellers if s != waiting
    }
    assert batch.move(waiting).phase == Phase.PLANNED


def test_one_bad_merchant_does_not_block_the_rest_of_its_batch(batch: Batch) -> None:
    """A buyer with no usable email breaks the copy of the whole batch: the workers split it,
    move the others one by one, and leave the bad one for an operator."""
    bad = batch.sellers[1]
    viewer = one(batch.social, f"SELECT min(viewer_id) FROM legacy_orders WHERE seller_id = {bad} AND viewer_id NOT IN (SELECT viewer_id FROM legacy_orders WHERE seller_id != {bad})")  # fmt: skip
    assert viewer is not None
    with batch.social.begin() as c:
        c.execute(text(f"UPDATE viewers SET email = '' WHERE id = {viewer}"))
    clock = batch.parts.clock
    assert isinstance(clock, FixedClock)
    journal = Journal(batch.journal, clock, Rules(batch_size=4, batch_rows=100_000))
    worker = Worker("w", journal, batch.mover)
    for _ in range(8):
        while worker.run_once():
            pass
        clock.advance(seconds=11)

    for seller_id in batch.sellers:
        whats = [e.what for e in batch.events(seller_id)]
        assert "batch_split" in whats, seller_id
        if seller_id != bad:
            assert batch.move(seller_id).phase == Phase.VERIFIED
            assert_moved_once(batch, seller_id)
    stuck = batch.move(bad)
    assert stuck.phase == Phase.COPYING and stuck.attempts == Rules().max_attempts
    assert stuck.error is not None and "email" in stuck.error
    no_entry_twice(batch)


def test_a_merchant_whose_way_back_is_broken_is_refused_and_the_rest_of_its_batch_cuts_over(
    batch: Batch,
) -> None:
    """The way back is proven for the whole batch at once, and a broken one (a line of the
    merchant's pointing at another merchant's product) names that merchant alone."""
    batch.run(Phase.CATCHING_UP)
    bad, other = batch.sellers[1], batch.sellers[2]
    bad_merchant, other_merchant = (batch.move(s).commerce_merchant_id for s in (bad, other))
    line = one(batch.commerce, f"SELECT min(l.id) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.merchant_id = {bad_merchant}")  # fmt: skip
    theirs = one(batch.commerce, f"SELECT min(id) FROM products WHERE merchant_id = {other_merchant}")  # fmt: skip
    with batch.commerce.begin() as c:
        c.execute(text(f"UPDATE order_lines SET product_id = {theirs} WHERE id = {line}"))

    results = batch.mover.advance_batch(batch.sellers)

    assert isinstance(results[bad], MigrationError) and f"order line {line}" in str(results[bad])
    assert {s: r for s, r in results.items() if s != bad} == {
        s: Phase.CUT_OVER for s in batch.sellers if s != bad
    }
    refused = batch.events(bad)[-1]
    assert refused.what == "cutover_refused"
    assert json.loads(refused.detail)["way_back"] == [
        f"order line {line}: product {theirs} is not the merchant's"
    ]
    assert batch.move(bad).phase == Phase.CATCHING_UP
    route = one(batch.social, f"SELECT route FROM merchant_routes WHERE legacy_seller_id = {bad}")
    assert route in (None, "legacy")  # still selling in the app


BATCH_KILL_POINTS = [
    "sync:order:writing:2",  # copy: inside commerce's transaction for the batch's orders
    "copy:events:applied:1",  # copy: events written, no position recorded
    "catch_up:applied:1",  # catch-up: changes applied, no cursor moved
    "cutover:fenced:1",  # every seller fenced, nothing drained
    "cutover:money:1",  # every merchant's opening entries posted, no route flipped
    "cutover:flipped:1",  # routed to commerce, the journal not told
]


def test_the_copy_reads_the_id_map_of_each_kind_whole_not_a_batch_of_rows_at_a_time(
    batch: Batch,
) -> None:
    """Every batch of lines needs its orders' and products' ids in commerce: the copy reads
    each kind's map of its sellers once a slice, and looks up by id only buyers (shared by
    sellers, so another worker may map one meanwhile)."""
    batch.run(Phase.BOUND)
    journal = batch.journal.kw["bind"]
    lookups: list[str] = []

    def seen(_c: object, _cur: object, statement: str, parameters: object, *_: object) -> None:
        if "FROM id_map" in statement and "legacy_id" in statement.partition("WHERE")[2]:
            lookups.append(repr(parameters))

    event.listen(journal, "before_cursor_execute", seen)
    try:
        batch.run(Phase.CATCHING_UP)
    finally:
        event.remove(journal, "before_cursor_execute", seen)
    assert lookups, "the buyers are looked up"
    assert all("'buyer'" in p for p in lookups), [p[:80] for p in lookups if "'buyer'" not in p]
    batch.run(Phase.VERIFIED)  # and what was copied so is whole
    for sid in batch.sellers:
        assert_moved_once(batch, sid)


@pytest.mark.parametrize("kill_at", BATCH_KILL_POINTS)
def test_a_batch_killed_mid_move_and_started_again_finishes_with_nothing_doubled(
    batch: Batch, kill_at: str
) -> None:
    batch.run(Phase.COPYING)
    sid = batch.sellers[0]
    product = one(batch.social, f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid} AND stock > 2")  # fmt: skip
    batch.legacy.pay(batch.legacy.buy(batch.legacy.viewer("kill.buyer@example.com"), {"id": product}))  # fmt: skip

    assert run_child(batch, kill_at) == -signal.SIGKILL
    assert run_child(batch, None) == 0

    for seller_id in batch.sellers:
        assert batch.move(seller_id).phase == Phase.VERIFIED
        assert_moved_once(batch, seller_id)
    no_entry_twice(batch)


def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run_child(batch: Batch, kill_at: str | None) -> int:
    env = os.environ | {
        "KJ_JOURNAL_URL": url(batch.journal.kw["bind"]),
        "KJ_SOCIAL_URL": url(batch.social),
        "KJ_COMMERCE_URL": url(batch.commerce),
        "KJ_SELLERS": ",".join(map(str, batch.sellers)),
        "KJ_KILL_AT": kill_at or "",
        "PYTHONPATH": str(ROOT),
    }
    module = "tests.integration.test_migration_batches"
    done = subprocess.run([sys.executable, "-m", module], env=env, cwd=ROOT, timeout=300)
    return done.returncode


def main() -> None:
    """The child: moves the batch to the end, stopping itself dead at `KJ_KILL_AT`."""
    from tests.integration.test_migration_killed import Killer

    spec = os.environ.get("KJ_KILL_AT") or ""
    parts = Parts(
        journal=session_factory(make_engine(os.environ["KJ_JOURNAL_URL"])),
        social=make_engine(os.environ["KJ_SOCIAL_URL"]),
        commerce=make_engine(os.environ["KJ_COMMERCE_URL"]),
        pause_budget_ms=GENEROUS_MS,
        pace=Pace(batch_rows=25, slice_seconds=0.05),
        checkpoint=Killer(spec) if spec else (lambda _where: None),
    )
    mover = Mover(parts)
    sellers = [int(s) for s in os.environ["KJ_SELLERS"].split(",")]
    for _ in range(1000):
        results = mover.advance_batch(sellers)
        if all(r is Phase.VERIFIED for r in results.values()):
            return
        if failed := [r for r in results.values() if isinstance(r, Exception)]:
            raise SystemExit(f"the batch failed: {failed}")
    raise SystemExit(f"the batch stopped at {results}")


if __name__ == "__main__":
    main()

"""The pause budget bounds the pause the engine measures, not only the one it predicts, on
SQLite and PostgreSQL: with a budget far below what a batch's pause takes under one fence, the
batch is cut over in parts, every cutover the journal records paused within the budget, the
attempts abandoned inside the pause say how long they were fenced, and every merchant arrives
whole and once.

The pause here grows with the opening entries posted inside it: the engine is built with
`stage_opening_entries` off, as an operator may run it. (Staged, on PostgreSQL, they are
posted before the fence: test_migration_staging.py.)"""

import json
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.infra.clock import FixedClock
from keranjang.migration import cutover, pause
from keranjang.migration.copy import Pace
from keranjang.migration.engine import Parts
from keranjang.migration.journal import MoveRow
from keranjang.migration.phases import Phase
from keranjang.migration.staging import Staged
from keranjang.migration.sync import Ctx
from keranjang.social.legacy_shop.generator import seeding
from keranjang.social.legacy_shop.generator.plan import Size
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.migration_planned import confirmed, planned_marketplace
from tests.integration.test_migration_batches import (
    GENEROUS_MS,
    KEY,
    Batch,
    assert_moved_once,
    no_entry_twice,
)

# Merchants with tens of open orders each: their opening entries make the pause grow with
# every merchant under the fence (small ones' pause is the fence's fixed round trips).
SIZE = Size(merchants=4, products_per_merchant=4, buyers=80, orders=1_200, seed=3)


@pytest.fixture(name="batch")
def batch_fixture(
    legacy: Legacy, database_url: Callable[[str], str], clock: FixedClock
) -> Iterator[Batch]:
    """A generated marketplace in the app, planned; every seller has confirmed."""
    request = seeding.SeedRequest(SIZE, KEY, clock.now(), batch_orders=200)
    planned = planned_marketplace(legacy, database_url("migration"), clock.now(), request)
    sellers = confirmed(legacy, planned.sellers)
    parts = Parts(planned.journal, legacy.engine, legacy.system.commerce_engine, clock,
                  pause_budget_ms=GENEROUS_MS, pace=Pace(batch_rows=2_000),
                  stage_opening_entries=False)  # fmt: skip
    yield Batch(legacy, planned.journal, parts, sellers)
    planned.engine.dispose()


ROUNDS = 400


def least_predicted(batch: Batch, sellers: list[int]) -> float:
    """The engine's own prediction of these sellers' pause under one fence on this machine now
    (scaled as the engine scales it): the least of a few, the first paying for compiling the
    statements as the engine's did."""
    with batch.journal() as s:
        moves = s.scalars(select(MoveRow).where(MoveRow.seller_id.in_(sellers)))
        merchants = {m.seller_id: int(m.commerce_merchant_id or 0) for m in moves}
        learned = pause.learned(s)
    p = batch.parts
    ctx = Ctx(p.social, p.commerce, p.journal, p.clock, merchants)
    where, rate = cutover.cursors_and_rate(ctx)
    ids = cutover.maps(ctx)
    found = []
    for _ in range(4):
        with Session(p.commerce) as s:  # what it stages is rolled back
            staged = Staged(s, ctx, hold=p.stage_opening_entries)
            found.append(cutover.predict(ctx, (where, rate), ids, learned, staged)[0].scaled)
    return min(found)


def cut_over_under(batch: Batch, budget_ms: float) -> list[int]:
    """Advance the batch's merchants still catching up, as a worker would (those left for
    the next round together), until all are cut over; the sellers still left."""
    batch.parts.pause_budget_ms = budget_ms
    left = list(batch.sellers)
    for _ in range(ROUNDS):
        results = batch.mover.advance_batch(left)
        left = [s for s, r in results.items() if r is not Phase.CUT_OVER]
        if not left:
            break
    return left


def test_a_tiny_budget_splits_the_batch_and_every_recorded_pause_is_within_it(
    batch: Batch,
) -> None:
    batch.run(Phase.CATCHING_UP)

    alone = max(least_predicted(batch, [s]) for s in batch.sellers)
    together = least_predicted(batch, batch.sellers)
    # Between what the largest merchant alone and the four together are predicted to need: the
    # batch cannot go under one fence, each merchant can alone (a fixed figure would fit all
    # four on a fast machine and none on a slow one). As near the four's as still splits them,
    # so a merchant alone has the most room on a busy machine.
    budget = round(max((alone + together) / 2, 0.9 * together), 2)
    print(f"\npredicted: the largest alone {alone:.2f} ms, the four together {together:.2f} ms")
    assert together > 1.3 * alone

    assert cut_over_under(batch, budget) == []

    cutovers, abandoned = {}, []
    for seller_id in batch.sellers:
        move = batch.move(seller_id)
        for event in batch.events(seller_id):
            detail = json.loads(event.detail)
            if event.what == "cut_over":
                cutovers[seller_id] = detail
                assert move.pause_ms is not None and move.pause_ms <= budget + 1  # rounded up
            elif event.what == "cutover_abandoned" and "pause_ms" in detail:
                abandoned.append(detail)
    print(f"\nbudget {budget} ms\ncutovers: {cutovers}\nabandoned inside the pause: {abandoned}")
    assert set(cutovers) == set(batch.sellers)
    assert all(d["pause_ms"] <= budget for d in cutovers.values())
    fences = {tuple(d.get("batch", [s])) for s, d in cutovers.items()}
    assert len(fences) > 1  # the batch went over in parts
    assert all(d["pause_ms"] > 0 and d["predicted_ms"] > 0 for d in abandoned)
    assert batch.run(Phase.VERIFIED) == dict.fromkeys(batch.sellers, Phase.VERIFIED)
    for seller_id in batch.sellers:
        assert_moved_once(batch, seller_id)
    no_entry_twice(batch)

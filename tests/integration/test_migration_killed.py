"""The engine killed (SIGKILL, a real process) at points spread over the copy, the catch-up and the
cutover, then started again: the move finishes, verifies, and nothing is doubled in commerce, on
SQLite and PostgreSQL.

The engine runs in a child process (`python -m tests.integration.test_migration_killed`, this
module's `main`), which stops itself dead with SIGKILL at the n-th pass through the named point
(`KJ_KILL_AT=point:n`): no `finally`, no rollback handler, no flush runs, as when a machine dies.
Before the child starts, the app has made writes the copy must capture (an order placed and paid,
a price changed), so the catch-up has work too.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from keranjang.infra.database import make_engine, session_factory
from keranjang.migration.copy import Pace
from keranjang.migration.engine import Mover, Parts
from keranjang.migration.phases import Phase
from tests.integration.conftest import bearer
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
KILL_POINTS = [
    "bind:merchant:1",  # the merchant is in commerce, the journal does not know it
    "sync:product:intent:1",  # copy: ids mapped in the journal, no product written yet
    "sync:order:writing:2",  # copy: inside commerce's transaction for a batch of orders
    "sync:line:written:3",  # copy: lines written, the batch's position not recorded
    "copy:events:applied:1",  # copy: events written, position not recorded
    "catch_up:applied:1",  # catch-up: the changes applied, the cursor not moved
    "cutover:fenced:1",  # the seller fenced, nothing drained
    "cutover:money:1",  # opening entries posted, route not flipped
    "cutover:flipped:1",  # routed to commerce, the journal not told
]
# Commerce's table -> the app's rows it comes from (an order's attempts are one payment there).
CHILD_TABLES = {
    "order_lines": "legacy_order_lines",
    "order_events": "legacy_order_events",
    "stock_holds": "legacy_stock_holds",
    "payments": "(SELECT DISTINCT order_id FROM legacy_payments)",
    "refunds": "legacy_refunds",
}


def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run_child(moving: Moving, kill_at: str | None) -> int:
    env = os.environ | {
        "KJ_JOURNAL_URL": url(moving.journal.kw["bind"]),
        "KJ_SOCIAL_URL": url(moving.social),
        "KJ_COMMERCE_URL": url(moving.commerce),
        "KJ_SELLER": str(moving.seller_id),
        "KJ_KILL_AT": kill_at or "",
        "PYTHONPATH": str(ROOT),
    }
    module = "tests.integration.test_migration_killed"
    done = subprocess.run([sys.executable, "-m", module], env=env, cwd=ROOT, timeout=300)
    return done.returncode


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_killed_anywhere_and_started_again_the_move_finishes_with_nothing_doubled(
    moving: Moving, kill_at: str
) -> None:
    if kill_at.startswith("bind"):
        moving.legacy.shop.moving.confirm(moving.seller_id)
    else:
        moving.run(Phase.COPYING)
        _live_writes(moving)

    assert run_child(moving, kill_at) == -signal.SIGKILL
    assert run_child(moving, None) == 0

    assert moving.move().phase == Phase.VERIFIED
    merchant = moving.move().commerce_merchant_id
    sid = moving.seller_id
    social, commerce = moving.social, moving.commerce
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
        assert ours == theirs, table
    opened = one(commerce, "SELECT count(*) FROM ledger_entries WHERE kind = 'opening'")
    assert opened == len(
        rows(commerce, "SELECT DISTINCT ref FROM ledger_entries WHERE kind = 'opening'")
    )
    assert one(social, "SELECT count(*) FROM legacy_fences") == 0
    assert (
        one(social, f"SELECT route FROM merchant_routes WHERE legacy_seller_id = {sid}")
        == "commerce"
    )


def _live_writes(moving: Moving) -> None:
    legacy, sid = moving.legacy, moving.seller_id
    product = one(
        moving.social, f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid} AND stock > 2"
    )
    viewer = legacy.viewer("selama.salin@example.com")
    order = legacy.buy(viewer, {"id": product})
    legacy.pay(order)
    r = legacy.social.patch(
        f"/legacy/api/seller/products/{product}",
        json={"price_idr": 88_000},
        headers=bearer(moving.seller),
    )
    assert r.status_code == 200, r.text


# -- the child process --------------------------------------------------------------------------


class Killer:
    """Stops this process dead at the n-th pass through a point (`point:n`)."""

    def __init__(self, spec: str) -> None:
        point, _, times = spec.rpartition(":")
        self.point, self.left = point, int(times or 0)

    def __call__(self, where: str) -> None:
        if where == self.point:
            self.left -= 1
            if self.left == 0:
                os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    spec = os.environ.get("KJ_KILL_AT") or ""
    parts = Parts(
        journal=session_factory(make_engine(os.environ["KJ_JOURNAL_URL"])),
        social=make_engine(os.environ["KJ_SOCIAL_URL"]),
        commerce=make_engine(os.environ["KJ_COMMERCE_URL"]),
        pause_budget_ms=10_000,
        pace=Pace(batch_rows=25, slice_seconds=0.05),
        checkpoint=Killer(spec) if spec else (lambda _where: None),
    )
    mover, seller_id, phase = Mover(parts), int(os.environ["KJ_SELLER"]), None
    for _ in range(1000):
        phase = mover.advance(seller_id)
        if phase is Phase.VERIFIED:
            return
    raise SystemExit(f"the move stopped at {phase}")


if __name__ == "__main__":
    main()

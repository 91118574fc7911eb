"""`keranjang migrate run` killed with SIGKILL at 20 points spread over every phase (bind, the
copy, the catch-up, the cutover; then `migrate purge` in the middle of its purge), chosen by a
seeded RNG among the engine's checkpoints (nine per merchant for two merchants, two purges),
and started again each time, on SQLite and PostgreSQL: the run completes, every
merchant verifies, nothing is doubled (orders by number, products by the id map, ledger entries
by their ref) and no fence is left. Between two runs the app keeps writing (a price and a stock
changed for a seller still in the app), so the catch-up has work too.

A killed worker's lease would keep its merchant for 30 s (`migrate run` keeps the default lease
whatever KERANJANG_MIGRATION_LEASE_SECONDS says); the test lapses it at once, as time would."""

import random
import signal
from collections.abc import Callable
from pathlib import Path

from tests.integration.migration_kills import FACTORY, POINTS, PURGE_POINT
from tests.integration.migration_live import Live, Marketplace, force_every_seller, offline
from tests.integration.test_migration_acceptance import PAUSE_BUDGET_MS, databases

KILLS = 20
TINY = Marketplace(merchants=3, products=3, buyers=12, orders=45, seed=3)


def kill_plan(rng: random.Random, sellers: list[int]) -> list[tuple[int, str]]:
    """Twenty (seller, `point:1`): for each of two sellers, nine points of its move (its bind,
    its catch-up, one of the cutover's and six of the copy's drawn at random) taken in the
    move's order (each run resumes the move and dies at the next one),
    then two kills in the middle of purges."""
    plan = []
    for seller in sellers[:2]:
        cutover = [p for p in POINTS if p.startswith("cutover")]
        copy = [p for p in POINTS if p.startswith(("sync", "copy"))]
        drawn = [POINTS[0], "catch_up:applied", rng.choice(cutover), *rng.sample(copy, 6)]
        points = sorted(drawn, key=POINTS.index)
        plan += [(seller, f"{p}:1") for p in points]
    return [*plan, (0, f"{PURGE_POINT}:1"), (0, f"{PURGE_POINT}:1")]


def lapse_leases(live: Live) -> None:
    with live.engine("migration").begin() as c:
        c.exec_driver_sql("UPDATE moves SET worker = NULL, lease_until = NULL")


def app_writes(live: Live, n: int) -> None:
    """The app goes on writing for a seller still selling there (not fenced, not moved): its
    triggers log the change as the shop's own code paths do."""
    query = ("SELECT min(p.id) FROM legacy_products p WHERE NOT EXISTS (SELECT 1 FROM "
             "merchant_routes r WHERE r.legacy_seller_id = p.seller_id AND r.route = 'commerce') "
             "AND NOT EXISTS (SELECT 1 FROM legacy_fences f WHERE f.seller_id = p.seller_id)")  # fmt: skip
    product = live.one("social", query)
    if product is None:
        return
    with live.engine("social").begin() as c:
        c.exec_driver_sql(
            f"UPDATE legacy_products SET price_idr = price_idr + {n}, stock = stock + 1 "
            f"WHERE id = {int(product)}"
        )


def check_nothing_doubled(live: Live) -> None:
    twice = "SELECT {0}, count(*) FROM {1} GROUP BY {0} HAVING count(*) > 1"
    assert live.rows("commerce", twice.format("number", "orders")) == []
    assert live.rows("commerce", twice.format("ref", "ledger_entries")) == []
    assert live.rows("commerce", twice.format("slug", "merchants")) == []
    assert live.one("commerce", "SELECT count(*) FROM merchants") == len(live.sellers())
    assert live.one("social", "SELECT count(*) FROM legacy_fences") == 0
    for seller, merchant in live.rows(
        "migration", "SELECT seller_id, commerce_merchant_id FROM moves"
    ):
        for theirs, ours in (("legacy_products", "products"), ("legacy_orders", "orders")):
            legacy = live.one("social", f"SELECT count(*) FROM {theirs} WHERE seller_id = {seller}")
            moved = live.one(
                "commerce", f"SELECT count(*) FROM {ours} WHERE merchant_id = {merchant}"
            )
            assert legacy == moved, (seller, theirs, legacy, moved)
    mapped = "SELECT commerce_id, count(*) FROM id_map WHERE kind = 'product' GROUP BY commerce_id HAVING count(*) > 1"
    assert live.rows("migration", mapped) == []


def kill(live: Live, command: tuple[str, ...], spec: str) -> bool:
    """One run with a kill point; True if it was killed there."""
    done = live.migrate(*command, "--json", KJ_KILL_AT=spec)
    assert done.returncode in (0, -signal.SIGKILL), done.stdout + done.stderr + live.story()
    lapse_leases(live)
    return done.returncode == -signal.SIGKILL


def test_killed_twenty_times_over_every_phase_the_run_completes_with_nothing_doubled(
    database_url: Callable[[str], str], tmp_path: Path
) -> None:
    env = {"KERANJANG_MIGRATION_ENGINE": FACTORY, "KERANJANG_MIGRATION_ROLLBACK_WINDOW_DAYS": "0"}
    live = offline(tmp_path / "live", databases(database_url), TINY, **env)
    live.migrate_json("plan")
    force_every_seller(live, "crash drill")
    run, killed = ("run", "--pause-budget-ms", str(PAUSE_BUDGET_MS)), []
    try:
        plan = kill_plan(random.Random(2024), live.sellers())
        for n, (seller, spec) in enumerate(plan[:-2]):
            killed += [spec] if kill(live, (*run, "--only", str(seller)), spec) else []
            app_writes(live, n)
        finished = live.migrate_json(*run)
        assert finished["merchants_by_phase"].get("verified") == len(live.sellers()), live.story()
        assert live.migrate("verify").returncode == 0
        check_nothing_doubled(live)
        for _, spec in plan[-2:]:
            killed += [spec] if kill(live, ("purge",), spec) else []
        live.migrate_json("purge")
        assert live.rows("migration", "SELECT DISTINCT phase FROM moves") == [("purged",)]
        assert live.one("social", "SELECT count(*) FROM legacy_sellers") == 0
    finally:
        live.stop()
    print(f"\nkilled {len(killed)} times: {killed}")
    assert len(killed) == KILLS, killed
    phases = {k.split(":")[0] for k in killed}
    assert {"bind", "sync", "copy", "catch_up", "cutover", "purge"} <= phases, killed

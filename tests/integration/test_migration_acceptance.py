"""The migration issue's acceptance, through real services (`keranjang serve` processes) on SQLite
and PostgreSQL: a small generated marketplace, the traffic driver buying, paying, editing and
shipping while `keranjang migrate run` moves every merchant (some after their seller confirmed in
the app, the others forced by an operator with a reason). Afterwards every acknowledged write is
in commerce exactly once, every merchant verifies, stock adds up, commerce's ledger balances;
after the purge (rollback window 0) social holds no shop data and no shop buyer data."""

import time
from collections.abc import Callable
from pathlib import Path

from keranjang.demo.traffic.check import Finding
from keranjang.demo.traffic.journal import read
from tests.integration.migration_live import (
    BUYER_TABLES,
    ORDER_TABLES,
    SHOP_TABLES,
    Live,
    Marketplace,
    driver_output,
    finish,
    running,
    wait_for_traffic,
)

SERVICES = ("social", "commerce", "payments", "migration")
# The default pause budget: every run here cuts over within it, or fails.
PAUSE_BUDGET_MS = 50


def databases(database_url: Callable[[str], str]) -> dict[str, str]:
    return {name: database_url(name) for name in SERVICES}


def move_everyone(live: Live, budget_ms: int = PAUSE_BUDGET_MS) -> list[int]:
    """Plan; half the sellers confirm in the app, an operator forces the others; then run."""
    planned = live.migrate_json("plan")
    sellers = live.sellers()
    assert planned["total"] == len(sellers)
    drivers = live.drivers_sellers()
    for n, seller_id in enumerate(sellers):
        if n % 2 or seller_id in drivers:  # the driver's own shops have no generated token
            live.force(seller_id, "did not answer the seller tools' prompt: moved by the operator")
        else:
            live.consent(seller_id)
    workers = ["--workers", "2"] if live.postgres else []
    budget = ["--pause-budget-ms", str(budget_ms)]
    done = live.migrate("run", *workers, *budget, "--json", timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr + live.story()
    return sellers


def stock_adds_up(live: Live) -> list[str]:
    """For every moved product: units on the shelf plus units held by unreleased holds are the
    same in commerce as in the app at the cutover (after it, the app's rows do not change and no
    seller sets stock in commerce)."""
    held = ("SELECT p.id, p.stock + coalesce(sum(CASE WHEN h.released_at IS NULL "
            "THEN h.quantity ELSE 0 END), 0) FROM {products} p LEFT JOIN {holds} h "
            "ON h.product_id = p.id GROUP BY p.id, p.stock")  # fmt: skip
    app = dict(
        live.rows("social", held.format(products="legacy_products", holds="legacy_stock_holds"))
    )
    ours = dict(live.rows("commerce", held.format(products="products", holds="stock_holds")))
    mapped = live.rows(
        "social", "SELECT legacy_product_id, commerce_product_id FROM legacy_product_map"
    )
    assert len(mapped) == len(app)
    return [f"product {legacy}: {app[legacy]} in the app, {ours.get(moved)} in commerce"
            for legacy, moved in mapped if app[legacy] != ours.get(moved)]  # fmt: skip


def buyer_data_of(live: Live, viewers: set[int]) -> dict[str, int]:
    """Rows of the shop's buyer tables naming one of these viewers, by table."""
    found = {}
    for table in set(BUYER_TABLES) - set(ORDER_TABLES):
        ids = {r[0] for r in live.rows("social", f"SELECT viewer_id FROM {table}")}
        if ids & viewers:
            found[table] = len(ids & viewers)
    return found


def test_every_merchant_moves_under_live_traffic_and_nothing_is_lost(
    database_url: Callable[[str], str], tmp_path: Path
) -> None:
    window_closed = {"KERANJANG_MIGRATION_ROLLBACK_WINDOW_DAYS": "0"}
    with running(
        tmp_path / "live", databases(database_url), Marketplace(), **window_closed
    ) as live:
        journal = tmp_path / "traffic.jsonl"
        driver = live.traffic(journal, rate=6, seconds=25, seed=7)
        wait_for_traffic(journal, driver)
        sellers = move_everyone(live)
        assert finish(driver) == 0, driver_output(live, journal)

        found = live.check(journal)
        assert found.ok, found.problems
        assert found.checked["orders"] > 0
        routes = live.rows("social", "SELECT legacy_seller_id, route FROM merchant_routes")
        assert sorted(routes) == [(s, "commerce") for s in sellers]
        verified = live.migrate_json("verify")
        assert verified["failed"] == 0 and verified["passed"] >= len(sellers), verified
        assert stock_adds_up(live) == []
        books = live.ledger()
        assert books["balanced"] and books["debits_idr"] == books["credits_idr"] > 0, books

        buyers = {r[0] for r in live.rows("social", "SELECT DISTINCT viewer_id FROM legacy_orders")}
        purged = live.migrate_json("purge")
        assert sorted(purged["purged"]) == sellers, purged
        assert live.counts(SHOP_TABLES) == dict.fromkeys(SHOP_TABLES, 0)
        assert live.counts(ORDER_TABLES) == dict.fromkeys(ORDER_TABLES, 0)
        assert buyer_data_of(live, buyers) == {}
        assert live.one("migration", "SELECT count(*) FROM id_map") == 0
        after = live.check(journal)
        assert after.ok, after.problems


def test_a_merchant_rolled_back_under_live_traffic_sells_in_the_app_with_nothing_lost(
    database_url: Callable[[str], str], tmp_path: Path
) -> None:
    with running(tmp_path / "live", databases(database_url), Marketplace()) as live:
        journal = tmp_path / "traffic.jsonl"
        driver = live.traffic(journal, rate=6, seconds=24, seed=9)
        wait_for_traffic(journal, driver)
        seller = busiest_pinned(live)
        live.migrate_json("plan")
        moved = live.migrate_json("run", "--only", str(seller), "--force", "--reason",
                                  "moved first, for the trial", "--pause-budget-ms",
                                  str(PAUSE_BUDGET_MS))  # fmt: skip
        assert moved["merchants_by_phase"]["verified"] == 1, live.story()
        time.sleep(8)  # buyers follow the yellow carts into commerce meanwhile
        back = live.migrate_json("rollback", str(seller), "--reason", "the seller asked back")
        assert back["phase"] == "rolled_back", back
        assert finish(driver) == 0, driver_output(live, journal)

        route = "SELECT route FROM merchant_routes WHERE legacy_seller_id = :s"
        assert live.rows("social", route, s=seller) == [("legacy",)]
        found = live.check(journal)
        assert found.ok, (found.problems, when(live, found.problems))
        in_commerce = [e for e in read(journal) if e.acknowledged and e.action == "checkout"
                       and e.keys.get("side") == "commerce"]  # fmt: skip
        print(f"\n{len(in_commerce)} checkouts acknowledged in commerce went back to the app; "
              f"checked {dict(found.checked)}")  # fmt: skip
        for entry in in_commerce:
            for order in entry.keys["orders"]:
                assert live.rows("social", "SELECT count(*) FROM legacy_orders WHERE number = :n",
                                 n=order["number"]) == [(1,)]  # fmt: skip
        assert live.one("social", "SELECT count(*) FROM legacy_fences") == 0
        assert live.ledger()["balanced"]


def busiest_pinned(live: Live) -> int:
    """The generated seller with the most pinned products (the driver buys through pins)."""
    query = ("SELECT p.seller_id, count(*) FROM pins x JOIN legacy_products p "
             "ON p.id = x.legacy_product_id GROUP BY p.seller_id ORDER BY count(*) DESC, p.seller_id")  # fmt: skip
    return int(live.rows("social", query)[0][0])


def when(live: Live, problems: list[Finding]) -> list[str]:
    """For a failed check: when each missing order was placed in commerce, and when the
    rollback started and ended, from the rows."""
    numbers = [w.split()[1] for w in (p.what for p in problems) if w.startswith("order ")]
    placed = [live.rows("commerce", "SELECT number, created_at FROM orders WHERE number = :n",
                        n=n) for n in numbers]  # fmt: skip
    events = live.rows("migration", "SELECT what, at FROM events WHERE what IN "
                       "('cut_over', 'rolled_back') ORDER BY id")  # fmt: skip
    return [str(placed), str(events)]

"""A late payment through the real services (`keranjang serve` processes), on SQLite and
PostgreSQL: a buyer starts paying for an order in the app; the seller is moved (`keranjang
migrate run --only … --force`); the buyer pays on the payment simulator's page after the cutover.
Social answers the simulator's news "moved" and applies nothing; commerce's reconciliation finds
the payment at the partner under the same `LGC-…` id and pays the order once, in commerce."""

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.integration.migration_live import Marketplace, running
from tests.integration.test_migration_acceptance import PAUSE_BUDGET_MS, databases

SMALL = Marketplace(merchants=2, products=3, buyers=10, orders=30, seed=5)


def test_a_payment_started_in_the_app_and_paid_after_the_cutover_pays_once_in_commerce(
    database_url: Callable[[str], str], tmp_path: Path
) -> None:
    with running(tmp_path / "live", databases(database_url), SMALL) as live:
        seller = live.sellers()[0]
        product = live.one("social", "SELECT min(id) FROM legacy_products "
                           "WHERE seller_id = :s AND stock > 1", s=seller)  # fmt: skip
        order = live.buy_in_app(live.viewer("telat.bayar@example.com"), product)
        assert order["status"] == "awaiting_payment"
        live.migrate_json("plan")
        moved = live.migrate_json("run", "--only", str(seller), "--force", "--reason",
                                  "the seller asked by phone", "--pause-budget-ms",
                                  str(PAUSE_BUDGET_MS))  # fmt: skip
        assert moved["merchants_by_phase"]["verified"] == 1, live.story()

        paid = httpx.post(order["payment"]["redirect_url"], data={"method": "bank_transfer"},
                          headers={"accept": "text/html"}, timeout=30)  # fmt: skip
        assert paid.status_code in (200, 303), paid.text
        number = order["number"]
        status = "SELECT status FROM orders WHERE number = :n"
        deadline = time.monotonic() + 30
        while live.rows("commerce", status, n=number) != [("paid",)]:
            assert time.monotonic() < deadline, live.rows("commerce", status, n=number)
            r = live.call("commerce", "POST", "/api/admin/reconciliation")
            assert r.status_code == 200, r.text
            time.sleep(0.5)
        for _ in range(2):  # again: nothing more to do
            assert live.call("commerce", "POST", "/api/admin/reconciliation").status_code == 200

        order_id = live.one("commerce", "SELECT id FROM orders WHERE number = :n", n=number)
        entries = "SELECT count(*) FROM ledger_entries WHERE ref = :r"
        assert live.one("commerce", entries, r=f"payment:{order_id}") == 1
        assert live.rows("commerce", status, n=number) == [("paid",)]
        # The app did nothing: its copy of the order still waits, as it was at the cutover.
        legacy = "SELECT status FROM legacy_orders WHERE number = :n"
        assert live.rows("social", legacy, n=number) == [("awaiting_payment",)]
        assert live.ledger()["balanced"]

"""After every seller is moved and purged, social holds none of the shop's buyer data, not even
that of buyers who bought from nobody (addresses, profiles, checkouts with no order left): the
smallest run of the `migrate` commands that shows it (no service started), on SQLite and
PostgreSQL."""

from collections.abc import Callable
from pathlib import Path

from tests.integration.migration_live import (
    BUYER_TABLES,
    ORDER_TABLES,
    Marketplace,
    force_every_seller,
    offline,
)
from tests.integration.test_migration_acceptance import databases

BUSY = Marketplace(merchants=3, products=4, buyers=30, orders=160, seed=1)


def test_once_every_seller_is_purged_social_holds_no_shop_buyer_data(
    database_url: Callable[[str], str], tmp_path: Path
) -> None:
    window_closed = {"KERANJANG_MIGRATION_ROLLBACK_WINDOW_DAYS": "0"}
    live = offline(tmp_path / "live", databases(database_url), BUSY, **window_closed)
    try:
        live.migrate_json("plan")
        force_every_seller(live, "the last purge")
        live.migrate_json("run", "--pause-budget-ms", "1000")
        purged = live.migrate_json("purge")
        assert len(purged["purged"]) == BUSY.merchants, live.story()
        assert live.counts(ORDER_TABLES) == dict.fromkeys(ORDER_TABLES, 0)
        assert live.counts(BUYER_TABLES) == dict.fromkeys(BUYER_TABLES, 0)
    finally:
        live.stop()

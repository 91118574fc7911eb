"""The copy's pages, on SQLite and PostgreSQL. Where a batch's orders can be named (PostgreSQL),
a step's keys are listed once a slice and its pages read by key (`source.keys_after`,
`source.by_keys`): the keys listed are the rows a page at a time reads, and a listed row the
app deletes before its page is read is skipped, the step going on past it, the move verifying
(the catch-up brings the deletion)."""

from sqlalchemy import text

from keranjang.migration import source
from keranjang.migration.phases import Phase
from keranjang.migration.sync import key_of
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401

KEYED = ("products", "orders", "lines", "holds", "events", "payments", "refunds")


def test_the_keys_listed_are_the_rows_read_a_page_at_a_time(moving: Moving) -> None:
    with moving.social.connect() as c:
        sellers = [int(i) for i in c.scalars(text("SELECT id FROM legacy_sellers ORDER BY id"))]
        batch = sellers[:2]
        orders = [int(i) for i in c.scalars(
            text(f"SELECT id FROM legacy_orders WHERE seller_id IN ({batch[0]}, {batch[1]})"))]  # fmt: skip
        for step in KEYED:
            whole = source.batch(c, step, batch, (0, 1_000_000))
            keys = [key_of(step, r) for r in whole]
            assert source.keys_after(c, step, batch, 0, orders) == keys, step
            middle = keys[len(keys) // 2] if keys else 0
            assert source.keys_after(c, step, batch, middle, orders) == [
                k for k in keys if k > middle
            ], step
            assert [dict(r) for r in source.by_keys(c, step, batch, keys[:7])] == [
                dict(r) for r in whole[:7]
            ], step
        assert source.by_keys(c, "events", batch, []) == []


def test_a_row_deleted_after_its_key_was_listed_is_skipped_and_the_move_verifies(
    moving: Moving,
) -> None:
    sid, social = moving.seller_id, moving.social
    holds = [int(r[0]) for r in rows(social, "SELECT h.id FROM legacy_stock_holds h JOIN "
             f"legacy_orders o ON o.id = h.order_id WHERE o.seller_id = {sid} ORDER BY h.id")]  # fmt: skip
    batch_rows = moving.parts.pace.batch_rows
    assert len(holds) > batch_rows + 1  # the holds take more than one page
    doomed = [holds[batch_rows + 1], holds[-1]]  # one inside the second page, the very last
    deleted: list[int] = []

    def checkpoint(where: str) -> None:
        if where == "copy:holds:applied" and not deleted:  # the first page is in commerce
            with social.begin() as c:
                c.execute(
                    text(f"DELETE FROM legacy_stock_holds WHERE id IN ({doomed[0]}, {doomed[1]})")
                )
            deleted.extend(doomed)

    moving.parts.checkpoint = checkpoint
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

    assert deleted == doomed
    merchant = moving.move().commerce_merchant_id
    moved = one(moving.commerce, "SELECT count(*) FROM stock_holds h JOIN orders o ON o.id = "
                f"h.order_id WHERE o.merchant_id = {merchant}")  # fmt: skip
    assert moved == len(holds) - 2
    assert moving.move().rows_verified == moving.move().rows_total > 0

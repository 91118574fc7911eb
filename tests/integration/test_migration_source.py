"""What the engine reads of one seller in a single statement (the verification's key sets, the
move's row total) is each step's rows of that seller and no other's, on SQLite and PostgreSQL:
the statements were merged to cut a merchant's round trips (bench/README.md, the migration),
and a merged statement must not let another merchant's rows in (vitess#16305's false
positive)."""

from sqlalchemy import text

from keranjang.infra.clock import FixedClock
from keranjang.migration import source, source_books
from keranjang.migration.sync import key_of
from keranjang.social.legacy_shop.generator import seeding
from keranjang.social.legacy_shop.generator.plan import Size
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401

SIZE = Size(merchants=4, products_per_merchant=4, buyers=30, orders=160, seed=3)
PER_SELLER = ("products", "orders", "lines", "holds", "events", "payments", "refunds")


def test_a_sellers_keys_and_total_are_its_own_rows_step_by_step(
    legacy: Legacy, clock: FixedClock
) -> None:
    request = seeding.SeedRequest(
        SIZE, b"migration-test-key-0123456789abc", clock.now(), batch_orders=100
    )
    seeding.seed(legacy.engine, request, lambda _n: None)
    with legacy.engine.connect() as c:
        sellers = [int(i) for i in c.scalars(text("SELECT id FROM legacy_sellers ORDER BY id"))]
        seen: dict[str, set[int]] = {step: set() for step in source.STEPS}
        for seller_id in sellers:
            merged = source.step_keys(c, seller_id)
            for step in source.STEPS:
                alone = source.batch(c, step, seller_id, (0, 1_000_000))
                assert merged[step] == {key_of(step, r) for r in alone}, step
            for step in PER_SELLER:  # not buyers: a buyer may buy from two sellers
                assert not merged[step] & seen[step], f"{step} of two sellers"
                seen[step] |= merged[step]
            account = source_books.payout_account(c, seller_id) is not None
            expected = 1 + account + sum(len(keys) for keys in merged.values())
            assert source.rows_total(c, seller_id) == expected
    assert len(sellers) == SIZE.merchants
    assert all(seen[step] for step in ("products", "orders", "lines", "payments"))

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


def seeded(legacy: Legacy, clock: FixedClock) -> None:
    """The generated marketplace in the app."""
    request = seeding.SeedRequest(
        SIZE, b"migration-test-key-0123456789abc", clock.now(), batch_orders=100
    )
    seeding.seed(legacy.engine, request, lambda _n: None)


def test_a_sellers_keys_and_total_are_its_own_rows_step_by_step(
    legacy: Legacy, clock: FixedClock
) -> None:
    seeded(legacy, clock)
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


def test_each_sellers_escrow_is_what_its_open_orders_hold_in_the_apps_books(
    legacy: Legacy, clock: FixedClock
) -> None:
    """`escrow_of` (its postings' orders looked up by key) against the books joined plainly."""
    seeded(legacy, clock)
    joined = text(
        "SELECT p.seller_id, o.id, o.number, -sum(p.amount_idr) FROM legacy_ledger_postings p "
        "JOIN legacy_ledger_entries e ON e.id = p.entry_id JOIN legacy_orders o ON o.id = "
        "e.order_id WHERE p.account = 'escrow' GROUP BY p.seller_id, o.id, o.number "
        "HAVING sum(p.amount_idr) != 0 ORDER BY o.id"
    )
    with legacy.engine.connect() as c:
        sellers = [int(i) for i in c.scalars(text("SELECT id FROM legacy_sellers ORDER BY id"))]
        expected: dict[int, list[tuple[int, str, int]]] = {}
        for seller, order_id, number, amount in c.execute(joined):
            expected.setdefault(int(seller), []).append((int(order_id), number, int(amount)))
        assert source_books.escrow_of(c, sellers) == expected
        assert source_books.escrow_of(c, sellers[1:2]) == {
            s: v for s, v in expected.items() if s == sellers[1]
        }
    assert sum(len(v) for v in expected.values()) >= 3  # open paid orders hold escrow

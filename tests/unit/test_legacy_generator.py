"""The legacy marketplace generator's rows, without a database: the same seed gives the same
rows, sales follow a heavy tail, and every row fits its table."""

from collections import Counter
from datetime import UTC, datetime

from keranjang.social.legacy_shop.generator import orders, people, shops
from keranjang.social.legacy_shop.generator.plan import TABLES, Plan, Size, seller_weights
from keranjang.social.legacy_shop.generator.seeding import COLUMNS
from keranjang.social.legacy_shop.generator.shops import Row
from keranjang.social.legacy_shop.generator.writer import table

NOW = datetime(2024, 3, 27, 9, 0, tzinfo=UTC)
KEY = b"unit-test-key-unit-test-key-0000"


def generate(size: Size, batch: int = 1_000) -> dict[str, list[Row]]:
    plan = Plan(size, NOW, KEY)
    out: dict[str, list[Row]] = {name: [] for name in TABLES}
    catalog = shops.sellers(plan, out)
    shops.products(plan, catalog, out["legacy_products"])
    buyers = people.viewers(plan, out)
    weights = seller_weights(plan)
    pinned = people.creators(plan, catalog, weights, out)
    people.carts(plan, catalog, buyers, out["legacy_cart_lines"])
    for rows in orders.batches(orders.World(plan, catalog, buyers, pinned, weights), batch):
        for name, part in rows.items():
            out[name] += part
    return out


def test_the_same_seed_gives_the_same_rows_whatever_the_batch_size() -> None:
    size = Size(merchants=40, products_per_merchant=6, buyers=120, orders=900, seed=11)
    first, second = generate(size, batch=1_000), generate(size, batch=37)
    assert first == second
    assert generate(Size(40, 6, 120, 900, seed=12)) != first


def test_a_tenth_of_the_sellers_hold_most_of_the_sales() -> None:
    rows = generate(Size(merchants=200, products_per_merchant=4, buyers=400, orders=4_000))
    sales = Counter[int]()
    for order in rows["legacy_orders"]:
        sales[int(order[3])] += int(order[8])  # type: ignore[call-overload]
    top = sum(amount for _, amount in sales.most_common(20))
    assert top > 0.5 * sum(sales.values()), f"top 10% of sellers: {top / sum(sales.values()):.0%}"
    assert len(sales) > 60, "the long tail sells too"


def test_every_order_state_is_generated() -> None:
    rows = generate(Size(merchants=30, products_per_merchant=5, buyers=100, orders=1_500))
    states = {order[5] for order in rows["legacy_orders"]}
    assert states == {
        "awaiting_payment", "paid", "shipped", "delivered", "completed", "cancelled", "expired",
        "refunded",
    }  # fmt: skip


def test_every_generated_row_fits_its_table() -> None:
    rows = generate(Size(merchants=10, products_per_merchant=3, buyers=30, orders=200))
    for name in TABLES:
        assert set(COLUMNS[name]) == set(table(name).c.keys()), name
        assert rows[name], f"nothing generated for {name}"
        assert all(len(row) == len(COLUMNS[name]) for row in rows[name]), name

"""A generated old marketplace, on SQLite and PostgreSQL, as the legacy shop's own rules and use
cases see it: totals, stock holds, events, payments and escrow entries add up; a seller's
balance from the shop's service matches its orders; the seller tools list its orders; an unpaid
generated order can still be paid and a buyer can buy a generated product; and the command
line prints its rates and refuses to generate twice into one database."""

import itertools
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from keranjang.cli import app as cli
from keranjang.infra.clock import FixedClock
from keranjang.payments import PaymentMethod
from keranjang.social.legacy_shop import db, domain
from keranjang.social.legacy_shop.generator import seeding, tokens
from keranjang.social.legacy_shop.generator.plan import Size
from tests.integration.conftest import bearer
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401

KEY = b"integration-test-key-0123456789a"
SIZE = Size(merchants=25, products_per_merchant=5, buyers=80, orders=700, seed=5)
MONEY_IN = ("paid", "shipped", "delivered", "completed")


def generate(engine: Engine, clock: FixedClock) -> seeding.Report:
    request = seeding.SeedRequest(SIZE, KEY, clock.now(), batch_orders=250)
    return seeding.seed(engine, request, lambda _n: None)


def rows(engine: Engine, query: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(query)))


def test_orders_add_up_and_every_transition_has_its_event(
    legacy: Legacy, clock: FixedClock
) -> None:
    engine = legacy.engine
    generate(engine, clock)
    lines: dict[int, int] = defaultdict(int)
    for order_id, amount in rows(
        engine, "SELECT order_id, unit_price_idr * quantity FROM legacy_order_lines"
    ):
        lines[order_id] += amount
    events: dict[int, list[tuple[str | None, str]]] = defaultdict(list)
    for order_id, before, after in rows(
        engine, "SELECT order_id, from_status, to_status FROM legacy_order_events ORDER BY at, id"
    ):
        events[order_id].append((before, after))
    orders = rows(
        engine, "SELECT id, status, subtotal_idr, shipping_idr, total_idr FROM legacy_orders"
    )
    assert len(orders) == SIZE.orders
    for order_id, status, subtotal, shipping, total in orders:
        assert subtotal == lines[order_id] and total == subtotal + shipping, order_id
        chain = events[order_id]
        assert chain[0] == (None, "awaiting_payment") and chain[-1][1] == status, chain
        for (_, reached), (before, after) in itertools.pairwise(chain):
            assert before == reached
            domain.check_transition(domain.OrderStatus(before), domain.OrderStatus(after))


def test_holds_follow_the_lines_and_go_back_only_for_orders_ended_unshipped(
    legacy: Legacy, clock: FixedClock
) -> None:
    engine = legacy.engine
    generate(engine, clock)
    holds = rows(
        engine,
        "SELECT o.status, h.released_at IS NOT NULL, h.expires_at, o.hold_expires_at "
        "FROM legacy_stock_holds h JOIN legacy_orders o ON o.id = h.order_id",
    )
    for status, released, expires, hold in holds:
        assert released == (status in ("cancelled", "expired"))
        assert expires == hold
    unmatched = rows(
        engine,
        "SELECT l.id FROM legacy_order_lines l LEFT JOIN legacy_stock_holds h "
        "ON h.order_id = l.order_id AND h.product_id = l.product_id AND h.quantity = l.quantity "
        "WHERE h.id IS NULL",
    )
    assert unmatched == []
    assert rows(engine, "SELECT count(*) FROM legacy_products WHERE stock < 0") == [(0,)]
    with engine.connect() as connection:
        live = (
            connection.execute(
                select(db.OrderRow.hold_expires_at).where(db.OrderRow.status == "awaiting_payment")
            )
            .scalars()
            .all()
        )
    assert live and all(hold > clock.now() for hold in live)


def test_every_paid_order_has_its_payment_and_balanced_entries(
    legacy: Legacy, clock: FixedClock
) -> None:
    engine = legacy.engine
    generate(engine, clock)
    assert (
        rows(
            engine,
            "SELECT e.name FROM legacy_ledger_entries e JOIN legacy_ledger_postings p "
            "ON p.entry_id = e.id GROUP BY e.name HAVING sum(p.amount_idr) <> 0",
        )
        == []
    )
    entries = {name for (name,) in rows(engine, "SELECT name FROM legacy_ledger_entries")}
    payments = {
        (order_id, pid): status
        for order_id, pid, status in rows(
            engine, "SELECT order_id, partner_order_id, status FROM legacy_payments"
        )
    }
    refunds = {
        o for (o,) in rows(engine, "SELECT order_id FROM legacy_refunds WHERE status = 'succeeded'")
    }
    for order_id, status, paid_by in rows(engine, "SELECT id, status, paid_by FROM legacy_orders"):
        paid = status in MONEY_IN or status == "refunded" or paid_by is not None
        assert (f"payment:{order_id}" in entries) == paid, (order_id, status)
        if paid:
            assert payments[(order_id, paid_by)] in ("paid", "refunded")
        assert (f"completion:{order_id}" in entries) == (
            status == "completed" or (status == "refunded" and f"completion:{order_id}" in entries)
        )
        returned = status == "refunded" or (status == "cancelled" and paid_by is not None)
        assert (f"refund:{order_id}" in entries) == returned == (order_id in refunds)
    sellers = rows(engine, "SELECT count(*) FROM legacy_sellers")[0][0]
    routes = rows(engine, "SELECT count(*) FROM merchant_routes WHERE route = 'legacy'")[0][0]
    assert sellers == routes == SIZE.merchants


def test_the_shops_own_services_read_the_generated_books(legacy: Legacy, clock: FixedClock) -> None:
    """The busiest seller's balance, as the shop's service reads it from the journal, is what
    its orders say: escrow holds the paid orders not yet completed; payable is each completed
    order's total less the platform's 5% of the goods and the creators' commissions."""
    generate(legacy.engine, clock)
    (seller_id, busiest), *_ = rows(
        legacy.engine,
        "SELECT seller_id, count(*) FROM legacy_orders GROUP BY seller_id ORDER BY 2 DESC, 1",
    )
    goods: dict[int, int] = defaultdict(int)
    cuts: dict[int, int] = defaultdict(int)
    for order_id, amount, commission_bp in rows(
        legacy.engine,
        "SELECT l.order_id, l.unit_price_idr * l.quantity, l.commission_bp FROM legacy_order_lines l "
        f"JOIN legacy_orders o ON o.id = l.order_id WHERE o.seller_id = {seller_id}",
    ):
        goods[order_id] += amount
        cuts[order_id] += amount * commission_bp // 10_000
    escrow = payable = 0
    for order_id, status, total in rows(
        legacy.engine,
        f"SELECT id, status, total_idr FROM legacy_orders WHERE seller_id = {seller_id}",
    ):
        escrow += total if status in ("paid", "shipped", "delivered") else 0
        if status == "completed":
            payable += total - goods[order_id] * 500 // 10_000 - cuts[order_id]
    balance = legacy.shop.selling.balance(seller_id)
    assert (balance.escrow_idr, balance.payable_idr) == (escrow, payable)
    assert payable > 0
    listed = legacy.shop.selling.orders(seller_id)
    assert len(listed) == min(busiest, 200)
    token = tokens.seller_token(KEY, seller_id)
    r = legacy.social.get("/legacy/api/seller/orders", headers=bearer({"token": token}))
    assert r.status_code == 200 and len(r.json()) == len(listed), r.text


def test_an_unpaid_generated_order_can_still_be_paid(legacy: Legacy, clock: FixedClock) -> None:
    generate(legacy.engine, clock)
    order_id, viewer_id, seller_id, total = rows(
        legacy.engine,
        "SELECT o.id, o.viewer_id, o.seller_id, o.total_idr FROM legacy_orders o "
        "WHERE o.status = 'awaiting_payment' AND NOT EXISTS "
        "(SELECT 1 FROM legacy_payments p WHERE p.order_id = o.id) ORDER BY o.id",
    )[0]
    before = legacy.shop.selling.balance(seller_id).escrow_idr
    payment = legacy.shop.paying.start(viewer_id, order_id, PaymentMethod.VIRTUAL_ACCOUNT)
    legacy.pay({"payment": {"redirect_url": payment.redirect_url}})
    assert legacy.shop.buying.order(viewer_id, order_id).status is domain.OrderStatus.PAID
    assert legacy.shop.selling.balance(seller_id).escrow_idr == before + total


def test_a_buyer_buys_a_generated_product(legacy: Legacy, clock: FixedClock) -> None:
    generate(legacy.engine, clock)
    (product_id,) = rows(legacy.engine, "SELECT min(id) FROM legacy_products WHERE stock > 2")[0]
    viewer = legacy.viewer("pembeli.baru@example.com")
    order = legacy.buy(viewer, {"id": product_id})
    legacy.pay(order)
    assert legacy.order(viewer, order["id"])["status"] == "paid"
    email = rows(legacy.engine, "SELECT email FROM viewers ORDER BY id")[0][0]
    r = legacy.social.post(
        "/api/viewers/sessions", json={"email": email, "password": tokens.viewer_password(KEY)}
    )
    assert r.status_code == 201, r.text


def test_the_command_prints_rates_and_refuses_a_second_marketplace(
    legacy: Legacy, tmp_path: Any
) -> None:
    url = legacy.engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    args = ["legacy", "seed", "--merchants", "6", "--products-per-merchant", "3"]
    args += ["--buyers", "10", "--orders", "40", "--database-url", url, "--data-dir", str(tmp_path)]
    runner = CliRunner()
    first = runner.invoke(cli, args, env={"COLUMNS": "160"})
    assert first.exit_code == 0, first.output
    assert "rows/s" in first.output and "legacy_orders" in first.output
    again = runner.invoke(cli, args, env={"COLUMNS": "160"})
    assert again.exit_code == 1
    assert "already holds 6 legacy sellers" in again.output and "--append" in again.output
    more = runner.invoke(cli, [*args, "--append"], env={"COLUMNS": "160"})
    assert more.exit_code == 0, more.output
    assert rows(legacy.engine, "SELECT count(*), count(DISTINCT slug) FROM legacy_sellers") == [
        (12, 12)
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_runs_of_one_seed_write_the_same_rows(database_url: Any, clock: FixedClock) -> None:
    from keranjang.infra.database import make_engine

    dumps = []
    for name in ("first", "second"):
        engine = make_engine(database_url(name))
        seeding.migrate(engine)
        generate(engine, clock)
        dumps.append({t: rows(engine, f"SELECT * FROM {t} ORDER BY 1") for t in seeding.COLUMNS})
        engine.dispose()
    assert dumps[0] == dumps[1]

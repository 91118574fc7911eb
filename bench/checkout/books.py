"""The books at the end: orders, stock, holds and payments in commerce's database, and the
partner's transactions in the simulator's, against what the buyers were answered."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench.checkout.shop import Shop, Tally
from bench.checkout.system import System
from bench.kit.postgres import conninfo


def _commerce_books(url: str, shop: Shop) -> tuple[dict[str, int], set[str]]:
    """Commerce's figures, and its order numbers."""
    import psycopg

    with psycopg.connect(conninfo(url)) as conn:

        def one(query: str, *params: Any) -> int:
            row = conn.execute(query, params).fetchone()
            return int(row[0] or 0) if row else 0

        books = {
            "orders": one("SELECT count(*) FROM orders"),
            "units_ordered": one("SELECT sum(quantity) FROM order_lines"),
            "stock_taken": shop.initial_stock
            - one("SELECT sum(stock) FROM products WHERE id = ANY(%s)", shop.products),
            "units_held": one("SELECT sum(quantity) FROM stock_holds WHERE released_at IS NULL"),
            "payments": one("SELECT count(*) FROM payments"),
            "orders_without_payment": one(
                "SELECT count(*) FROM orders o WHERE NOT EXISTS "
                "(SELECT 1 FROM payments p WHERE p.order_id = o.id)"
            ),
        }
        numbers = {n for (n,) in conn.execute("SELECT number FROM orders")}
    return books, numbers


def _partner_orders(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(conninfo(url)) as conn:
        return {n for (n,) in conn.execute("SELECT order_id FROM transactions")}


def check_books(system: System, shop: Shop, tally: Tally) -> dict[str, Any]:
    """Each check, and whether all of them hold."""
    books, numbers = _commerce_books(system.db_urls["commerce"], shop)
    books["orders_unknown_to_partner"] = len(numbers - _partner_orders(system.db_urls["payments"]))
    checks = {
        "orders == orders answered": books["orders"] == tally.orders,
        "orders == completed checkouts": books["orders"] == tally.checkouts,
        "stock taken == units ordered == units answered": books["stock_taken"]
        == books["units_ordered"]
        == tally.units,
        "units held == units ordered": books["units_held"] == books["units_ordered"],
        "payments == orders": books["payments"] == books["orders"] == tally.payments,
        "every order has a payment": books["orders_without_payment"] == 0,
        "every order is known to the partner": books["orders_unknown_to_partner"] == 0,
    }
    return {
        "answered": asdict(tally),
        "books": books,
        "checks": checks,
        "ok": all(checks.values()),
    }

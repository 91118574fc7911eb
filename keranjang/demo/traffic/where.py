"""Where a journaled write lives now, read from the databases, read-only. The checker is a test
tool: it reads social's and commerce's tables through SQLAlchemy `text()` and imports no part of
Keranjang, so it checks what is stored, not what the code believes it stored.

A merchant lives where social's routing table says (`merchant_routes`; a seller with no row is
still in the app). A legacy order keeps its number (`LGC-…`) when it moves into commerce; a legacy
product moved is found through social's `legacy_product_map`."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text


@dataclass(frozen=True)
class Databases:
    social_url: str
    commerce_url: str


@dataclass(frozen=True)
class Stored:
    """An order as stored: where, its id, merchant, status, total and lines."""

    side: str
    id: int
    merchant: int
    status: str
    total_idr: int
    created_at: Any
    lines: list[tuple[int, int, int]]  # product id, quantity, unit price


@dataclass
class Place:
    social: Connection
    commerce: Connection
    routes: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    product_map: dict[int, int] = field(default_factory=dict)

    def load(self) -> "Place":
        rows = self.social.execute(
            text("SELECT legacy_seller_id, route, commerce_merchant_id FROM merchant_routes")
        )
        self.routes = {r[0]: (r[1], r[2]) for r in rows}
        mapped = self.social.execute(
            text("SELECT legacy_product_id, commerce_product_id FROM legacy_product_map")
        )
        self.product_map = {r[0]: r[1] for r in mapped}
        return self

    def route(self, merchant: int) -> str:
        return self.routes.get(merchant, ("legacy", None))[0]

    def commerce_merchant(self, merchant: int) -> int | None:
        return self.routes.get(merchant, ("legacy", None))[1]

    def orders(self, number: str, side: str) -> list[Stored]:
        """Every stored order with this number on one side (0 is missing, 2 doubled)."""
        if side == "legacy":
            query = text(
                "SELECT id, seller_id, status, total_idr, created_at FROM legacy_orders "
                "WHERE number = :n"
            )
            lines = "SELECT product_id, quantity, unit_price_idr FROM legacy_order_lines WHERE order_id = :o"
        else:
            query = text(
                "SELECT id, merchant_id, status, total_idr, created_at FROM orders WHERE number = :n"
            )
            lines = (
                "SELECT product_id, quantity, unit_price_idr FROM order_lines WHERE order_id = :o"
            )
        db = self.social if side == "legacy" else self.commerce
        found = []
        for row in db.execute(query, {"n": number}):
            got = [(r[0], r[1], r[2]) for r in db.execute(text(lines), {"o": row[0]})]
            found.append(Stored(side, row[0], row[1], row[2], row[3], row[4], sorted(got)))
        return found

    def copies(self, stored: Stored) -> int:
        """Commerce orders of the same merchant with the same total placed at the same moment:
        an order the move copied twice under two numbers."""
        query = text(
            "SELECT count(*) FROM orders WHERE merchant_id = :m AND total_idr = :t "
            "AND created_at = :c"
        )
        params = {"m": stored.merchant, "t": stored.total_idr, "c": stored.created_at}
        return int(self.commerce.execute(query, params).scalar() or 0)

    def orders_of_checkout(self, checkout_id: int) -> int:
        query = text("SELECT count(*) FROM legacy_orders WHERE checkout_id = :c")
        return int(self.social.execute(query, {"c": checkout_id}).scalar() or 0)

    def product(self, legacy_product: int, seller: int) -> tuple[str, int, int, int] | None:
        """(side, id, price, stock) of a legacy product where its seller lives now."""
        if self.route(seller) == "legacy":
            row = self.social.execute(
                text("SELECT id, price_idr, stock FROM legacy_products WHERE id = :p"),
                {"p": legacy_product},
            ).first()
            return None if row is None else ("legacy", row[0], row[1], row[2])
        moved = self.product_map.get(legacy_product)
        if moved is None:
            return None
        row = self.commerce.execute(
            text("SELECT id, price_idr, stock FROM products WHERE id = :p"), {"p": moved}
        ).first()
        return None if row is None else ("commerce", row[0], row[1], row[2])

    def exists(self, table: str, row_id: int) -> bool:
        assert table in {"content", "pins"}
        query = text(f"SELECT count(*) FROM {table} WHERE id = :i")  # noqa: S608 (table checked above)
        return bool(self.social.execute(query, {"i": row_id}).scalar())


def read_only_engine(url: str) -> Engine:
    """An engine that cannot write: SQLite opened with mode=ro, PostgreSQL sessions read-only."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})


@contextmanager
def opened(databases: Databases) -> Iterator[Place]:
    social, commerce = (read_only_engine(u) for u in (databases.social_url, databases.commerce_url))
    try:
        with social.connect() as s, commerce.connect() as c:
            yield Place(s, c).load()
    finally:
        social.dispose()
        commerce.dispose()

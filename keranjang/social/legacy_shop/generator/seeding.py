"""A generated marketplace into social's database, in one transaction: all of it or none.

The ids start after the largest of each table, so generated rows never take an id a real row
has (a demo's creators, a viewer who signed up). A database that already holds legacy sellers
is refused unless the caller asks to append: a second marketplace on top of a first one is a
choice, never an accident."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select, text

from keranjang.infra import schema
from keranjang.social import db as promotion
from keranjang.social.legacy_shop import changes, db
from keranjang.social.legacy_shop.generator import orders, people, shops
from keranjang.social.legacy_shop.generator.plan import (
    ID_TABLES,
    TABLES,
    Plan,
    Size,
    seller_weights,
)
from keranjang.social.legacy_shop.generator.shops import Row
from keranjang.social.legacy_shop.generator.writer import (
    Behind,
    TableStats,
    Writer,
    next_ids,
    open_writer,
)

COLUMNS = shops.COLUMNS | people.COLUMNS | orders.COLUMNS | orders.money.COLUMNS
# Any number: the key of the PostgreSQL advisory lock two generators take in turn.
LOCK_KEY = 0x4C474353  # "LGCS"


class AlreadySeeded(Exception):
    """The database holds legacy sellers already, and appending was not asked for."""


@dataclass(frozen=True)
class SeedRequest:
    size: Size
    key: bytes  # the secret the generated tokens and password derive from (`tokens`)
    now: datetime
    append: bool = False
    batch_orders: int = 20_000


@dataclass(frozen=True)
class Report:
    tables: dict[str, TableStats]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.tables.values())


def steps(size: Size) -> int:
    """Units of progress: one per seller, buyer, creator and order."""
    return size.merchants + size.buyers + size.creators + size.orders


def migrate(engine: Engine) -> None:
    schema.upgrade(promotion.MIGRATIONS, engine)


def seed(engine: Engine, request: SeedRequest, progress: Callable[[int], None]) -> Report:
    started = time.perf_counter()
    with engine.begin() as connection:
        _refuse_a_second_marketplace(connection, request.append)
        plan = Plan(request.size.check(), request.now, request.key, next_ids(connection, ID_TABLES))
        # Every generated row is a new seller's, whose move cannot have started: the change
        # log would only hold (and slow down) what any later copy reads anyway.
        with changes.capture_paused(connection), Behind(open_writer(connection)) as writer:
            _generate(plan, writer, progress, request.batch_orders)
            writer.finish(ID_TABLES)
    _analyze(engine)
    return Report(writer.tally.tables, time.perf_counter() - started)


def _analyze(engine: Engine) -> None:
    """The planner's statistics of the tables just filled. Without them PostgreSQL plans the
    next statements (the migration's reads, the shop's) for the empty tables it last saw:
    at 100,000 merchants, a giant's buyers were read in 2 s a batch instead of 0.1 s
    (bench/README.md). On PostgreSQL a VACUUM too, which marks the new pages all-visible so
    reads by index need not visit the table (500 sellers' order events counted in 37 ms, not
    66). Autovacuum would get there on its own, some minutes later."""
    postgresql = engine.dialect.name == "postgresql"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in TABLES:  # names of our own tables
            connection.execute(
                text(f"VACUUM (ANALYZE) {table}" if postgresql else f"ANALYZE {table}")
            )


def _refuse_a_second_marketplace(connection: Connection, append: bool) -> None:
    if connection.dialect.name == "postgresql":  # two generators at once: one waits
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    sellers = connection.execute(select(func.count()).select_from(db.SellerRow)).scalar() or 0
    if sellers and not append:
        raise AlreadySeeded(
            f"this database already holds {sellers} legacy sellers: generating again would "
            "mix two marketplaces. Use a fresh database, or pass --append to add another "
            "marketplace after them (new ids, the same seed's shapes)."
        )


def _generate(plan: Plan, writer: Writer, progress: Callable[[int], None], batch: int) -> None:
    out: dict[str, list[Row]] = {name: [] for name in TABLES}
    catalog = shops.sellers(plan, out)
    progress(plan.size.merchants)
    shops.products(plan, catalog, out["legacy_products"])
    _flush(writer, out)
    buyers = people.viewers(plan, out)
    progress(plan.size.buyers)
    _flush(writer, out)
    weights = seller_weights(plan)
    pinned = people.creators(plan, catalog, weights, out)
    people.carts(plan, catalog, buyers, out["legacy_cart_lines"])
    progress(plan.size.creators)
    _flush(writer, out)
    world = orders.World(plan, catalog, buyers, pinned, weights)
    for rows in orders.batches(world, batch):
        made = len(rows["legacy_orders"])
        _flush(writer, rows)
        progress(made)


def _flush(writer: Writer, out: dict[str, list[Row]]) -> None:
    """Hand what is ready to the writer, parents before children, and start afresh."""
    for name in TABLES:
        rows = out.get(name)
        if rows:
            writer.write(name, COLUMNS[name], rows)
            out[name] = []

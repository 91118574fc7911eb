"""Writing generated rows in bulk, in the caller's one transaction: COPY on PostgreSQL (psycopg
3's `cursor.copy`, fed from a queue so that Python builds the next rows while a psycopg thread
sends the last ones), executemany on SQLite (through SQLAlchemy's Core insert, which converts
UTC datetimes the way the tables' `UtcDateTime` stores them). Ids come with the rows; on
PostgreSQL the tables' sequences are moved past them afterwards."""

import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

from psycopg import Connection as PgConnection
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, Table, func, select

from keranjang.social.db import Base
from keranjang.social.legacy_shop import db as shop_tables
from keranjang.social.legacy_shop.generator.shops import Row
from keranjang.social.viewers import db as viewer_tables


@dataclass
class TableStats:
    rows: int = 0
    seconds: float = 0.0


@dataclass
class Tally:
    """Rows written and time spent writing them, per table."""

    tables: dict[str, TableStats] = field(default_factory=dict)

    def add(self, table: str, rows: int, seconds: float) -> None:
        stats = self.tables.setdefault(table, TableStats())
        stats.rows += rows
        stats.seconds += seconds

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.tables.values())


class Writer(Protocol):
    tally: Tally

    def write(self, table: str, columns: tuple[str, ...], rows: list[Row]) -> None: ...

    def finish(self, id_tables: Iterable[str]) -> None: ...


def table(name: str) -> Table:
    """One of social's tables (promotion's, the viewers' or the shop's, all on one metadata)."""
    assert shop_tables.Base is viewer_tables.Base is Base
    return Base.metadata.tables[name]


class CopyWriter:
    """PostgreSQL: one COPY per table and batch."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        driver = connection.connection.driver_connection
        assert isinstance(driver, PgConnection)
        self.driver: PgConnection[object] = driver
        self.tally = Tally()

    def write(self, table_name: str, columns: tuple[str, ...], rows: list[Row]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table_name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with (
            self.driver.cursor() as cursor,
            cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        self.tally.add(table_name, len(rows), time.perf_counter() - started)

    def finish(self, id_tables: Iterable[str]) -> None:
        """The tables' sequences start after the ids the generator assigned."""
        for name in id_tables:
            sequence = func.pg_get_serial_sequence(name, "id")
            self.connection.execute(select(func.setval(sequence, func.max(table(name).c.id))))


class ManyWriter:
    """SQLite (and any other database): executemany of one insert per table and batch."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.tally = Tally()

    def write(self, table_name: str, columns: tuple[str, ...], rows: list[Row]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        params = [dict(zip(columns, row, strict=True)) for row in rows]
        self.connection.execute(table(table_name).insert(), params)
        self.tally.add(table_name, len(rows), time.perf_counter() - started)

    def finish(self, id_tables: Iterable[str]) -> None:
        """SQLite's INTEGER PRIMARY KEY goes on from the largest id by itself."""


def open_writer(connection: Connection) -> Writer:
    if connection.dialect.name == "postgresql":
        return CopyWriter(connection)
    return ManyWriter(connection)


class Behind:
    """Another writer's writes on one background thread, in order, while the caller builds the
    next rows: Python generating and the database ingesting then use both cores. At most
    `depth` writes wait (so rows never pile up in memory); a write's error comes back to the
    caller at its next write or at `finish`."""

    def __init__(self, writer: Writer, depth: int = 24) -> None:
        self.writer = writer
        self.tally = writer.tally
        self.depth = depth
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="legacy-seed-writer")
        self.pending: deque[Future[None]] = deque()

    def write(self, table_name: str, columns: tuple[str, ...], rows: list[Row]) -> None:
        self.pending.append(self.pool.submit(self.writer.write, table_name, columns, rows))
        while len(self.pending) > self.depth:
            self.pending.popleft().result()

    def finish(self, id_tables: Iterable[str]) -> None:
        while self.pending:
            self.pending.popleft().result()
        self.writer.finish(id_tables)

    def __enter__(self) -> "Behind":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop before the transaction ends: nothing may write on a connection rolling back."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def next_ids(connection: Connection, id_tables: Iterable[str]) -> dict[str, int]:
    """The first free id of each table (after the largest taken)."""
    return {
        name: (connection.execute(select(func.max(table(name).c.id))).scalar() or 0) + 1
        for name in id_tables
    }

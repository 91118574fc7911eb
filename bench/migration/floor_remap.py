"""The floor's third measure: every seller's rows from social into commerce's real tables (their
indexes, unique keys and foreign keys as commerce's own migrations make them), with the Python
per row any engine must run here: the ids remapped through dicts (`floor_steps`), ids reserved
from commerce's sequences in blocks, and the id map written to a third database (a plain table
with the journal's `id_map` columns and indexes) as the rows go, as the engine's journal must
keep it for the catch-up and the way back.

Three streams at once per step: a server-side cursor on social (one REPEATABLE READ snapshot
for every step), COPY into commerce, COPY into the id map; one commerce and one map
transaction per step. No batching per merchant, no journal transaction per phase: the shape of
a bulk copy of the whole marketplace at once.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.kit.postgres import conninfo
from bench.migration.floor_backends import backends
from bench.migration.floor_steps import STEPS, Step

FETCH = 10_000  # rows per fetch of social's cursor, and ids per reservation
ID_MAP = "floor_id_map"
ID_MAP_DDL = (
    f"CREATE TABLE IF NOT EXISTS {ID_MAP} (id bigserial PRIMARY KEY, seller_id bigint NOT NULL, "
    "kind varchar(30) NOT NULL, legacy_id bigint NOT NULL, commerce_id bigint NOT NULL, "
    "CONSTRAINT uq_floor_id_map_legacy UNIQUE (kind, legacy_id))",
    f"CREATE INDEX IF NOT EXISTS ix_floor_id_map_seller ON {ID_MAP} (seller_id)",
)


def reserved(conn: Any, table: str) -> Iterator[int]:
    """Ids of commerce's own sequence for `table`, reserved a block at a time (nobody else can
    be handed them, as in `keranjang.migration.target.reserve`); blocks grow from 1,000 to
    FETCH, so a short step does not take ten thousand ids it leaves unused."""
    query = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"
    block = 1_000
    while True:
        yield from sorted(int(i) for (i,) in conn.execute(query, (table, block)).fetchall())
        block = min(FETCH, block * 2)


@contextlib.contextmanager
def id_map_writer(journal: Any | None) -> Iterator[Any]:
    """COPY into the id map, in a transaction of its own; None when the map is not kept."""
    if journal is None:
        yield None
        return
    columns = "seller_id, kind, legacy_id, commerce_id"
    with (
        journal.transaction(),
        journal.cursor() as cursor,
        cursor.copy(f"COPY {ID_MAP} ({columns}) FROM STDIN") as kept,
    ):
        yield kept


def copy_step(streams: tuple[Any, Any, Any | None], step: Step, ids: Iterator[int],
              maps: dict[str, dict[int, int]]) -> int:  # fmt: skip
    """One step's rows, converted and written as they are read (the id map too, given a
    journal connection); answers how many."""
    social, commerce, journal = streams
    found = maps.setdefault(step.kind, {})
    columns = ", ".join(("id", *step.columns))
    rows = 0
    with (
        social.cursor(name=f"floor_{step.kind}") as read,
        commerce.transaction(),
        commerce.cursor() as write,
        write.copy(f"COPY {step.table} ({columns}) FROM STDIN") as into,
        id_map_writer(journal) as kept,
    ):
        read.itersize = FETCH
        read.execute(step.query)
        convert, mapped = step.convert, step.mapped
        for row in read:
            new = next(ids)
            into.write_row((new, *convert(row, maps)))
            if mapped:
                found[row[0]] = new
                if kept is not None:
                    kept.write_row((row[1], step.kind, row[0], new))
            rows += 1
    return rows


def prepare_remap(commerce_url: str, journal_url: str) -> None:
    """Commerce's tables as its migrations make them (empty), and the id map's table."""
    import psycopg

    from keranjang.commerce.tables import MIGRATIONS
    from keranjang.infra import schema
    from keranjang.infra.database import make_engine

    engine = make_engine(commerce_url)
    schema.upgrade(MIGRATIONS, engine)
    engine.dispose()
    with psycopg.connect(conninfo(journal_url), autocommit=True) as conn:
        for statement in ID_MAP_DDL:
            conn.execute(statement)


def empty_targets(commerce_url: str, journal_url: str) -> None:
    """What an earlier round wrote, gone (ids start again, so rounds write the same rows)."""
    import psycopg

    tables = ", ".join(step.table for step in STEPS)
    with psycopg.connect(conninfo(commerce_url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    with psycopg.connect(conninfo(journal_url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {ID_MAP} RESTART IDENTITY")


@dataclass
class Remapped:
    rows: int  # written into commerce
    seconds: float
    maps: dict[str, dict[int, int]]  # kind -> legacy id -> commerce id ("merchant": by seller)
    steps: dict[str, dict[str, float]]  # commerce table -> rows, seconds


def remap_copy(urls: dict[str, str], keep_map: bool = True) -> Remapped:
    """Every step in one pass; the id map written to the journal's database unless told not
    to (what keeping it costs)."""
    import psycopg

    empty_targets(urls["commerce"], urls["migration"])
    done = Remapped(0, 0.0, {}, {})
    with (
        backends.connect(urls["social"]) as social,
        backends.connect(urls["commerce"], autocommit=True) as commerce,
        backends.connect(urls["commerce"], autocommit=True) as sequences,
        backends.connect(urls["migration"], autocommit=True) as journal,
    ):
        social.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        social.read_only = True
        streams = (social, commerce, journal if keep_map else None)
        for step in STEPS:
            started = time.perf_counter()
            rows = copy_step(streams, step, reserved(sequences, step.table), done.maps)
            seconds = time.perf_counter() - started
            done.steps[step.table] = {"rows": rows, "seconds": seconds}
            done.rows, done.seconds = done.rows + rows, done.seconds + seconds
        social.rollback()
    return done


def rewrite_in_commerce(commerce_url: str) -> tuple[int, float]:
    """Rows and seconds of PostgreSQL writing c's rows into commerce's tables by itself: each
    table's rows set aside (a temporary copy), the tables emptied, then `INSERT INTO t SELECT …`
    from the copies, parents first: commerce's foreign keys, indexes and generated search
    document paid for with no Python and no second database (the baseline's counterpart on
    commerce's side). The same rows with the same ids come back, so d verifies them after."""
    tables = [(step.table, ", ".join(("id", *step.columns))) for step in STEPS]
    with backends.connect(commerce_url) as conn:
        for table, columns in tables:
            conn.execute(f"CREATE TEMPORARY TABLE stage_{table} AS SELECT {columns} FROM {table}")
        conn.execute(f"TRUNCATE {', '.join(t for t, _ in tables)} CASCADE")
        conn.commit()
        rows, started = 0, time.perf_counter()
        for table, columns in tables:
            done = conn.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM stage_{table}"
            )
            rows += done.rowcount
        conn.commit()
        seconds = time.perf_counter() - started
    return rows, seconds

"""The floor's first two measures: PostgreSQL copying the legacy tables inside social by itself
(`INSERT … SELECT`, the migration bench's baseline), and the same rows streamed from social to
another database by COPY, chunk after chunk, with no Python per row.

The stream's targets are plain tables made in the other database from social's own
definitions: the same columns, types and NOT NULL, and, unless told otherwise, the same
indexes (primary keys and unique ones included). The baseline's `LIKE … INCLUDING ALL` keeps
those indexes too, so the two write the same index entries; the variant without indexes shows
what the indexes cost.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from bench.migration.floor_backends import backends
from bench.migration.measure import COPIED

# pg_get_indexdef's text: "CREATE [UNIQUE] INDEX name ON public.table USING btree (…)".
INDEXDEF = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON \S+ (USING .*)$")


@dataclass(frozen=True)
class Stream:
    """How the stream copies: COPY's format ("binary" or "text") and whether the target
    tables carry social's indexes."""

    format: str
    indexes: bool = True

    @property
    def name(self) -> str:
        return f"COPY stream, {self.format}" + ("" if self.indexes else ", no indexes")


def table_ddl(conn: Any, table: str, prefix: str) -> list[str]:
    """`CREATE TABLE` (columns as social defines them) and `CREATE INDEX` statements that
    make `<prefix><table>` elsewhere, from social's catalog."""
    columns = conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (table,),
    ).fetchall()
    if not columns:
        raise ValueError(f"social has no table {table!r}")
    body = ", ".join(f'"{n}" {t}' + (" NOT NULL" if notnull else "") for n, t, notnull in columns)
    statements = [f"CREATE TABLE {prefix}{table} ({body})"]
    query = "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass"
    for (definition,) in conn.execute(query, (table,)).fetchall():
        match = INDEXDEF.match(definition)
        if not match:
            raise ValueError(f"an index of {table} this bench cannot copy: {definition}")
        unique, rest = match.group(1) or "", match.group(2)
        statements.append(f"CREATE {unique}INDEX ON {prefix}{table} {rest}")
    return statements


def create_copies(social: Any, other: Any, prefix: str, indexes: bool) -> None:
    """Social's tables the engine reads, made anew (empty) in the other database."""
    for table in COPIED:
        other.execute(f"DROP TABLE IF EXISTS {prefix}{table}")
        statements = table_ddl(social, table, prefix)
        for statement in statements if indexes else statements[:1]:
            other.execute(statement)


def stream_table(social: Any, other: Any, source: str, target: str, fmt: str) -> int:
    """One table's rows from social into the other database: COPY out, COPY in, the chunks
    handed over as they come (psycopg's buffers, no row decoded). Committed; answers rows."""
    options = "(FORMAT binary)" if fmt == "binary" else ""
    with other.transaction(), social.cursor() as out_cursor, other.cursor() as in_cursor:
        with (
            out_cursor.copy(f"COPY (SELECT * FROM {source}) TO STDOUT {options}") as out,
            in_cursor.copy(f"COPY {target} FROM STDIN {options}") as into,
        ):
            for chunk in out:
                into.write(chunk)
        return int(in_cursor.rowcount)


def cross_database_copy(social_url: str, other_url: str, stream: Stream) -> tuple[int, float]:
    """Rows and seconds of every table streamed from social into plain tables of the other
    database; the tables are made before the clock starts and dropped after it stops."""
    prefix = "floor_"
    with (
        backends.connect(social_url, autocommit=True) as social,
        backends.connect(other_url, autocommit=True) as other,
    ):
        create_copies(social, other, prefix, stream.indexes)
        rows, started = 0, time.perf_counter()
        for table in COPIED:
            rows += stream_table(social, other, table, prefix + table, stream.format)
        seconds = time.perf_counter() - started
        for table in COPIED:
            other.execute(f"DROP TABLE {prefix}{table}")
    return rows, seconds

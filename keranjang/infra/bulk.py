"""Statements over many rows, as each database takes them best: `column IN (ids)` for long
lists of ids (`chunks`, `among`), and inserting many rows (`insert_rows`).

SQLAlchemy renders `in_()` with one bound parameter per id, and psycopg parses a statement that
long again on every execution (its statement cache keeps short ones only): for the thousands
of ids a bulk copy looks up, most of the time went there. On PostgreSQL the ids are therefore
one array parameter (`column = ANY(:ids)`, a statement of constant length); on SQLite, which
has no arrays, they stay an `IN` list, cut in chunks under its bound-parameter limit.
SQLAlchemy offers no such switch, hence these few lines.

Many rows go in with COPY on PostgreSQL (one stream, no statement per row: psycopg's
`executemany` sends one INSERT per row, and SQLAlchemy's insertmanyvalues, which batches rows
into multi-VALUES statements, is not used for psycopg without RETURNING), and in one
`executemany` on SQLite."""

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from psycopg import sql
from sqlalchemy import BigInteger, Connection, Table, Text, any_, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T", int, str)
SQLITE_CHUNK = 900  # ids per IN (...): under SQLite's bound-parameter limit, with a margin


def _postgresql(bind: Connection | Session) -> bool:
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    return dialect.name == "postgresql"


def postgresql(bind: Connection | Session) -> bool:
    """The database behind `bind` is PostgreSQL (COPY, arrays and sequences to hand)."""
    return _postgresql(bind)


def next_ids(c: Connection, table: Table, n: int) -> list[int]:
    """`n` fresh ids from the sequence behind `table.id` (PostgreSQL only), in increasing order:
    rows written by COPY with their ids known beforehand, so their children can name them."""
    query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    return sorted(int(i) for i in c.scalars(query, {"table": table.name, "n": n}))


def chunks(bind: Connection | Session, ids: Iterable[T]) -> Iterator[list[T]]:
    """The ids, sorted and once each, in as few lists as the database takes in one statement."""
    wanted = sorted(set(ids))
    size = len(wanted) if _postgresql(bind) else SQLITE_CHUNK
    for start in range(0, len(wanted), max(size, 1)):
        yield wanted[start : start + size]


def among(
    bind: Connection | Session, column: Any, ids: list[int] | list[str]
) -> ColumnElement[bool]:
    """`column` is one of `ids` (a list `chunks` made: integers, or text such as emails)."""
    if _postgresql(bind):
        of = Text() if ids and isinstance(ids[0], str) else BigInteger()
        return column == any_(bindparam(None, ids, type_=ARRAY(of), unique=True))
    result: ColumnElement[bool] = column.in_(ids)
    return result


def insert_rows(c: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows (each with the same keys) in the caller's transaction."""
    if not rows:
        return
    if not _postgresql(c):
        c.execute(insert(table), rows)
        return
    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    raw = c.connection.driver_connection  # the psycopg connection, in this transaction
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(tuple(row[k] for k in columns))

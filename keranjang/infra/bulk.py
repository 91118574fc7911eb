"""Statements over many rows, as each database takes them best: `column IN (ids)` for long
lists of ids (`one_of`; `chunks` and `among` where the connection is at hand), inserting many
rows (`insert_rows`), updating many rows each with values of its own (`update_rows`), and ids
drawn ahead from a table's sequence (`next_ids`).

SQLAlchemy renders `in_()` with one bound parameter per id, and psycopg parses a statement that
long again on every execution (its statement cache keeps short ones only): for the thousands
of ids a bulk copy looks up, most of the time went there. On PostgreSQL the ids are therefore
one array parameter (`column = ANY(:ids)`, a statement of constant length); on SQLite, which
has no arrays, they stay an `IN` list, cut in chunks under its bound-parameter limit
(`among`), or one JSON value read by `json_each` (`one_of`, which needs no connection: its
form is chosen when the statement is compiled). SQLAlchemy offers no such switch, hence these
few lines.

Many rows are updated each with its own values in one UPDATE joined to them as arrays
(`unnest`) on PostgreSQL, where psycopg's `executemany` sends one UPDATE per row (a cutover's
fence of 150 merchants: 150 statements inside its pause); SQLite, which has no arrays, runs
one per row, calls rather than round trips.

Many rows go in with COPY on PostgreSQL (one stream, no statement per row: psycopg's
`executemany` sends one INSERT per row, and SQLAlchemy's insertmanyvalues, which batches rows
into multi-VALUES statements, is not used for psycopg without RETURNING), and in one
`executemany` on SQLite."""

import json
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from psycopg import sql
from sqlalchemy import (
    BigInteger,
    BindParameter,
    Boolean,
    Connection,
    Dialect,
    String,
    Table,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    func,
    insert,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal

T = TypeVar("T", int, str)
SQLITE_CHUNK = 900  # ids per IN (...): under SQLite's bound-parameter limit, with a margin


def postgresql(bind: Connection | Session) -> bool:
    """The database behind `bind` is PostgreSQL (COPY, arrays and sequences to hand)."""
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    return dialect.name == "postgresql"


def next_ids(c: Connection, table: Table, n: int) -> list[int]:
    """`n` fresh ids from the sequence behind `table.id` (PostgreSQL only), in increasing order:
    rows written by COPY with their ids known beforehand, so their children can name them."""
    query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    return sorted(int(i) for i in c.scalars(query, {"table": table.name, "n": n}))


def chunks(bind: Connection | Session, ids: Iterable[T]) -> Iterator[list[T]]:
    """The ids, sorted and once each, in as few lists as the database takes in one statement."""
    wanted = sorted(set(ids))
    size = len(wanted) if postgresql(bind) else SQLITE_CHUNK
    for start in range(0, len(wanted), max(size, 1)):
        yield wanted[start : start + size]


def among(
    bind: Connection | Session, column: Any, ids: list[int] | list[str]
) -> ColumnElement[bool]:
    """`column` is one of `ids` (a list `chunks` made: integers, or text such as emails)."""
    if postgresql(bind):
        of = Text() if ids and isinstance(ids[0], str) else BigInteger()
        return column == any_(bindparam(None, ids, type_=ARRAY(of), unique=True))
    result: ColumnElement[bool] = column.in_(ids)
    return result


def insert_rows(c: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows (each with the same keys) in the caller's transaction."""
    if not rows:
        return
    if not postgresql(c):
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


def update_rows(
    c: Connection, table: Table, key: str, rows: list[dict[str, Any]], same: dict[str, Any]
) -> None:
    """Each row of `rows` (each with the same keys, among them `key`, integers or texts) sets
    its own values where `table.c[key]` is its key, and `same` alike on every one, in the
    caller's transaction."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    if not postgresql(c):
        by_key = update(table).where(table.c[key] == bindparam(f"_{key}"))
        params: dict[str, Any] = {name: bindparam(f"_{name}") for name in names}
        c.execute(by_key.values(params | same), [{f"_{k}": v for k, v in r.items()} for r in rows])
        return
    arrays = [_array(name, [r[name] for r in rows]) for name in (key, *names)]
    given = func.unnest(*arrays).table_valued(key, *names).render_derived(name="given")
    values = {name: given.c[name] for name in names}
    c.execute(update(table).where(table.c[key] == given.c[key]).values(values | same))


def _array(name: str, values: list[Any]) -> BindParameter[Any]:
    of = Text() if values and isinstance(values[0], str) else BigInteger()
    return bindparam(f"_{name}", values, type_=ARRAY(of))


class _Ids(TypeDecorator[list[Any]]):
    """A list of ids as one bound value: an array on PostgreSQL, a JSON array elsewhere."""

    impl, cache_ok = Text, True

    def __init__(self, of: type[BigInteger] | type[Text]) -> None:
        super().__init__()
        self.of = of

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.of()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return list(value) if dialect.name == "postgresql" else json.dumps(list(value))


_INT_IDS, _TEXT_IDS = _Ids(BigInteger), _Ids(Text)


class _OneOf(ColumnElement[bool]):
    # Hand-written because SQLAlchemy renders `in_()` as one bound parameter per id, a statement
    # whose text changes with the number of ids and which psycopg parses again on every
    # execution (a twentieth of the migration's CPU at 20,000 merchants); `among` needs the
    # connection when the statement is built, which a statement built ahead does not have.
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: SQLite needs no `= 1` after it

    def __init__(self, column: ColumnElement[Any], ids: BindParameter[Any]) -> None:
        self.column, self.ids = column, ids


def one_of(column: Any, ids: Iterable[int] | Iterable[str] | ClauseElement) -> ColumnElement[bool]:
    """`column` is one of `ids` (integers, or texts such as emails), in a statement of the same
    text whatever their number: `= ANY(array)` on PostgreSQL, `IN (json_each(…))` on SQLite.
    A subquery instead of ids is `column IN (subquery)`, as `in_()` makes it."""
    if isinstance(ids, ClauseElement):
        return column.in_(ids)
    values = list(ids)
    texts = isinstance(getattr(column, "type", None), String)  # by the column: ids may be none
    of = _TEXT_IDS if texts or (values and isinstance(values[0], str)) else _INT_IDS
    return _OneOf(column, bindparam(None, values, type_=of, unique=True))


@compiles(_OneOf)
def _one_of(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} IN (SELECT value FROM json_each({ids}))"  # noqa: S608 (compiled SQL, no values)


@compiles(_OneOf, "postgresql")
def _one_of_postgresql(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} = ANY({ids})"

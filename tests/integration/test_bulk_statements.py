"""`infra.bulk.one_of`: a column among a list of ids, as one bound value, on both databases;
the same statement reused with other ids (SQLAlchemy's compiled cache) finds the new ones,
never the ids of the statement compiled first. And `infra.bulk.update_rows`: many rows, each
updated with values of its own, the others untouched."""

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import BigInteger, Column, Engine, MetaData, Table, Text, delete, select, update

from keranjang.infra.bulk import one_of, update_rows
from keranjang.infra.database import make_engine

METADATA = MetaData()
ROWS = Table(
    "bulk_rows", METADATA, Column("id", BigInteger, primary_key=True), Column("email", Text)
)


@pytest.fixture
def engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    engine = make_engine(database_url("bulk"))
    METADATA.create_all(engine)
    with engine.begin() as c:
        c.execute(ROWS.insert(), [{"id": i, "email": f"b{i}@contoh.id"} for i in range(1, 1201)])
    yield engine
    engine.dispose()


def _ids(engine: Engine, wanted: object) -> list[int]:
    with engine.connect() as c:
        return sorted(c.scalars(select(ROWS.c.id).where(one_of(ROWS.c.id, wanted))))  # type: ignore[arg-type]


def test_the_same_statement_finds_each_call_its_own_ids(engine: Engine) -> None:
    assert _ids(engine, [3, 1, 2]) == [1, 2, 3]
    assert _ids(engine, [7]) == [7]  # the statement compiled above, reused: its ids, not 1-3
    assert _ids(engine, []) == []
    assert _ids(engine, [5, 5, 9999]) == [5]  # an id twice, and one not there


def test_more_ids_than_sqlite_takes_parameters(engine: Engine) -> None:
    # 1,200 ids are one bound value: SQLite's limit on parameters (999 on older builds) is
    # not reached, and nothing is cut off.
    assert _ids(engine, range(1, 1201)) == list(range(1, 1201))


def test_texts_updates_and_deletes(engine: Engine) -> None:
    with engine.begin() as c:
        emails = ["b4@contoh.id", "b9@contoh.id", "nobody@contoh.id"]
        found = c.scalars(select(ROWS.c.id).where(one_of(ROWS.c.email, emails)))
        assert sorted(found) == [4, 9]
        changed = c.execute(update(ROWS).where(one_of(ROWS.c.id, [4, 9])).values(email="x"))
        assert changed.rowcount == 2
        gone = c.execute(delete(ROWS).where(one_of(ROWS.c.id, [1, 2, 3])))
        assert gone.rowcount == 3
        assert c.scalar(select(ROWS.c.id).where(ROWS.c.id <= 3)) is None


def test_a_subquery_instead_of_ids(engine: Engine) -> None:
    with engine.connect() as c:
        small = select(ROWS.c.id).where(ROWS.c.id < 4)
        assert sorted(c.scalars(select(ROWS.c.id).where(one_of(ROWS.c.id, small)))) == [1, 2, 3]


def test_no_texts_at_all(engine: Engine) -> None:
    # An empty list has no first id to tell its type by: the column tells it.
    with engine.connect() as c:
        assert c.scalars(select(ROWS.c.id).where(one_of(ROWS.c.email, []))).all() == []


def _emails(engine: Engine) -> dict[int, str]:
    with engine.connect() as c:
        return {int(i): str(e) for i, e in c.execute(select(ROWS.c.id, ROWS.c.email))}


def test_each_row_updated_with_its_own_values_and_the_rest_untouched(engine: Engine) -> None:
    before = _emails(engine)
    given = [{"id": i, "email": f"baru{i}@contoh.id"} for i in (1200, 7, 450)]
    with engine.begin() as c:
        update_rows(c, ROWS, "id", [*given, {"id": 99_999, "email": "x"}], {})
    assert _emails(engine) == before | {r["id"]: r["email"] for r in given}  # 99,999: none


def test_rows_keyed_by_text_with_a_value_they_all_get(engine: Engine) -> None:
    given = [{"email": f"b{i}@contoh.id", "id": 5_000 + i} for i in range(1, 1001)]
    with engine.begin() as c:  # more rows than SQLite takes parameters in one statement
        update_rows(c, ROWS, "email", given, {})
        update_rows(c, ROWS, "id", [{"id": 5_001}], {"email": "sama@contoh.id"})
        update_rows(c, ROWS, "id", [], {"email": "nothing changes"})
    emails = _emails(engine)
    assert emails[5_001] == "sama@contoh.id"
    assert all(emails[5_000 + i] == f"b{i}@contoh.id" for i in range(2, 1001))
    assert sorted(emails)[:200] == list(range(1001, 1201)) and len(emails) == 1200

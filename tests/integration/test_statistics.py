"""Planner statistics kept fresh for the tables a bulk writer fills, whether or not the
server's autovacuum runs (`keranjang.infra.statistics`): the migration fills commerce's tables
and its journal from empty within a run."""

import time
from collections.abc import Callable

from sqlalchemy import Engine, text

from keranjang.infra.database import make_engine
from keranjang.infra.statistics import Freshness, analyze_stale, stale_tables

TABLE = "public.filled"  # quoted only where a name needs it


def _fill(engine: Engine, first: int, rows: int) -> None:
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS filled (id integer primary key, seller int)"))
        c.execute(
            text(
                "INSERT INTO filled SELECT g, g % 10 FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"
            ),
            {"a": first, "b": first + rows - 1},
        )
    engine.dispose()  # a backend reports what it wrote when it ends


def _seen_stale(engine: Engine) -> bool:
    for _ in range(50):  # the server's counts arrive within a moment
        if TABLE in stale_tables(engine):
            return True
        time.sleep(0.1)
    return False


def _sellers_known(engine: Engine) -> int | None:
    query = "SELECT n_distinct FROM pg_stats WHERE tablename = 'filled' AND attname = 'seller'"
    with engine.connect() as c:
        return c.scalar(text(query))


def test_a_table_filled_since_it_was_analyzed_is_analyzed_once(
    database_url: Callable[[str], str],
) -> None:
    url = database_url("statistics")
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":  # plans without gathered statistics: nothing to do
        assert analyze_stale(engine) == []
        return
    _fill(engine, 1, 5000)
    assert _seen_stale(engine)
    assert _sellers_known(engine) is None  # the planner knows nothing of it yet

    assert TABLE in analyze_stale(engine)
    assert _sellers_known(engine) == 10
    assert TABLE not in analyze_stale(engine)  # nothing changed since
    engine.dispose()


def test_freshness_looks_at_most_once_a_period(database_url: Callable[[str], str]) -> None:
    url = database_url("statistics")
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        assert Freshness([engine]).keep() == []
        return
    now = [1000.0]
    freshness = Freshness([engine], every=30, monotonic=lambda: now[0])
    _fill(engine, 1, 5000)
    assert _seen_stale(engine)
    assert TABLE in freshness.keep()

    _fill(engine, 5001, 20_000)  # grown fivefold
    assert _seen_stale(engine)
    now[0] += 10
    assert freshness.keep() == []  # looked 10 s ago: not yet
    now[0] += 25
    assert TABLE in freshness.keep()
    engine.dispose()

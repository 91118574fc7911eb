"""The planner's statistics of tables that a bulk writer fills, kept fresh as it writes.

PostgreSQL plans each statement from statistics that ANALYZE gathers; autovacuum runs it
when a table has changed enough, but only where autovacuum is on and keeping up. The
migration fills commerce's tables and its journal from empty to millions of rows within a
run: planned from the empty tables' statistics, reading 500 merchants' stock holds scanned
every hold (690 ms instead of a few), and the journal's id map was read row by row
(bench/README.md). `Freshness` does what autoanalyze would: every `every` seconds at most,
it ANALYZEs the tables changed by more than a fraction of their rows since their last
ANALYZE (the server's own count, `n_mod_since_analyze`). No library does this; it is one
query and one statement per table. SQLite plans without gathered statistics: nothing to do.

Not VACUUM: the 100,000-merchant run that vacuumed here left 78 merchants for the operator
instead of 23-29, and its longest pause was 136 ms. The likely cause: a VACUUM that truncates
a table (the fences', say) locks it whole for a moment, in the middle of other workers'
pauses (bench/README.md).
"""

import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine, text

# Autovacuum's own rule, with its default threshold and a tighter scale factor.
STALE = text(
    "SELECT s.schemaname, s.relname FROM pg_stat_user_tables s "
    "JOIN pg_class c ON c.oid = s.relid "
    "WHERE s.n_mod_since_analyze > :floor + :fraction * greatest(c.reltuples, 0) "
    "ORDER BY s.relname"
)


def stale_tables(engine: Engine, fraction: float = 0.1, floor: int = 50) -> list[str]:
    """The tables changed by more than `floor` rows and `fraction` of their rows since they
    were last analyzed, as quoted names (PostgreSQL; none on SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect() as c:
        found = c.execute(STALE, {"floor": floor, "fraction": fraction}).all()
    return [f"{quote(schema)}.{quote(table)}" for schema, table in found]


def analyze_stale(engine: Engine, fraction: float = 0.1, floor: int = 50) -> list[str]:
    """ANALYZE the stale tables; answers which."""
    stale = stale_tables(engine, fraction, floor)
    if stale:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            for table in stale:
                c.execute(text(f"ANALYZE {table}"))  # a quoted name the server gave
    return stale


class Freshness:
    """`analyze_stale` on these databases, at most every `every` seconds."""

    def __init__(
        self,
        engines: Sequence[Engine],
        every: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engines, self.every, self.monotonic = engines, every, monotonic
        self.last: float | None = None

    def keep(self) -> list[str]:
        """The tables analyzed now (none if the last look was less than `every` ago)."""
        now = self.monotonic()
        if self.last is not None and now - self.last < self.every:
            return []
        self.last = now
        return [t for engine in self.engines for t in analyze_stale(engine)]

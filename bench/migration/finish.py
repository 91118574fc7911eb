"""The merchants a run leaves for the operator, moved as an operator moves them: one at a time
(`migrate run --only SELLER`), each with a pause budget of twice the pause its last attempt
predicted (`moves.predicted_pause_ms`, already scaled by the factor learned), so the run's
figures say what moving *every* merchant took, not only those whose pause fits 50 ms."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.migration.measure import keranjang

BUDGET_TIMES_PREDICTED = 2  # the operator's margin over the prediction
LEAST_BUDGET_MS = 100


@dataclass
class Finished:
    """What moving the merchants left for the operator took."""

    left: int = 0
    moved: int = 0
    seconds: float = 0.0
    rows_verified: int = 0
    budgets_ms: list[int] = field(default_factory=list)
    pauses_ms: list[int] = field(default_factory=list)


def _journal(migration_url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    import psycopg

    from bench.kit.postgres import conninfo

    with psycopg.connect(conninfo(migration_url)) as conn:
        return conn.execute(query, params or None).fetchall()


def left_for_operator(migration_url: str) -> list[tuple[int, int]]:
    """(seller, the pause its last attempt predicted, in ms) of each move left for the operator,
    in the plan's order."""
    query = ("SELECT seller_id, coalesce(predicted_pause_ms, 0) FROM moves"
             " WHERE left_at IS NOT NULL ORDER BY rank")  # fmt: skip
    return [(int(s), int(ms)) for s, ms in _journal(migration_url, query)]


def budget_for(predicted_ms: int) -> int:
    return max(LEAST_BUDGET_MS, BUDGET_TIMES_PREDICTED * predicted_ms)


def finish(env: dict[str, str], migration_url: str) -> dict[str, Any]:
    """Move every merchant left for the operator, one `migrate run --only` each, and read back
    how each went."""
    left = left_for_operator(migration_url)
    done = Finished(left=len(left), budgets_ms=[budget_for(ms) for _, ms in left])
    started = time.perf_counter()
    for (seller, _), budget in zip(left, done.budgets_ms, strict=True):
        keranjang(env, "migrate", "run", "--only", str(seller), "--pause-budget-ms", str(budget),
                  "--json", ok=(0, 3))  # fmt: skip
    done.seconds = time.perf_counter() - started
    query = ("SELECT coalesce(pause_ms, 0), rows_verified FROM moves"
             " WHERE seller_id = ANY(%s) AND phase = 'verified'")  # fmt: skip
    for pause_ms, rows in _journal(migration_url, query, [s for s, _ in left]):
        done.moved, done.rows_verified = done.moved + 1, done.rows_verified + int(rows)
        done.pauses_ms.append(int(pause_ms))
    done.pauses_ms.sort()
    return asdict(done)

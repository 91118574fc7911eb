"""The bench's steps, each on fresh PostgreSQL databases: generate, move, baseline, read the
journal. Commands run as an operator runs them (`python -m keranjang …`)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.kit.errors import BenchError
from bench.kit.results import REPOSITORY
from bench.kit.tables import say

# The legacy tables the engine reads for a seller's move (the change log and the escrow
# journal are read, not copied row for row; they are left out of the baseline too).
LOG_NAME = "migration-run.log"  # the last run's log lines, if it wrote any, beside the results
COPIED = ("legacy_products", "legacy_buyer_profiles", "legacy_addresses", "legacy_orders",
          "legacy_order_lines", "legacy_stock_holds", "legacy_order_events",
          "legacy_payments", "legacy_refunds")  # fmt: skip


@dataclass(frozen=True)
class Size:
    merchants: int
    products: int
    buyers: int
    orders: int
    workers: int
    batch_size: int | None = None  # None: `migrate run`'s own default
    batch_rows: int | None = None


def keranjang(
    env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "keranjang", *args], env=env, text=True,
                          capture_output=True, cwd=REPOSITORY)  # fmt: skip
    if done.returncode not in ok:
        raise BenchError(f"keranjang {' '.join(args)} failed: {done.stdout}{done.stderr}"[-3000:])
    return done


def environment(urls: dict[str, str], data_dir: str) -> dict[str, str]:
    return os.environ | {
        "KERANJANG_DATA_DIR": data_dir,
        "KERANJANG_SOCIAL_DATABASE_URL": urls["social"],
        "KERANJANG_MIGRATION_DATABASE_URL": urls["migration"],
        "KERANJANG_MIGRATION_SOCIAL_DATABASE_URL": urls["social"],
        "KERANJANG_MIGRATION_COMMERCE_DATABASE_URL": urls["commerce"],
        "NO_COLOR": "1",
    }


def generate(env: dict[str, str], size: Size) -> float:
    started = time.perf_counter()
    keranjang(env, "legacy", "seed", "--merchants", str(size.merchants), "--products-per-merchant",
              str(size.products), "--buyers", str(size.buyers), "--orders", str(size.orders))  # fmt: skip
    return time.perf_counter() - started


def prepare(urls: dict[str, str], data_dir: str) -> None:
    """Commerce's schema, the plan, and every seller forced (an operator's decision)."""
    from keranjang.cli.migrate import open_service
    from keranjang.commerce.tables import MIGRATIONS
    from keranjang.infra import schema
    from keranjang.infra.database import make_engine
    from keranjang.migration.config import MigrationSettings

    commerce = make_engine(urls["commerce"])
    schema.upgrade(MIGRATIONS, commerce)
    commerce.dispose()
    settings = MigrationSettings(data_dir=data_dir, database_url=urls["migration"],
                                 social_database_url=urls["social"],
                                 commerce_database_url=urls["commerce"])  # fmt: skip
    service = open_service(settings)
    service.plan(False)
    with service.parts.journal() as s:
        sellers = [int(r[0]) for r in s.execute(_text("SELECT seller_id FROM moves"))]
    for seller in sellers:
        service.force(seller, "operator:bench", "benchmark")


def _text(query: str) -> Any:
    from sqlalchemy import text

    return text(query)


def move(env: dict[str, str], size: Size, results_dir: Path) -> tuple[float, dict[str, Any]]:
    """`migrate run` to the end: its wall clock and its last figures (its log lines, if any,
    in `results_dir`)."""
    started = time.perf_counter()
    batching = [f"--batch-size={size.batch_size}"] if size.batch_size else []
    batching += [f"--batch-rows={size.batch_rows}"] if size.batch_rows else []
    # Exit code 3: over, with merchants whose pause never fits the budget left for the operator.
    command = ("migrate", "run", "--workers", str(size.workers), *batching, "--json")
    done = keranjang(env, *command, ok=(0, 3))
    moved_s = time.perf_counter() - started
    if done.stderr.strip():  # the run's own log lines (warnings, a batch that failed)
        results_dir.mkdir(parents=True, exist_ok=True)  # a fresh checkout has none yet
        (results_dir / LOG_NAME).write_text(done.stderr)
        say(f"{len(done.stderr.splitlines())} log lines from migrate run: {results_dir / LOG_NAME}")
    return moved_s, json.loads(done.stdout)


def baseline(social_url: str, connect: Callable[..., Any] | None = None) -> tuple[int, float]:
    """Rows and seconds of PostgreSQL copying the same tables into new ones by itself
    (`connect`: how to open the connection, psycopg's own by default)."""
    import psycopg

    from bench.kit.postgres import conninfo

    rows, seconds = 0, 0.0
    if connect is None:
        connect = lambda url, **options: psycopg.connect(conninfo(url), **options)  # noqa: E731
    with connect(social_url, autocommit=True) as conn:
        for table in COPIED:
            conn.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
            started = time.perf_counter()
            copied = conn.execute(f"INSERT INTO bench_{table} SELECT * FROM {table}")
            seconds += time.perf_counter() - started
            rows += copied.rowcount
            conn.execute(f"DROP TABLE bench_{table}")
    return rows, seconds


LONGEST = 10  # the longest pauses, and abandoned attempts whose reasons, the results keep


def journal_figures(migration_url: str) -> dict[str, Any]:
    """Rows copied and verified, merchants by phase, and every cutover's pause (ms)."""
    import psycopg

    from bench.kit.postgres import conninfo

    with psycopg.connect(conninfo(migration_url)) as conn:
        copied, verified, total = conn.execute(
            "SELECT sum(rows_copied), sum(rows_verified), sum(rows_total) FROM moves"
        ).fetchone() or (0, 0, 0)
        query = "SELECT phase, count(*) FROM moves GROUP BY phase"
        phases: dict[str, int] = {str(p): int(n) for p, n in conn.execute(query).fetchall()}
        query = "SELECT seller_id, detail FROM events WHERE what = 'cut_over'"
        details = [(int(i), _detail(d)) for i, d in conn.execute(query).fetchall()]
        abandoned = conn.execute(
            "SELECT count(*) FROM events WHERE what = 'cutover_abandoned'"
        ).fetchone()
        # Attempts abandoned inside the pause: the sellers were fenced that long, too.
        query = "SELECT DISTINCT detail FROM events WHERE what = 'cutover_abandoned'"
        late = [_detail(d) for (d,) in conn.execute(query).fetchall()]
    inside = sorted((d for d in late if "pause_ms" in d), key=lambda d: float(d["pause_ms"]))
    fenced = [float(d["pause_ms"]) for d in inside]
    # One pause per cutover: a batch's merchants share theirs (each has a `cut_over` event).
    cutovers = {tuple(d.get("batch") or [i]): d for i, d in details}
    pauses = sorted(float(d["pause_ms"]) for d in cutovers.values())
    return {"pause_steps_ms": _by_step(list(cutovers.values())), "merchants_cut_over": len(details),
            "rows_copied": int(copied or 0), "rows_verified": int(verified or 0),
            "rows_total": int(total or 0), "phases": phases, "pauses_ms": pauses,
            "abandoned_cutovers": int(abandoned[0]) if abandoned else 0,
            "abandoned_in_pause_ms": fenced,
            # where the longest were stopped (the check that caught them, and when)
            "longest_abandons": [str(d.get("why")) for d in inside[-LONGEST:]]}  # fmt: skip


def kept(figures: dict[str, Any]) -> dict[str, Any]:
    """The journal's figures as the results keep them: every pause's quantiles are reported
    apart, so only the longest pauses themselves."""
    return figures | {"pauses_ms": None, "longest_pauses_ms": figures["pauses_ms"][-LONGEST:]}


def _by_step(details: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """p50 and p99 of each step of the pause (drain, money, flip), in ms."""
    steps: dict[str, list[float]] = {}
    for detail in details:
        for step, ms in (detail.get("steps_ms") or {}).items():
            steps.setdefault(step, []).append(float(ms))
    return {step: {"p50": quantile(sorted(v), 0.5), "p99": quantile(sorted(v), 0.99)}
            for step, v in steps.items()}  # fmt: skip


def _detail(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else dict(json.loads(value))


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def transactions(admin_url: str, urls: dict[str, str]) -> dict[str, int]:
    """Transactions committed or rolled back so far in each bench database (PostgreSQL's own
    count, `pg_stat_database`), flushed first: the engine's round trips come in transactions."""
    import psycopg

    from bench.kit.postgres import conninfo, database_name

    time.sleep(1.1)  # a backend reports its counts at most once a second
    names = {purpose: database_name(url) for purpose, url in urls.items()}
    query = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s"
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        found = {}
        for purpose, name in names.items():
            row = conn.execute(query, (name,)).fetchone()
            found[purpose] = int(row[0]) if row else 0
    return found


def round_trip_ms(url: str, rounds: int = 2000) -> dict[str, float]:
    """The floor of a statement and of a transaction here: `SELECT 1` alone (autocommit), and
    `BEGIN; SELECT 1; COMMIT`, each a round trip to the same server from one client."""
    import psycopg

    from bench.kit.postgres import conninfo

    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        started = time.perf_counter()
        for _ in range(rounds):
            conn.execute("SELECT 1")
        statement = (time.perf_counter() - started) / rounds * 1000
        started = time.perf_counter()
        for _ in range(rounds):
            with conn.transaction():
                conn.execute("SELECT 1")
        transaction = (time.perf_counter() - started) / rounds * 1000
    return {"statement_ms": statement, "transaction_ms": transaction}


def cpu_window(started: dict[str, float] | None = None) -> dict[str, float]:
    """CPU seconds of the engine (this process's reaped children: `migrate run` and its worker
    processes) and of the whole machine; given the window's start, what the window used: the
    engine's seconds, and the cores the engine and the machine as a whole kept busy (the rest
    is PostgreSQL and whatever else the machine ran meanwhile)."""
    from bench.kit.cpu import client_cpu_seconds, machine_cpu

    now = {"at": time.perf_counter(), "engine": client_cpu_seconds(), "busy": machine_cpu()["busy"]}
    if started is None:
        return now
    wall = max(1e-9, now["at"] - started["at"])
    engine = now["engine"] - started["engine"]
    return {"engine_seconds": engine, "engine_cores": engine / wall,
            "busy_cores": (now["busy"] - started["busy"]) / wall}  # fmt: skip

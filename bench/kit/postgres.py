"""PostgreSQL for the benchmarks: fresh databases created and dropped per run, the sessions
opened on them (connection churn), and pgbench's TPC-B run as the baseline on the same server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.kit.cpu import CpuSnapshot, cpu_usage
from bench.kit.errors import BenchError
from bench.kit.load import Observed, PhaseResult, latency_figures

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL_VARIABLE = "KERANJANG_BENCH_PG_URL"


def default_admin_url() -> str:
    return os.environ.get(PG_URL_VARIABLE, DEFAULT_PG_URL)


def database_url(admin_url: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + dbname))


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def conninfo(url: str) -> str:
    """A URL psycopg takes (SQLAlchemy's `postgresql+psycopg://` made plain)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _create(admin_url: str, names: Sequence[str], created: list[str]) -> None:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
            for name in names:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                created.append(name)
    except psycopg.Error as exc:
        raise BenchError(f"could not create the bench databases via --pg-url: {exc}") from exc


def _drop(admin_url: str, names: Sequence[str]) -> None:
    import psycopg
    from psycopg import sql

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        for name in names:
            conn.execute(drop.format(sql.Identifier(name)))


@contextlib.contextmanager
def postgres_databases(admin_url: str, purposes: Sequence[str]) -> Iterator[dict[str, str]]:
    """A fresh database per purpose (`keranjang_bench_<purpose>_<pid>_<random>`), as
    {purpose: URL}; all dropped WITH (FORCE) at the end, whatever happened."""
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    names = {purpose: f"keranjang_bench_{purpose}_{suffix}" for purpose in purposes}
    created: list[str] = []
    try:
        _create(admin_url, list(names.values()), created)
        yield {purpose: database_url(admin_url, name) for purpose, name in names.items()}
    finally:
        if created:
            _drop(admin_url, created)


def session_counter(admin_url: str, db_urls: Mapping[str, str]) -> Callable[[], int | None]:
    """Sessions ever opened on our databases (pg_stat_database.sessions, PostgreSQL 14+)."""
    import psycopg

    names = [database_name(url) for url in db_urls.values()]
    query = "SELECT sum(sessions) FROM pg_stat_database WHERE datname = ANY(%s)"

    def count() -> int | None:
        try:
            with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
                row = conn.execute(query, [names]).fetchone()
        except psycopg.Error:
            return None
        return None if row is None or row[0] is None else int(row[0])

    return count


# --------------------------------------------------------------------------------------------
# pgbench's TPC-B: the baseline on the same server
# --------------------------------------------------------------------------------------------


def pgbench_binary(given: str | None) -> str:
    found = given or shutil.which("pgbench")
    if not found:
        raise BenchError("pgbench not found: install PostgreSQL's client tools or pass --pgbench")
    return found


def pgbench_init(pgbench: str, url: str, scale: int) -> dict[str, Any]:
    """`pgbench -i`: tables generated on the server (G), vacuumed, primary keys."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            [pgbench, "-i", "-q", "-s", str(scale), "-I", "dtGvp", url],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"pgbench -i could not run: {exc}") from exc
    if done.returncode != 0:
        raise BenchError(f"pgbench -i failed ({done.returncode}):\n{done.stderr[-2000:]}")
    version = subprocess.run(
        [pgbench, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "scale": scale,
        "init_seconds": round(time.monotonic() - started, 1),
        "version": version,
    }


def parse_pgbench(stdout: str) -> dict[str, float]:
    """The figures pgbench prints at the end of a run."""
    patterns = {
        "tps": r"^tps = ([0-9.]+) \(without initial connection time\)",
        "latency_avg_ms": r"^latency average = ([0-9.]+) ms",
        "processed": r"^number of transactions actually processed: ([0-9]+)",
        "failed": r"^number of failed transactions: ([0-9]+)",
    }
    found = {}
    for key, pattern in patterns.items():
        match = re.search(pattern, stdout, re.MULTILINE)
        if match:
            found[key] = float(match.group(1))
    return found


def pgbench_latencies(prefix: Path) -> list[float]:
    """Per-transaction latencies (ms) from pgbench's --log files (one per thread), deleted."""
    latencies = []
    for path in prefix.parent.glob(prefix.name + ".*"):
        for line in path.read_text().splitlines():
            fields = line.split()
            # client_id transaction_no latency_us script_no time_epoch time_us; a failed
            # transaction has a word instead of its latency
            if len(fields) >= 3 and fields[2].isdigit():
                latencies.append(int(fields[2]) / 1000)
        path.unlink()
    return sorted(latencies)


PROGRESS = re.compile(r"^progress: ([0-9.]+) s")


@dataclass(frozen=True)
class PgbenchRun:
    """One pgbench phase: `pgbench -c clients -j threads -T seconds url`, its logs under
    `workdir` named after the round; PostgreSQL's CPU counted for `pg_databases`."""

    program: str
    url: str
    clients: int
    threads: int
    seconds: int
    workdir: Path
    pg_databases: Sequence[str] = ()

    def command(self, prefix: Path) -> list[str]:
        return [
            self.program,
            "-c", str(self.clients),
            "-j", str(self.threads),
            "-T", str(self.seconds),
            "--progress=1",
            "--log", f"--log-prefix={prefix}",
            self.url,
        ]  # fmt: skip


@dataclass
class _Ran:
    """What one pgbench run printed, with the CPU snapshots taken on its progress reports."""

    pid: int
    stdout: str
    messages: list[str]
    returncode: int | None
    before: CpuSnapshot | None
    after: CpuSnapshot | None


async def _run_pgbench(run: PgbenchRun, prefix: Path) -> _Ran:
    """Runs pgbench, taking a CPU snapshot at its first progress report (1 s in: connected,
    vacuumed, running) and at the one at S - 1 s, while its connections are still open."""
    proc = await asyncio.create_subprocess_exec(
        *run.command(prefix), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=run.workdir
    )
    assert proc.stdout is not None and proc.stderr is not None
    stdout_read = asyncio.create_task(proc.stdout.read())
    before = after = None
    messages = []
    try:
        async for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            progress = PROGRESS.match(line)
            if not progress:
                messages.append(line)
            elif before is None:
                before = CpuSnapshot.take()
            elif after is None and float(progress.group(1)) >= run.seconds - 1:
                after = CpuSnapshot.take()
        stdout = (await stdout_read).decode(errors="replace")
        await proc.wait()
    finally:
        if proc.returncode is None:  # interrupted: pgbench must not outlive the run
            proc.kill()
            await proc.wait()
    return _Ran(proc.pid, stdout, messages, proc.returncode, before, after)


async def pgbench_phase(run: PgbenchRun, system: Observed, round_number: int) -> PhaseResult:
    """pgbench's built-in TPC-B-like script, simple query protocol, its default vacuum before
    the run. tps and latencies are pgbench's own, over its S seconds; CPU is measured from its
    first progress report to the one at S - 1 s (see _run_pgbench), the client's is pgbench's."""
    prefix = run.workdir / f"pgbench-round{round_number}"
    ran = await _run_pgbench(run, prefix)
    figures = parse_pgbench(ran.stdout)
    if "tps" not in figures or ran.before is None or ran.after is None:
        detail = "\n".join(ran.messages[-20:])
        raise BenchError(f"pgbench printed no tps or progress (exit {ran.returncode}):\n{detail}")
    cpu = cpu_usage(
        ran.before,
        ran.after,
        {**system.server_pids, "pgbench": ran.pid},
        with_postgres=True,
        pg_databases=run.pg_databases,
    )
    # pgbench still runs in the window, so it is not in this process's reaped children: its
    # own tree is the client here.
    cpu["client_cores"] = round(cpu["client_cores"] + (cpu.pop("pgbench_cores") or 0.0), 3)
    latencies = pgbench_latencies(prefix)
    latency = latency_figures(latencies)
    latency["mean_ms"] = round(figures.get("latency_avg_ms", float("nan")), 2)  # pgbench's own
    return PhaseResult(
        name="pgbench",
        unit="txn",
        connections=run.clients,
        seconds=run.seconds,
        completed=int(figures.get("processed", len(latencies))),
        per_second=round(figures["tps"], 1),
        **latency,
        errors=int(figures.get("failed", 0)) + (1 if ran.returncode else 0),
        error_samples=[m for m in ran.messages if "error" in m.lower()][:5],
        cpu=cpu,
    )

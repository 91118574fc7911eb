"""What the benchmarks share: starting and stopping processes, fresh PostgreSQL databases, CPU
accounting from /proc, the closed-loop load generator, percentiles, py-spy profiles, and the
result file's helpers.

The benchmark scripts (bench/<name>/run.py) import this module by putting its folder on
`sys.path`, so each still runs as `python bench/<name>/run.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class BenchError(Exception):
    """The system could not be started, seeded or stopped: no measurement."""


# --------------------------------------------------------------------------------------------
# CPU accounting (Linux /proc; degrades to "unknown" elsewhere)
# --------------------------------------------------------------------------------------------


def all_processes() -> dict[int, tuple[str, float, float, int]]:
    """{pid: (name, CPU seconds with its reaped children's, CPU seconds of its own, parent pid)}
    for every process on the machine."""
    found = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    head, _, tail = f.read().rpartition(")")
                fields = tail.split()
                # utime + stime + cutime + cstime: a parent's share of reaped children counts,
                # so short-lived processes (PostgreSQL backends forked per connection, say) are
                # seen through the postmaster once they exit.
                seconds = sum(int(x) for x in fields[11:15]) / CLK_TCK
                own = sum(int(x) for x in fields[11:13]) / CLK_TCK
                parent = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
            found[int(entry.name)] = (head.partition("(")[2], seconds, own, parent)
    return found


def machine_cpu() -> dict[str, float] | None:
    """Jiffies over all cores from /proc/stat: total, busy, and the kernel's irq/steal parts."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    v += [0] * (8 - len(v))
    total = float(sum(v[:8]))
    return {
        "total": total,
        "busy": total - v[3] - v[4],
        "irq": float(v[5] + v[6]),  # hard + soft interrupts (loopback networking lands here)
        "steal": float(v[7]),  # time the hypervisor gave our vCPUs to someone else
    }


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        try:
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (IndexError, ValueError):
            continue
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def client_cpu_seconds() -> float:
    """CPU seconds of this process and of the child processes it has reaped: the load generator,
    whether it runs here (asyncio) or as a subprocess run to its end (pgbench)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass
class CpuSnapshot:
    at: float
    client: float
    processes: dict[int, tuple[str, float, float, int]]
    machine: dict[str, float] | None
    # PostgreSQL's process titles (which database a backend serves), read while they run.
    postgres_titles: dict[int, str]

    @classmethod
    def take(cls) -> CpuSnapshot:
        processes = all_processes()
        titles = {pid: cmdline(pid) for pid, (comm, *_) in processes.items() if comm == "postgres"}
        return cls(time.perf_counter(), client_cpu_seconds(), processes, machine_cpu(), titles)


# A client backend's title: "postgres: [cluster: ]user database host(port) state".
CLIENT_BACKEND = re.compile(r"\S+\(\d+\)|\[local\]")


def postgres_share(title: str, databases: Sequence[str]) -> str | None:
    """How a PostgreSQL process counts for a run on `databases`: "backend" (a connection to one
    of them), "postmaster", "server" (the WAL writer, the checkpointer, autovacuum ...: shared
    work), or None (another database's connection: someone else's work)."""
    if not title:
        return "server"  # gone before its title could be read
    if not title.startswith("postgres:"):
        return "postmaster"  # the only one whose title is still its command line
    if any(name in title for name in databases):
        return "backend"
    return None if CLIENT_BACKEND.search(title) else "server"


def cpu_usage(
    a: CpuSnapshot,
    b: CpuSnapshot,
    server_pids: dict[str, int],
    with_postgres: bool,
    pg_databases: Sequence[str] = (),
) -> dict[str, Any]:
    """CPU used between two snapshots, in cores (1.0 = one core fully busy).

    client: this process and the children it reaped in the window (see client_cpu_seconds);
    one entry per server in `server_pids` (social, commerce, ...); postgres (PostgreSQL runs
    only): every process named postgres, or, given `pg_databases`, only the connections to those
    databases and the server's shared processes, the postmaster without the backends it reaped
    (on a shared server, other databases' short-lived connections end up there); kernel_irq and
    steal from /proc/stat; other: the rest of the machine's busy time (neighbours on a shared
    machine), with the busiest of them named in other_top.
    """
    wall = b.at - a.at

    def used(pid: int, own: bool = False) -> float:
        # A process that started in the window counts in full; one that ended counts through
        # its parent's reaped-children time (see all_processes), unless `own`.
        _, total_after, own_after, _ = b.processes[pid]
        _, total_before, own_before, _ = a.processes.get(pid, ("", 0.0, 0.0, 0))
        return own_after - own_before if own else total_after - total_before

    def tree(pid: int) -> list[int]:
        """The process and its live descendants (a server's worker processes, say)."""
        found, todo = [pid], [pid]
        while todo:
            parent = todo.pop()
            kids = [p for p, (*_, ppid) in b.processes.items() if ppid == parent]
            found += kids
            todo += kids
        return found

    out: dict[str, Any] = {"client_cores": round((b.client - a.client) / wall, 3)}
    ours = {os.getpid()}
    for name, pid in server_pids.items():
        if pid not in b.processes:
            out[f"{name}_cores"] = None
            continue
        served_by = tree(pid)
        ours.update(served_by)
        out[f"{name}_cores"] = round(sum(used(p) for p in served_by) / wall, 3)
    if with_postgres:
        pg = [pid for pid, (comm, *_) in b.processes.items() if comm == "postgres"]
        if pg_databases:
            titles = {**a.postgres_titles, **b.postgres_titles}
            shares = {pid: postgres_share(titles.get(pid, ""), pg_databases) for pid in pg}
            pg = [pid for pid in pg if shares[pid]]
            seconds = sum(used(pid, own=shares[pid] == "postmaster") for pid in pg)
            backends = sum(used(pid) for pid in pg if shares[pid] == "backend")
            # The connections to these databases alone (no "_cores" suffix: a part of postgres).
            out["postgres_backends"] = round(max(0.0, backends) / wall, 3)
        else:
            seconds = sum(used(pid) for pid in pg)
        ours.update(pg)
        out["postgres_cores"] = round(max(0.0, seconds) / wall, 3)
    others = sorted(
        (
            (used(pid), f"{comm}[{pid}]")
            for pid, (comm, *_) in b.processes.items()
            if pid not in ours
        ),
        reverse=True,
    )
    out["other_top"] = [(name, round(sec / wall, 3)) for sec, name in others[:3] if sec > 0]
    if a.machine and b.machine:
        total = b.machine["total"] - a.machine["total"]
        if total > 0:
            cores = os.cpu_count() or 1
            share = {
                k: cores * (b.machine[k] - a.machine[k]) / total for k in ("busy", "irq", "steal")
            }
            out["machine_busy_cores"] = round(share["busy"], 3)
            out["kernel_irq_cores"] = round(share["irq"], 3)
            out["steal_cores"] = round(share["steal"], 3)
            accounted = sum(
                v
                for k, v in out.items()
                if k.endswith("_cores") and k != "machine_busy_cores" and v is not None
            )
            out["other_cores"] = round(max(0.0, share["busy"] - accounted), 3)
    return out


# --------------------------------------------------------------------------------------------
# Starting and stopping the system
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This environment without any KERANJANG_* setting, so the run is hermetic."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERANJANG_")}
    env["COLUMNS"] = "200"  # keep rich's output on one line per row in our log
    env["PYTHONUNBUFFERED"] = "1"
    return env


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def alive(proc: subprocess.Popen[bytes]) -> bool:
    return proc.poll() is None


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 20
) -> None:
    """Ask `proc` to stop, then end whatever is left of the process group it leads."""
    if alive(proc):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # The process was started with start_new_session=True: its group id is its pid.
    for group_sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, group_sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.1)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1)


def wait_healthy(urls: list[str], procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending:
        for proc in procs:
            if not alive(proc):
                raise BenchError(f"a process exited with code {proc.returncode} while starting")
        for url in list(pending):
            with contextlib.suppress(OSError):
                if http_get(f"{url}/healthz")[0] == 200:
                    pending.remove(url)
        if pending and time.monotonic() > deadline:
            raise BenchError(f"not healthy after {timeout:.0f}s: {', '.join(pending)}")
        time.sleep(0.2)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_service(
    name: str, env: dict[str, str], log_path: Path, *options: str
) -> subprocess.Popen[bytes]:
    """`python -m keranjang serve NAME` with the project's own Python, in its own process group
    (so `stop_process` can end whatever it leaves behind), output to `log_path`. It runs in the
    log's folder: `keranjang` comes from the installed package (or PYTHONPATH), never from
    whatever folder the benchmark was started in, and nothing lands in that folder."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "keranjang", "serve", name, *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log_path.parent,
            start_new_session=True,
        )


def stop_services(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to all at once (they stop in parallel), then each one's group, with a grace."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        stop_process(proc, signal.SIGTERM, grace=15)


def pg_database_url(admin_url: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + dbname))


def pg_admin_conninfo(admin_url: str) -> str:
    return admin_url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def postgres_databases(admin_url: str, purposes: Sequence[str]) -> Iterator[dict[str, str]]:
    """A fresh database per purpose (`keranjang_bench_<purpose>_<pid>_<random>`), as
    {purpose: URL}; all dropped WITH (FORCE) at the end, whatever happened."""
    import psycopg
    from psycopg import sql

    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    names = {svc: f"keranjang_bench_{svc}_{suffix}" for svc in purposes}
    created: list[str] = []
    try:
        try:
            with psycopg.connect(pg_admin_conninfo(admin_url), autocommit=True) as conn:
                for name in names.values():
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    created.append(name)
        except psycopg.Error as exc:
            raise BenchError(f"could not create the bench databases via --pg-url: {exc}") from exc
        yield {svc: pg_database_url(admin_url, name) for svc, name in names.items()}
    finally:
        if created:
            with psycopg.connect(pg_admin_conninfo(admin_url), autocommit=True) as conn:
                for name in created:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )


def pg_session_counter(admin_url: str, db_urls: dict[str, str]) -> Callable[[], int | None]:
    """Sessions ever opened on our databases (pg_stat_database.sessions, PostgreSQL 14+)."""
    import psycopg

    names = [urllib.parse.urlsplit(url).path.lstrip("/") for url in db_urls.values()]

    def count() -> int | None:
        try:
            with psycopg.connect(pg_admin_conninfo(admin_url), autocommit=True) as conn:
                row = conn.execute(
                    "SELECT sum(sessions) FROM pg_stat_database WHERE datname = ANY(%s)", [names]
                ).fetchone()
        except psycopg.Error:
            return None
        return None if row is None or row[0] is None else int(row[0])

    return count


def pct(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


@dataclass
class PhaseResult:
    name: str
    unit: str
    connections: int
    seconds: float
    completed: int
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: int
    error_samples: list[str]
    cpu: dict[str, Any]
    step_p50_ms: dict[str, float] = field(default_factory=dict)
    step_p99_ms: dict[str, float] = field(default_factory=dict)
    # PostgreSQL only: new database connections per second (pool churn shows up here).
    db_sessions_per_s: float | None = None
    # Ops completed in the whole phase: warm-up, window and the drain after it.
    completed_all: int = 0


W = TypeVar("W")
# One operation of a worker: its state (client, buyer, ...) and its random generator in; the
# durations of its steps (seconds) out. Raises OpFailed (or anything) when it fails.
Op = Callable[[W, random.Random], Awaitable[dict[str, float]]]


class Observed(Protocol):
    """What the load generator watches while it loads a system."""

    # name -> pid of each server process, for the CPU table
    server_pids: dict[str, int]
    # "postgresql" adds PostgreSQL's processes to the CPU table
    database: str
    # PostgreSQL only: sessions ever opened on the bench databases (connection churn)
    db_sessions: Callable[[], int | None] | None


class OpFailed(Exception):
    pass


async def closed_loop(
    name: str,
    unit: str,
    op: Op[W],
    worker_state: Callable[[int], W],
    connections: int,
    warmup: float,
    seconds: float,
    system: Observed,
    rate: float | None = None,
    latency_step: str | None = None,
    pg_databases: Sequence[str] = (),
) -> PhaseResult:
    """`connections` workers each run `op` back to back; only ops ending in the window count.

    Worker `i` passes `worker_state(i)` to every op it runs (its client, its buyer, ...). An op
    returns the durations of its steps; the op's latency is from its start to its end, or, with
    `latency_step`, that step's duration (to leave out a preparatory step).

    With `rate`, the loop is open instead: ops start on a fixed schedule of `rate` per second,
    taken in turn by whichever worker is free, and latency counts from the *scheduled* start, so
    a server that falls behind is charged for the queue it builds (no coordinated omission).
    With `pg_databases`, PostgreSQL's CPU is that of those databases (see cpu_usage)."""
    server_pids = system.server_pids
    with_postgres = system.database == "postgresql"
    stop = False
    records: list[tuple[float, float, dict[str, float]]] = []  # (start, end, step durations)
    errors: Counter[str] = Counter()

    schedule_start = time.perf_counter() + 0.01
    slots = itertools.count()

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine = worker_state(seed)
        while not stop:
            started = time.perf_counter()
            if rate is not None:
                started = schedule_start + next(slots) / rate
                if (delay := started - time.perf_counter()) > 0:
                    await asyncio.sleep(delay)
                if stop:
                    break
            try:
                steps = await op(mine, rng)
            except OpFailed as exc:
                errors[str(exc)] += 1
            except Exception as exc:  # a transport error is a failed op, reported, not fatal
                errors[f"{type(exc).__name__}: {exc}"[:200]] += 1
            else:
                records.append((started, time.perf_counter(), steps))
                continue
            await asyncio.sleep(0.05)  # do not spin on a server that refuses at once

    tasks = [asyncio.create_task(worker(i)) for i in range(connections)]
    try:
        await asyncio.sleep(warmup)
        counter = system.db_sessions
        # The counter opens a database connection: off the event loop, not to stall the load.
        sessions_before = await asyncio.to_thread(counter) if counter else None
        before = CpuSnapshot.take()
        await asyncio.sleep(seconds)
        after = CpuSnapshot.take()
        sessions_after = await asyncio.to_thread(counter) if counter else None
        stop = True
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    finally:
        for t in tasks:
            t.cancel()
    window = [(s, e, st) for s, e, st in records if before.at <= e <= after.at]
    wall = after.at - before.at
    latencies = sorted(1000 * (st[latency_step] if latency_step else e - s) for s, e, st in window)
    step_names = sorted({k for _, _, st in window for k in st})
    step_lat = {k: sorted(st[k] * 1000 for _, _, st in window if k in st) for k in step_names}
    return PhaseResult(
        name=name,
        unit=unit,
        connections=connections,
        seconds=round(wall, 3),
        completed=len(window),
        per_second=round(len(window) / wall, 1),
        p50_ms=round(pct(latencies, 50), 2),
        p90_ms=round(pct(latencies, 90), 2),
        p99_ms=round(pct(latencies, 99), 2),
        max_ms=round(latencies[-1], 2) if latencies else float("nan"),
        mean_ms=round(statistics.fmean(latencies), 2) if latencies else float("nan"),
        errors=sum(errors.values()),
        error_samples=[f"{n} x {msg}" for msg, n in errors.most_common(5)],
        cpu=cpu_usage(before, after, server_pids, with_postgres, pg_databases),
        db_sessions_per_s=(
            None
            if sessions_before is None or sessions_after is None
            else round((sessions_after - sessions_before) / wall, 1)
        ),
        step_p50_ms={k: round(pct(v, 50), 2) for k, v in step_lat.items()},
        step_p99_ms={k: round(pct(v, 99), 2) for k, v in step_lat.items()},
        completed_all=len(records),
    )


# --------------------------------------------------------------------------------------------
# Optional profiles of the servers during a phase (py-spy)
# --------------------------------------------------------------------------------------------


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


PROFILE_VIEWS = {
    # Samples of the thread holding the GIL: where the Python CPU time goes.
    "cpu": ["--gil"],
    # Samples of every thread not idle: also shows waits outside the GIL (database, locks).
    "wall": [],
}


def start_profiles(
    spy: str, pids: dict[str, int], delay: float, seconds: float, outdir: Path
) -> dict[str, tuple[subprocess.Popen[bytes], Path]]:
    """py-spy record (collapsed stacks) of each server, both views, after `delay` seconds."""
    started = {}
    for name, pid in pids.items():
        for view, flags in PROFILE_VIEWS.items():
            out = outdir / f"{name}.{view}.folded"
            cmd = [
                "sh",
                "-c",
                f'sleep {delay:.2f}; exec "$0" "$@"',
                spy,
                "record",
                "--pid", str(pid),
                "--duration", str(max(1, round(seconds))),
                "--rate", "100",
                "--format", "raw",
                "--nonblocking",
                "--output", str(out),
                *flags,
            ]  # fmt: skip
            proc = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
            started[f"{name}.{view}"] = (proc, out)
    return started


def idle_stack(frames: list[str]) -> bool:
    """A thread-pool worker waiting for work, or the event loop waiting in its selector."""
    names = [f.partition(" (")[0] for f in frames]
    if "WorkerThread.run" in names:
        after = names[names.index("WorkerThread.run") + 1 :]
        return not after or after[0] == "Queue.get"
    return bool(names) and names[-1] in {"select", "_run_once", "Runner.run", "run_forever"}


def summarise_folded(path: Path, top: int = 12) -> dict[str, Any]:
    """Top frames by share of (non-idle) samples, from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        try:
            count = int(count_text)
        except ValueError:
            continue
        frames = [f for f in stack.split(";") if f]
        if idle_stack(frames):
            idle += count
            continue
        total += count
        seen = set()
        for frame in frames:
            key = short_frame(frame)
            if key not in seen:
                seen.add(key)
                inclusive[key] += count
        leaf[short_frame(frames[-1]) if frames else "(no Python frame)"] += count
    share = lambda n: round(100 * n / total, 1) if total else 0.0  # noqa: E731
    return {
        "samples": total,
        "idle_samples_dropped": idle,
        "inclusive_pct": [(f, share(n)) for f, n in inclusive.most_common(80)],
        "self_pct": [(f, share(n)) for f, n in leaf.most_common(top)],
    }


def short_frame(frame: str) -> str:
    """`func (path/to/module.py:123)` -> `func (module.py)`; line numbers dropped to aggregate."""
    func, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file = where.rsplit(":", 1)[0]
    parts = Path(file).parts
    if "site-packages" in parts:
        file = "/".join(parts[parts.index("site-packages") + 1 :][:1] + parts[-1:])
    elif "keranjang" in parts:
        file = "/".join(parts[parts.index("keranjang") :])
    else:
        file = parts[-1] if parts else file
    return f"{func} ({file})"


def collect_profiles(
    spy_runs: dict[str, tuple[subprocess.Popen[bytes], Path]], keep_in: str | None
) -> dict[str, Any]:
    """Wait for the py-spy runs, summarise each, and copy the raw stacks to `keep_in`."""
    profiles = {}
    for name, (proc, out) in spy_runs.items():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop_process(proc, signal.SIGINT, grace=5)
        if out.exists():
            profiles[name] = summarise_folded(out)
            if keep_in:
                dest = Path(keep_in)
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(out, dest / out.name)
    return profiles


def print_profiles(profiles: dict[str, Any], during: str) -> None:
    for name, prof in profiles.items():
        server, _, view = name.partition(".")
        what = "thread holding the GIL" if view == "cpu" else "busy threads, waits included"
        print(
            f"\npy-spy, {server} during {during}, {view} view "
            f"({prof['samples']} samples of the {what}):"
        )
        print("  self:      " + "; ".join(f"{f} {p}%" for f, p in prof["self_pct"][:8]))
        noise = ("threading.py", "runpy", "__main__", "cli.py", "core.py", "main.py", "_api.py")
        inclusive = [(f, p) for f, p in prof["inclusive_pct"] if not any(k in f for k in noise)]
        print("  inclusive: " + "; ".join(f"{f} {p}%" for f, p in inclusive[:16]))


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


def print_phase_rows(
    phases: dict[str, dict[str, Any]],
    cpu_columns: Sequence[str],
    *,
    suffix: str = "",
    width: int = 20,
) -> None:
    """One line per phase (rate, latencies, errors, CPU in cores; `suffix` after the name), with
    the PostgreSQL connection churn and, on a noisy machine, the busiest other processes."""
    for name, p in phases.items():
        c = p["cpu"]
        cpu = " / ".join("-" if c.get(k) is None else f"{c[k]:.2f}" for k in cpu_columns)
        print(
            f"{name + suffix:<{width}}{p['per_second']:>9.1f}{p['p50_ms']:>9.1f}"
            f"{p['p99_ms']:>9.1f}{p['max_ms']:>9.1f}{p['errors']:>8}   {cpu}"
        )
        if p.get("db_sessions_per_s") is not None:
            print(f"{'':<{width}}new PostgreSQL connections: {p['db_sessions_per_s']:.1f}/s")
        if (c.get("other_cores") or 0) >= 0.2 and c.get("other_top"):
            top = ", ".join(f"{n} {v:.2f}" for n, v in c["other_top"])
            print(f"{'':<{width}}other processes: {top}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the service code had uncommitted changes."""
    repo = BENCH_DIR.parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--", "keranjang", "pyproject.toml")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


def finite(value: Any) -> Any:
    """The result with NaN (no sample) as null, so the file is strict JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def terminate(signum: int, _frame: object) -> None:
    """SIGTERM handler: unwind like Ctrl-C does, so every `finally` cleans up."""
    raise SystemExit(128 + signum)

#!/usr/bin/env python3
"""Yellow-cart hand-off benchmark: hand-offs per second against a `/healthz` baseline.

Starts Keranjang (social + commerce) on free ports in a temporary data folder, measures

1. closed-loop `/healthz` load on social, then on commerce (the baseline: same server stack,
   same client, same machine, same minute);
2. closed-loop yellow-cart hand-offs: GET social `/cart/{pin}` (no redirect following), then GET
   the `Location` on commerce, complete only on 200 with the product page;

prints a table, writes JSON to bench/results/, and always stops what it started (processes and,
with `--database postgresql`, the databases it created).

    python bench/handoff/run.py [--seconds 10] [--connections 64] [--database sqlite|postgresql]

Exit status: 0 when the measurement ran cleanly (targets missed or not), 1 when any request
failed, 2 when the system could not be started or seeded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE.parent / "results"
PRODUCT_MARKER = 'data-testid="product-page"'
TARGET_RATIO = 0.25
TARGET_P99_MS = 50.0
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class BenchError(Exception):
    """The system could not be started, seeded or stopped: no measurement."""


# --------------------------------------------------------------------------------------------
# CPU accounting (Linux /proc; degrades to "unknown" elsewhere)
# --------------------------------------------------------------------------------------------


def all_processes() -> dict[int, tuple[str, float]]:
    """{pid: (name, CPU seconds, reaped children included)} for every process on the machine."""
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
            except (OSError, IndexError, ValueError):
                continue
            found[int(entry.name)] = (head.partition("(")[2], seconds)
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


@dataclass
class CpuSnapshot:
    at: float
    client: float
    processes: dict[int, tuple[str, float]]
    machine: dict[str, float] | None

    @classmethod
    def take(cls) -> CpuSnapshot:
        return cls(time.perf_counter(), time.process_time(), all_processes(), machine_cpu())


def cpu_usage(
    a: CpuSnapshot, b: CpuSnapshot, server_pids: dict[str, int], with_postgres: bool
) -> dict[str, Any]:
    """CPU used between two snapshots, in cores (1.0 = one core fully busy).

    client, social, commerce: our processes; postgres (PostgreSQL runs only): every process
    named postgres; kernel_irq and steal from /proc/stat; other: the rest of the machine's busy
    time (neighbours on a shared machine), with the busiest of them named in other_top.
    """
    wall = b.at - a.at

    def used(pid: int) -> float:
        # A process that started in the window counts in full; one that ended counts through
        # its parent's reaped-children time (see all_processes).
        return b.processes[pid][1] - a.processes.get(pid, ("", 0.0))[1]

    out: dict[str, Any] = {"client_cores": round((b.client - a.client) / wall, 3)}
    ours = {os.getpid()}
    for name, pid in server_pids.items():
        ours.add(pid)
        out[f"{name}_cores"] = round(used(pid) / wall, 3) if pid in b.processes else None
    if with_postgres:
        pg = [pid for pid, (comm, _) in b.processes.items() if comm == "postgres"]
        ours.update(pg)
        out["postgres_cores"] = round(max(0.0, sum(used(pid) for pid in pg)) / wall, 3)
    others = sorted(
        (
            (used(pid), f"{comm}[{pid}]")
            for pid, (comm, _) in b.processes.items()
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


@dataclass
class System:
    social_url: str
    commerce_url: str
    data_dir: Path
    database: str
    server_pids: dict[str, int] = field(default_factory=dict)
    # PostgreSQL only: sessions (connections) opened so far on the bench databases.
    db_sessions: Callable[[], int | None] | None = None


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


@contextlib.contextmanager
def sqlite_system(workdir: Path) -> Iterator[System]:
    """`keranjang up` on free ports, SQLite files in `workdir`; stopped with SIGTERM."""
    data_dir = workdir / "data"
    log_path = workdir / "up.log"
    social_port, commerce_port = free_port(), free_port()
    cmd = [
        sys.executable,
        "-m",
        "keranjang",
        "up",
        "--data-dir",
        str(data_dir),
        "--social-port",
        str(social_port),
        "--commerce-port",
        str(commerce_port),
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while "Keranjang is running" not in log_path.read_text(errors="replace"):
            if not alive(proc):
                raise BenchError(f"`keranjang up` exited ({proc.returncode}):\n{tail(log_path)}")
            if time.monotonic() > deadline:
                raise BenchError(f"`keranjang up` not ready after 120s:\n{tail(log_path)}")
            time.sleep(0.2)
        system = System(
            f"http://127.0.0.1:{social_port}",
            f"http://127.0.0.1:{commerce_port}",
            data_dir,
            "sqlite",
        )
        for pid in children_of(proc.pid):
            line = cmdline(pid)
            for name in ("social", "commerce"):
                if f"serve {name}" in line:
                    system.server_pids[name] = pid
        yield system
    finally:
        # `up` turns SIGTERM into a clean stop of both services once it has seeded; a stop
        # earlier than that, or a hung child, is handled by ending the process group.
        stop_process(proc, signal.SIGTERM)


def pg_database_url(admin_url: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + dbname))


def pg_admin_conninfo(admin_url: str) -> str:
    return admin_url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def postgres_databases(admin_url: str) -> Iterator[dict[str, str]]:
    """Two fresh databases (social, commerce), dropped WITH (FORCE) at the end."""
    import psycopg
    from psycopg import sql

    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    names = {svc: f"keranjang_bench_{svc}_{suffix}" for svc in ("social", "commerce")}
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


@contextlib.contextmanager
def postgres_system(workdir: Path, admin_url: str) -> Iterator[System]:
    """`keranjang serve social|commerce` on fresh PostgreSQL databases, then `keranjang seed`."""
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True)
    token = secrets.token_urlsafe(32)
    token_file = data_dir / "operator-token"
    token_file.touch(mode=0o600)
    token_file.write_text(token)
    social_port, commerce_port = free_port(), free_port()
    social = f"http://127.0.0.1:{social_port}"
    commerce = f"http://127.0.0.1:{commerce_port}"
    with postgres_databases(admin_url) as db_urls:
        env = {
            **clean_env(),
            "KERANJANG_DATA_DIR": str(data_dir),
            "KERANJANG_SOCIAL_HOST": "127.0.0.1",
            "KERANJANG_SOCIAL_PORT": str(social_port),
            "KERANJANG_SOCIAL_PUBLIC_URL": social,
            "KERANJANG_SOCIAL_COMMERCE_URL": commerce,
            "KERANJANG_SOCIAL_ADMIN_TOKEN": token,
            "KERANJANG_SOCIAL_DATABASE_URL": db_urls["social"],
            "KERANJANG_COMMERCE_HOST": "127.0.0.1",
            "KERANJANG_COMMERCE_PORT": str(commerce_port),
            "KERANJANG_COMMERCE_PUBLIC_URL": commerce,
            "KERANJANG_COMMERCE_SOCIAL_URL": social,
            "KERANJANG_COMMERCE_ADMIN_TOKEN": token,
            "KERANJANG_COMMERCE_DATABASE_URL": db_urls["commerce"],
        }
        procs: dict[str, subprocess.Popen[bytes]] = {}
        logs = {name: workdir / f"{name}.log" for name in ("social", "commerce")}
        try:
            for name in ("social", "commerce"):
                with open(logs[name], "wb") as log:
                    procs[name] = subprocess.Popen(
                        [sys.executable, "-m", "keranjang", "serve", name],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        start_new_session=True,
                    )
            try:
                wait_healthy([social, commerce], list(procs.values()), timeout=60)
            except BenchError as exc:
                detail = "\n".join(f"--- {n}.log\n{tail(p)}" for n, p in logs.items())
                raise BenchError(f"{exc}\n{detail}") from exc
            seed = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "keranjang",
                    "seed",
                    "--data-dir",
                    str(data_dir),
                    "--social-url",
                    social,
                    "--commerce-url",
                    commerce,
                ],
                env=env,
                capture_output=True,
                timeout=180,
                check=False,
            )
            if seed.returncode != 0:
                out = (seed.stdout + seed.stderr).decode(errors="replace")
                raise BenchError(f"`keranjang seed` failed ({seed.returncode}):\n{out[-3000:]}")
            yield System(
                social,
                commerce,
                data_dir,
                "postgresql",
                {name: proc.pid for name, proc in procs.items()},
                pg_session_counter(admin_url, db_urls),
            )
        finally:
            for proc in procs.values():
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                stop_process(proc, signal.SIGTERM, grace=15)


def existing_pins(social_url: str) -> list[int]:
    status, body = http_get(f"{social_url}/api/content?limit=100", timeout=10)
    if status != 200:
        raise BenchError(f"GET /api/content answered {status}")
    pins = sorted({p["id"] for c in json.loads(body) for p in c["pins"]})
    if not pins:
        raise BenchError("the seeded marketplace has no pins")
    return pins


# --------------------------------------------------------------------------------------------
# Load generation: one asyncio event loop, N workers in a closed loop
# --------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


class Client:
    """The few calls the benchmark makes, over aiohttp or httpx (same interface for both)."""

    name = "?"

    async def get(self, url: str, *, body: bool) -> Response:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class AiohttpClient(Client):
    def __init__(self, connections: int) -> None:
        import aiohttp
        import yarl

        self._yarl = yarl
        self.name = f"aiohttp {aiohttp.__version__}"
        # One request at a time per worker: at most `connections` per host, kept alive.
        connector = aiohttp.TCPConnector(limit=2 * connections, limit_per_host=connections)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=30),
            headers={"Accept": "text/html,application/json"},
        )

    async def get(self, url: str, *, body: bool) -> Response:
        # encoded=True: send the hand-off token exactly as social wrote it.
        async with self._session.get(self._yarl.URL(url, encoded=True), allow_redirects=False) as r:
            if body:
                text = await r.text()
            else:
                await r.read()
                text = ""
            return Response(r.status, {"location": r.headers.get("Location", "")}, text)

    async def close(self) -> None:
        await self._session.close()


class HttpxClient(Client):
    """httpx: one AsyncClient per worker (measured: a shared pool of 64 is far slower)."""

    def __init__(self, connections: int) -> None:
        import httpx

        self._httpx = httpx
        self.name = f"httpx {httpx.__version__}"
        self._workers: list[HttpxWorker] = []

    def for_worker(self) -> Client:
        client = self._httpx.AsyncClient(
            timeout=30,
            follow_redirects=False,
            limits=self._httpx.Limits(max_connections=2, max_keepalive_connections=2),
            headers={"Accept": "text/html,application/json"},
        )
        worker = HttpxWorker(client, self.name)
        self._workers.append(worker)
        return worker

    async def get(self, url: str, *, body: bool) -> Response:
        raise NotImplementedError("use for_worker()")

    async def close(self) -> None:
        for worker in self._workers:
            await worker.close()


class HttpxWorker(Client):
    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self.name = name

    async def get(self, url: str, *, body: bool) -> Response:
        r = await self._client.get(url)
        text = r.text if body else ""
        return Response(r.status_code, {"location": r.headers.get("location", "")}, text)

    async def close(self) -> None:
        await self._client.aclose()


def make_client(kind: str, connections: int) -> Client:
    if kind == "aiohttp":
        return AiohttpClient(connections)
    return HttpxClient(connections)


def worker_client(client: Client) -> Client:
    return client.for_worker() if isinstance(client, HttpxClient) else client


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


Op = Callable[[Client, random.Random], Awaitable[dict[str, float]]]


class OpFailed(Exception):
    pass


async def closed_loop(
    name: str,
    unit: str,
    op: Op,
    client: Client,
    connections: int,
    warmup: float,
    seconds: float,
    system: System,
    rate: float | None = None,
) -> PhaseResult:
    """`connections` workers each run `op` back to back; only ops ending in the window count.

    With `rate`, the loop is open instead: ops start on a fixed schedule of `rate` per second,
    taken in turn by whichever worker is free, and latency counts from the *scheduled* start, so
    a server that falls behind is charged for the queue it builds (no coordinated omission)."""
    server_pids = system.server_pids
    with_postgres = system.database == "postgresql"
    stop = False
    records: list[tuple[float, float, dict[str, float]]] = []  # (start, end, step durations)
    errors: Counter[str] = Counter()

    schedule_start = time.perf_counter() + 0.01
    slots = itertools.count()

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine = worker_client(client)
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
    latencies = sorted((e - s) * 1000 for s, e, _ in window)
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
        cpu=cpu_usage(before, after, server_pids, with_postgres),
        db_sessions_per_s=(
            None
            if sessions_before is None or sessions_after is None
            else round((sessions_after - sessions_before) / wall, 1)
        ),
        step_p50_ms={k: round(pct(v, 50), 2) for k, v in step_lat.items()},
        step_p99_ms={k: round(pct(v, 99), 2) for k, v in step_lat.items()},
    )


def healthz_op(url: str) -> Op:
    async def op(client: Client, _rng: random.Random) -> dict[str, float]:
        r = await client.get(url, body=True)
        if r.status != 200 or '"ok"' not in r.body:
            raise OpFailed(f"healthz answered {r.status}: {r.body[:120]}")
        return {}

    return op


def handoff_op(social_url: str, pins: list[int]) -> Op:
    async def op(client: Client, rng: random.Random) -> dict[str, float]:
        t0 = time.perf_counter()
        cart = await client.get(f"{social_url}/cart/{rng.choice(pins)}", body=False)
        t1 = time.perf_counter()
        location = cart.headers.get("location", "")
        if cart.status != 302 or "/handoff?token=" not in location:
            raise OpFailed(f"cart answered {cart.status} (Location {location[:80]!r})")
        page = await client.get(location, body=True)
        t2 = time.perf_counter()
        if page.status != 200 or PRODUCT_MARKER not in page.body:
            raise OpFailed(f"hand-off landing answered {page.status}: {page.body[:120]!r}")
        return {"cart_302": t1 - t0, "landing_200": t2 - t1}

    return op


# --------------------------------------------------------------------------------------------
# Optional profile of the servers during the hand-off phase (py-spy)
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


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


async def measure(system: System, args: argparse.Namespace) -> dict[str, Any]:
    """`--rounds` rounds of: healthz social, healthz commerce, hand-off (interleaved)."""
    pins = existing_pins(system.social_url)
    client = make_client(args.client, args.connections)
    rounds: list[dict[str, PhaseResult]] = []
    profiles: dict[str, Any] = {}
    n = args.connections

    async def phase(name: str, unit: str, op: Op) -> PhaseResult:
        return await closed_loop(name, unit, op, client, n, args.warmup, args.seconds, system)

    try:
        for r in range(1, args.rounds + 1):
            tag = f"round {r}/{args.rounds}: " if args.rounds > 1 else ""
            phases: dict[str, PhaseResult] = {}
            for svc, url in (("social", system.social_url), ("commerce", system.commerce_url)):
                print(f"  {tag}healthz {svc}, {n} connections, {args.seconds:g}s", flush=True)
                phases[f"healthz_{svc}"] = await phase(
                    f"healthz_{svc}", "req", healthz_op(f"{url}/healthz")
                )
                await asyncio.sleep(0.5)
            spy_runs = {}
            if args.profile and r == 1:
                spy = py_spy()
                if spy is None:
                    print("  --profile: py-spy not found (pip install py-spy); skipped", flush=True)
                else:
                    workdir = Path(args.workdir)
                    pids = system.server_pids
                    spy_runs = start_profiles(spy, pids, args.warmup, args.seconds, workdir)
            print(
                f"  {tag}hand-off, {n} connections, {args.seconds:g}s, {len(pins)} pins", flush=True
            )
            phases["handoff"] = await phase(
                "handoff", "hand-off", handoff_op(system.social_url, pins)
            )
            # Latency at the target throughput: an open loop paced at TARGET_RATIO x baseline.
            baseline = (
                phases["healthz_social"].per_second + phases["healthz_commerce"].per_second
            ) / 2
            paced_rate = TARGET_RATIO * baseline
            print(
                f"  {tag}hand-off paced at {paced_rate:.0f}/s ({TARGET_RATIO:g} x baseline), "
                f"{n} connections, {args.seconds:g}s",
                flush=True,
            )
            await asyncio.sleep(0.5)
            phases["handoff_paced"] = await closed_loop(
                "handoff_paced",
                "hand-off",
                handoff_op(system.social_url, pins),
                client,
                n,
                args.warmup,
                args.seconds,
                system,
                rate=paced_rate,
            )
            rounds.append(phases)
            await asyncio.sleep(0.5)
            for name, (proc, out) in spy_runs.items():
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    stop_process(proc, signal.SIGINT, grace=5)
                if out.exists():
                    profiles[name] = summarise_folded(out)
                    if args.profile_out:
                        dest = Path(args.profile_out)
                        dest.mkdir(parents=True, exist_ok=True)
                        shutil.copy(out, dest / out.name)
    finally:
        await client.close()
    return {"pins": len(pins), "client": client.name, "rounds": rounds, "profiles": profiles}


def summarise(rounds: list[dict[str, PhaseResult]]) -> dict[str, Any]:
    """Per round: baseline = mean of the two /healthz rates, ratio = hand-offs/s ÷ baseline.
    Over rounds: the median of each figure (one round: its figures)."""
    per_round = []
    for phases in rounds:
        social, commerce = phases["healthz_social"], phases["healthz_commerce"]
        h = phases["handoff"]
        baseline = (social.per_second + commerce.per_second) / 2
        per_round.append(
            {
                "healthz_social_rps": social.per_second,
                "healthz_commerce_rps": commerce.per_second,
                "baseline_rps": round(baseline, 1),
                "handoffs_per_s": h.per_second,
                "ratio": round(h.per_second / baseline, 3) if baseline else 0.0,
                "handoff_p50_ms": h.p50_ms,
                "handoff_p99_ms": h.p99_ms,
                "paced_per_s": phases["handoff_paced"].per_second,
                "paced_p50_ms": phases["handoff_paced"].p50_ms,
                "paced_p99_ms": phases["handoff_paced"].p99_ms,
            }
        )
    median = {k: round(statistics.median(r[k] for r in per_round), 3) for k in per_round[0]}
    every = [p for phases in rounds for p in phases.values()]
    client_cores = max(p.cpu.get("client_cores") or 0.0 for p in every)
    other_cores = max(p.cpu.get("other_cores") or 0.0 for p in every)
    return {
        **median,
        "baseline_rule": "mean of social's and commerce's /healthz requests per second",
        "aggregation": "median over rounds" if len(rounds) > 1 else "single round",
        "per_round": per_round,
        "targets": {"ratio_min": TARGET_RATIO, "p99_ms_max": TARGET_P99_MS},
        "ratio_pass": median["ratio"] >= TARGET_RATIO,
        "p99_pass": median["handoff_p99_ms"] < TARGET_P99_MS,
        "paced_p99_pass": median["paced_p99_ms"] < TARGET_P99_MS,
        "errors": sum(p.errors for p in every),
        "client_max_cores": client_cores,
        # One asyncio thread can use at most one core; near that, the client limits the rate.
        "client_bound": client_cores >= 0.9,
        # CPU used by processes that are not part of this run (a shared machine's neighbours).
        "other_max_cores": other_cores,
        "noisy": other_cores >= 0.2,
    }


CPU_COLUMNS = (
    "client_cores",
    "social_cores",
    "commerce_cores",
    "postgres_cores",
    "kernel_irq_cores",
    "steal_cores",
    "other_cores",
)


def print_report(result: dict[str, Any]) -> None:
    s = result["summary"]
    print()
    print(
        f"Keranjang hand-off benchmark  {result['timestamp']}  database={result['database']}  "
        f"client={result['client']}  connections={result['connections']}  "
        f"window={result['seconds']:g}s after {result['warmup']:g}s warm-up  "
        f"rounds={len(result['rounds'])}  cores={result['machine']['cpu_count']}  "
        f"code={result['code']['commit']}{'+dirty' if result['code']['dirty'] else ''}"
    )
    header = (
        f"{'phase':<20}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
        "   CPU cores: client / social / commerce / postgres / irq / steal / other"
    )
    print(header)
    print("-" * len(header))
    for r, phases in enumerate(result["rounds"], 1):
        for name, p in phases.items():
            label = f"{name} #{r}" if len(result["rounds"]) > 1 else name
            c = p["cpu"]
            cpu = " / ".join("-" if c.get(k) is None else f"{c[k]:.2f}" for k in CPU_COLUMNS)
            print(
                f"{label:<20}{p['per_second']:>9.1f}{p['p50_ms']:>9.1f}{p['p99_ms']:>9.1f}"
                f"{p['max_ms']:>9.1f}{p['errors']:>8}   {cpu}"
            )
            if p.get("db_sessions_per_s") is not None:
                print(f"{'':<20}new PostgreSQL connections: {p['db_sessions_per_s']:.1f}/s")
            if (c.get("other_cores") or 0) >= 0.2 and c.get("other_top"):
                top = ", ".join(f"{n} {v:.2f}" for n, v in c["other_top"])
                print(f"{'':<20}other processes: {top}")
        h = phases["handoff"]
        if h.get("step_p50_ms"):
            steps = ", ".join(
                f"{k} p50 {h['step_p50_ms'][k]:.1f} / p99 {h['step_p99_ms'][k]:.1f} ms"
                for k in h["step_p50_ms"]
            )
            print(f"{'':<20}hand-off steps: {steps}")
    print()
    if len(result["rounds"]) > 1:
        print(f"  Figures below are medians over {len(result['rounds'])} interleaved rounds.")
    verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    rows = [
        ("healthz social rps", f"{s['healthz_social_rps']:.1f}", ""),
        ("healthz commerce rps", f"{s['healthz_commerce_rps']:.1f}", ""),
        ("baseline rps", f"{s['baseline_rps']:.1f}", "mean of the two /healthz rates"),
        ("hand-offs/s", f"{s['handoffs_per_s']:.1f}", ""),
        (
            "ratio hand-offs/s ÷ baseline",
            f"{s['ratio']:.3f}",
            f"{verdict(s['ratio_pass'])} (target ≥ {TARGET_RATIO})",
        ),
        (
            f"hand-off p99 at {result['connections']} connections, saturated",
            f"{s['handoff_p99_ms']:.1f} ms",
            f"{verdict(s['p99_pass'])} (target < {TARGET_P99_MS:g} ms)",
        ),
        ("hand-off p50, saturated", f"{s['handoff_p50_ms']:.1f} ms", ""),
        (
            f"hand-off p99 paced at {s['paced_per_s']:.0f}/s",
            f"{s['paced_p99_ms']:.1f} ms",
            f"{verdict(s['paced_p99_pass'])} (target < {TARGET_P99_MS:g} ms, open loop)",
        ),
        (
            "client CPU (max over phases)",
            f"{s['client_max_cores']:.2f} cores",
            "client-bound!" if s["client_bound"] else "not the bottleneck",
        ),
        (
            "other processes (max)",
            f"{s['other_max_cores']:.2f} cores",
            "noisy machine: compare ratios, not rates" if s["noisy"] else "quiet machine",
        ),
        ("errors", str(s["errors"]), "FAIL" if s["errors"] else "none"),
    ]
    for label, value, note in rows:
        print(f"  {label:<36}{value:>14}   {note}")
    for r, phases in enumerate(result["rounds"], 1):
        for name, p in phases.items():
            for sample in p["error_samples"]:
                print(f"  error in {name} (round {r}): {sample}")
    for name, prof in result.get("profiles", {}).items():
        server, _, view = name.partition(".")
        what = "thread holding the GIL" if view == "cpu" else "busy threads, waits included"
        print(
            f"\npy-spy, {server} during the first hand-off phase, {view} view "
            f"({prof['samples']} samples of the {what}):"
        )
        print("  self:      " + "; ".join(f"{f} {p}%" for f, p in prof["self_pct"][:8]))
        noise = ("threading.py", "runpy", "__main__", "cli.py", "core.py", "main.py", "_api.py")
        inclusive = [(f, p) for f, p in prof["inclusive_pct"] if not any(k in f for k in noise)]
        print("  inclusive: " + "; ".join(f"{f} {p}%" for f, p in inclusive[:16]))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seconds", type=float, default=10, help="measured window per phase (10)")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured warm-up per phase (2)")
    p.add_argument("--connections", type=int, default=64, help="concurrent closed loops (64)")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the three phases, interleaved, and report medians (1)",
    )
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("KERANJANG_BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL maintenance database URL used to create and drop the bench databases "
        f"(default: $KERANJANG_BENCH_PG_URL or {DEFAULT_PG_URL})",
    )
    p.add_argument(
        "--client",
        choices=["aiohttp", "httpx"],
        default="aiohttp",
        help="load-generator HTTP client, used for every phase (aiohttp)",
    )
    p.add_argument("--no-uvloop", action="store_true", help="client on asyncio's default loop")
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the servers during the hand-off phase (slows them: not for comparisons)",
    )
    p.add_argument("--profile-out", help="folder to keep py-spy's collapsed stacks in")
    p.add_argument("--results-dir", default=str(RESULTS_DIR), help="where the JSON goes")
    args = p.parse_args(argv)
    if args.connections < 1 or args.rounds < 1 or args.seconds <= 0 or args.warmup < 0:
        p.error("--connections and --rounds must be ≥ 1, --seconds > 0, --warmup ≥ 0")
    return args


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the service code had uncommitted changes."""
    repo = HERE.parents[1]

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


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if args.client == "aiohttp":
        try:
            import aiohttp  # noqa: F401
        except ImportError:
            print(
                "aiohttp is not installed; falling back to --client httpx "
                "(much slower: see bench/README.md)",
                file=sys.stderr,
            )
            args.client = "httpx"
    loop_factory = None
    if not args.no_uvloop:
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            pass
    timestamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    code = code_version()
    with tempfile.TemporaryDirectory(prefix="keranjang-bench-") as workdir:
        args.workdir = workdir
        try:
            print(f"Starting Keranjang on {args.database} in a temporary folder ...", flush=True)
            started = time.monotonic()
            system_cm = (
                sqlite_system(Path(workdir))
                if args.database == "sqlite"
                else postgres_system(Path(workdir), args.pg_url)
            )
            with system_cm as system:
                print(
                    f"  up and seeded in {time.monotonic() - started:.1f}s: social "
                    f"{system.social_url}, commerce {system.commerce_url}",
                    flush=True,
                )
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    measured = runner.run(measure(system, args))
        except BenchError as exc:
            print(f"benchmark could not run: {exc}", file=sys.stderr)
            return 2
    rounds = measured["rounds"]
    result = {
        "benchmark": "handoff",
        "timestamp": timestamp,
        "database": args.database,
        "client": measured["client"] + (" + uvloop" if loop_factory else ""),
        "connections": args.connections,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "pins": measured["pins"],
        "code": code,
        "profiled": bool(measured["profiles"]),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "rounds": [{name: asdict(p) for name, p in r.items()} for r in rounds],
        "summary": summarise(rounds),
        "profiles": measured["profiles"],
    }
    print_report(result)
    results_dir = Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"handoff-{timestamp}.json"
    out.write_text(json.dumps(finite(result), indent=2, allow_nan=False) + "\n")
    print(f"\nResults written to {out}")
    return 1 if result["summary"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

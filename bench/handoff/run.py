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
import json
import os
import platform
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for `common`
from common import (
    DEFAULT_PG_URL,
    RESULTS_DIR,
    BenchError,
    Op,
    OpFailed,
    PhaseResult,
    alive,
    children_of,
    clean_env,
    closed_loop,
    cmdline,
    code_version,
    collect_profiles,
    finite,
    free_port,
    http_get,
    pg_session_counter,
    postgres_databases,
    print_phase_rows,
    print_profiles,
    py_spy,
    start_profiles,
    start_service,
    stop_process,
    stop_services,
    tail,
    terminate,
    verdict,
    wait_healthy,
)

PRODUCT_MARKER = 'data-testid="product-page"'
TARGET_RATIO = 0.25
TARGET_P99_MS = 50.0

# --------------------------------------------------------------------------------------------
# Starting and stopping the system
# --------------------------------------------------------------------------------------------


@dataclass
class System:
    social_url: str
    commerce_url: str
    data_dir: Path
    database: str
    server_pids: dict[str, int] = field(default_factory=dict)
    # PostgreSQL only: sessions (connections) opened so far on the bench databases.
    db_sessions: Callable[[], int | None] | None = None


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
    with postgres_databases(admin_url, ("social", "commerce")) as db_urls:
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
                procs[name] = start_service(name, env, logs[name])
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
            stop_services(list(procs.values()))


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
# The run
# --------------------------------------------------------------------------------------------


async def measure(system: System, args: argparse.Namespace) -> dict[str, Any]:
    """`--rounds` rounds of: healthz social, healthz commerce, hand-off (interleaved)."""
    pins = existing_pins(system.social_url)
    client = make_client(args.client, args.connections)
    rounds: list[dict[str, PhaseResult]] = []
    profiles: dict[str, Any] = {}
    n = args.connections

    def per_worker(_worker: int) -> Client:
        return worker_client(client)

    async def phase(name: str, unit: str, op: Op[Client]) -> PhaseResult:
        return await closed_loop(name, unit, op, per_worker, n, args.warmup, args.seconds, system)

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
                per_worker,
                n,
                args.warmup,
                args.seconds,
                system,
                rate=paced_rate,
            )
            rounds.append(phases)
            await asyncio.sleep(0.5)
            profiles.update(collect_profiles(spy_runs, args.profile_out))
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
        print_phase_rows(phases, CPU_COLUMNS, suffix=f" #{r}" if len(result["rounds"]) > 1 else "")
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
    print_profiles(result.get("profiles", {}), "the first hand-off phase")


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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, terminate)
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

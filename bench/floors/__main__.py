"""`python -m bench.floors`: see the package's text (`--help`) and bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

import psutil

import bench.floors
from bench.kit.errors import BenchError
from bench.kit.processes import free_port, local_url, stop_process, wait_healthy
from bench.kit.results import REPOSITORY
from bench.kit.tables import print_table, say

WARMUP_CALLS = 300
BODY = {"order_id": "KRJ-0123456789AB", "gross_amount": 215_000, "payment_type": "bank_transfer"}


def process_cpu(server: psutil.Process) -> float:
    """CPU seconds of the server process itself."""
    times = server.cpu_times()
    return times.user + times.system


def sync_calls(url: str, calls: int, server: psutil.Process) -> tuple[float, float]:
    """(caller, server) CPU seconds of `calls` calls through httpx's sync client."""
    import httpx

    with httpx.Client(timeout=10) as client:
        for _ in range(WARMUP_CALLS):
            client.post(url, json=BODY)
        mine, theirs = time.process_time(), process_cpu(server)
        for _ in range(calls):
            assert client.post(url, json=BODY).status_code == 201
        return time.process_time() - mine, process_cpu(server) - theirs


async def async_calls(url: str, calls: int, server: psutil.Process) -> tuple[float, float]:
    """(caller, server) CPU seconds of `calls` calls through httpx's async client."""
    import httpx

    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(WARMUP_CALLS):
            await client.post(url, json=BODY)
        mine, theirs = time.process_time(), process_cpu(server)
        for _ in range(calls):
            assert (await client.post(url, json=BODY)).status_code == 201
        return time.process_time() - mine, process_cpu(server) - theirs


def measure(calls: int) -> dict[str, tuple[float, float]]:
    """The server started in a process of its own, both clients' calls, the server stopped."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.floors.server", str(port)],
        cwd=REPOSITORY,
        start_new_session=True,
    )
    try:
        wait_healthy([local_url(port)], [server], timeout=30)
        url, served_by = f"{local_url(port)}/charge", psutil.Process(server.pid)
        return {
            "httpx sync client": sync_calls(url, calls, served_by),
            "httpx async client": asyncio.run(async_calls(url, calls, served_by)),
        }
    finally:
        stop_process(server)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.floors",
        description=bench.floors.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--calls", type=int, default=3000, help="measured calls per client (3000)")
    args = p.parse_args(argv)
    try:
        rows = measure(args.calls)
    except BenchError as exc:
        print(f"the server did not start: {exc}", file=sys.stderr)
        return 2
    say(f"Floors: {args.calls} calls each, one at a time, to an empty FastAPI POST endpoint")
    result, lines = {}, []
    for name, (mine, theirs) in rows.items():
        per_call, per_request = 1000 * mine / args.calls, 1000 * theirs / args.calls
        result[name] = {"caller_ms": round(per_call, 3), "server_ms": round(per_request, 3)}
        lines.append((name, f"{per_call:.3f}", f"{per_request:.3f}"))
    print_table(("caller", "caller CPU ms/call", "server CPU ms/request"), lines)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

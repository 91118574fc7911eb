#!/usr/bin/env python3
"""Floors: the CPU the stack itself spends on one HTTP request, with no application work.

A checkout is at least one request served by commerce, one call from commerce to the payment
partner through httpx, and one request served by the partner. This measures, on this machine and
in this run, what each of those costs when the endpoint does nothing but validate a small JSON
body and answer one:

1. serves `POST /charge` (FastAPI on uvicorn, a pydantic body, a JSON answer: the shape of the
   simulator's charge) from a process of its own;
2. calls it from this process with httpx's sync client, one call after another, then with its
   async client;
3. prints the CPU per call of the caller and per request of the server, from /proc and
   `time.process_time()`.

    python bench/floors/run.py [--calls 3000]

bench/README.md uses these floors to show what is left of the checkout benchmark's CPU budget.
"""

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for `common`
from common import CLK_TCK, free_port, http_get, stop_process

WARMUP_CALLS = 300
BODY = {"order_id": "KRJ-0123456789AB", "gross_amount": 215_000, "payment_type": "bank_transfer"}


def serve() -> None:
    """The server process: one endpoint, as little as FastAPI allows."""
    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Charge(BaseModel):
        order_id: str
        gross_amount: int
        payment_type: str

    app = FastAPI()

    @app.post("/charge", status_code=201)
    async def charge(body: Charge) -> dict[str, object]:
        return {"order_id": body.order_id, "gross_amount": body.gross_amount, "status": "pending"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, port=int(sys.argv[2]), log_level="warning", access_log=False)


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def sync_calls(url: str, calls: int, server: int) -> tuple[float, float]:
    import httpx

    with httpx.Client(timeout=10) as client:
        for _ in range(WARMUP_CALLS):
            client.post(url, json=BODY)
        mine, theirs = time.process_time(), process_cpu(server)
        for _ in range(calls):
            assert client.post(url, json=BODY).status_code == 201
        return time.process_time() - mine, process_cpu(server) - theirs


async def async_calls(url: str, calls: int, server: int) -> tuple[float, float]:
    import httpx

    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(WARMUP_CALLS):
            await client.post(url, json=BODY)
        mine, theirs = time.process_time(), process_cpu(server)
        for _ in range(calls):
            assert (await client.post(url, json=BODY)).status_code == 201
        return time.process_time() - mine, process_cpu(server) - theirs


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--calls", type=int, default=3000, help="measured calls per client (3000)")
    args = p.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                print("the server did not start", file=sys.stderr)
                return 2
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/charge"
        rows = {
            "httpx sync client": sync_calls(url, args.calls, server.pid),
            "httpx async client": asyncio.run(async_calls(url, args.calls, server.pid)),
        }
    finally:
        stop_process(server)
    print(f"Floors: {args.calls} calls each, one at a time, to an empty FastAPI POST endpoint")
    print(f"{'caller':<22} {'caller CPU ms/call':>18} {'server CPU ms/request':>22}")
    result = {}
    for name, (mine, theirs) in rows.items():
        per_call, per_request = 1000 * mine / args.calls, 1000 * theirs / args.calls
        result[name] = {"caller_ms": round(per_call, 3), "server_ms": round(per_request, 3)}
        print(f"{name:<22} {per_call:>18.3f} {per_request:>22.3f}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve()
    else:
        sys.exit(main())

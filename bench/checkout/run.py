#!/usr/bin/env python3
"""Checkout benchmark: checkouts per second through HTTP on PostgreSQL, against pgbench's TPC-B
run on the same server in the same run.

Starts commerce and the payment simulator on fresh PostgreSQL databases and free ports, wired
together as `keranjang up` wires them, seeds merchants, products and buyers through the public
API, then measures, interleaved when `--rounds` > 1:

1. pgbench: `pgbench -c N -j 2 -T S` (TPC-B) on a database of its own on the same server;
2. carts (unmeasured): a pool of buyers per virtual buyer gets one product each in its cart
   through `PUT /api/cart/items/{id}` (the cart-add latency is reported from this pass);
3. checkout: N buyers in closed loops, each iteration taking the next prepared buyer of its pool
   and checking out with a fresh Idempotency-Key, creating the payment at the partner (in the
   checkout request when commerce accepts `payment_method`, else one payment request per
   order): only checkout work is in the measured window;

counts the SQL statements one checkout runs (commerce in-process on a database of its own),
checks the books at the end (orders, stock, payments), prints a table, writes JSON to
bench/results/, and always stops what it started (processes and the databases it created).

    python bench/checkout/run.py [--seconds 10] [--connections 32] [--rounds 3] [--show-sql]

Exit status: 0 when the measurement ran cleanly (targets missed or not), 1 when any request
failed or the books do not match, 2 when the system could not be started or seeded.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for `common`
from common import (
    DEFAULT_PG_URL,
    RESULTS_DIR,
    BenchError,
    CpuSnapshot,
    Observed,
    Op,
    OpFailed,
    PhaseResult,
    clean_env,
    closed_loop,
    code_version,
    collect_profiles,
    cpu_usage,
    finite,
    free_port,
    pct,
    pg_admin_conninfo,
    pg_session_counter,
    postgres_databases,
    print_phase_rows,
    print_profiles,
    py_spy,
    start_profiles,
    start_service,
    stop_services,
    tail,
    terminate,
    verdict,
    wait_healthy,
)

TARGET_RATIO = 0.25
TARGET_P99_MS = 100.0
TARGET_STATEMENTS = 12
PAYMENT_METHOD = "virtual_account"
ADDRESS = {
    "recipient": "Pembeli Bench",
    "phone": "+6281234567890",
    "street": "Jl. Malioboro No. 52",
    "city": "Yogyakarta",
    "postal_code": "55213",
}
CPU_COLUMNS = (
    "client_cores",
    "commerce_cores",
    "payments_cores",
    "postgres_cores",
    "kernel_irq_cores",
    "steal_cores",
    "other_cores",
)


# --------------------------------------------------------------------------------------------
# Starting and stopping the system
# --------------------------------------------------------------------------------------------


@dataclass
class System:
    """commerce and the payment simulator, running; what the load generator watches."""

    commerce_url: str
    payments_url: str
    operator_token: str
    payments_server_key: str
    db_urls: dict[str, str]
    server_pids: dict[str, int] = field(default_factory=dict)
    database: str = "postgresql"
    # Sessions ever opened on commerce's and the simulator's databases (connection churn).
    db_sessions: Callable[[], int | None] | None = None

    @property
    def pg_databases(self) -> list[str]:
        """Every database of this run: PostgreSQL's CPU is what works for them."""
        return [urllib.parse.urlsplit(url).path.lstrip("/") for url in self.db_urls.values()]


@contextlib.contextmanager
def postgres_system(workdir: Path, admin_url: str, commerce_workers: int = 1) -> Iterator[System]:
    """`keranjang serve payments|commerce` on fresh databases, wired like `keranjang up`; a
    pgbench database and an empty commerce database (for the statement count) beside them."""
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True)
    token = secrets.token_urlsafe(32)
    server_key = "SB-Mid-server-" + secrets.token_urlsafe(24)
    commerce_port, payments_port = free_port(), free_port()
    commerce = f"http://127.0.0.1:{commerce_port}"
    payments = f"http://127.0.0.1:{payments_port}"
    purposes = ("commerce", "payments", "pgbench", "sqlcount")
    with postgres_databases(admin_url, purposes) as db_urls:
        env = {
            **clean_env(),
            "KERANJANG_DATA_DIR": str(data_dir),
            "KERANJANG_COMMERCE_HOST": "127.0.0.1",
            "KERANJANG_COMMERCE_PORT": str(commerce_port),
            "KERANJANG_COMMERCE_PUBLIC_URL": commerce,
            # No social service in this run: hand-offs are not measured here.
            "KERANJANG_COMMERCE_SOCIAL_URL": f"http://127.0.0.1:{free_port()}",
            "KERANJANG_COMMERCE_ADMIN_TOKEN": token,
            "KERANJANG_COMMERCE_DATABASE_URL": db_urls["commerce"],
            "KERANJANG_COMMERCE_PAYMENTS_URL": payments,
            "KERANJANG_COMMERCE_PAYMENTS_SERVER_KEY": server_key,
            "KERANJANG_PAYMENTS_HOST": "127.0.0.1",
            "KERANJANG_PAYMENTS_PORT": str(payments_port),
            "KERANJANG_PAYMENTS_PUBLIC_URL": payments,
            "KERANJANG_PAYMENTS_ADMIN_TOKEN": token,
            "KERANJANG_PAYMENTS_SERVER_KEY": server_key,
            "KERANJANG_PAYMENTS_DATABASE_URL": db_urls["payments"],
            # The simulator notifies commerce of every payment (pending, then paid or expired),
            # as it does under `keranjang up`: that load is part of a checkout.
            "KERANJANG_PAYMENTS_NOTIFICATION_URL": f"{commerce}/payments/notifications",
        }
        logs = {name: workdir / f"{name}.log" for name in ("payments", "commerce")}
        procs = {}
        try:
            for name in ("payments", "commerce"):
                options = ("--workers", str(commerce_workers)) if name == "commerce" else ()
                procs[name] = start_service(name, env, logs[name], *options)
            try:
                wait_healthy([payments, commerce], list(procs.values()), timeout=60)
            except BenchError as exc:
                detail = "\n".join(f"--- {n}.log\n{tail(p)}" for n, p in logs.items())
                raise BenchError(f"{exc}\n{detail}") from exc
            service_dbs = {k: db_urls[k] for k in ("commerce", "payments")}
            yield System(
                commerce,
                payments,
                token,
                server_key,
                db_urls,
                {name: proc.pid for name, proc in procs.items()},
                db_sessions=pg_session_counter(admin_url, service_dbs),
            )
        finally:
            stop_services(list(procs.values()))


# --------------------------------------------------------------------------------------------
# The buyers' HTTP client (aiohttp, one session, connections kept alive)
# --------------------------------------------------------------------------------------------


class Api:
    """JSON calls to one service."""

    def __init__(self, base_url: str, connections: int) -> None:
        import aiohttp

        self.base_url = base_url
        self.name = f"aiohttp {aiohttp.__version__}"
        connector = aiohttp.TCPConnector(limit=2 * connections, limit_per_host=2 * connections)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=30),
            headers={"Accept": "application/json"},
        )

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON body, or the text when it is not JSON)."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        async with self._session.request(
            method, self.base_url + path, json=body, headers=sent
        ) as r:
            raw = await r.read()
            status = r.status
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    async def close(self) -> None:
        await self._session.close()


async def open_api(base_url: str, connections: int) -> Api:
    """An `Api` made on the running loop (aiohttp binds its session to it)."""
    return Api(base_url, connections)


def brief(answer: Any) -> str:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return text[:160]


# --------------------------------------------------------------------------------------------
# Seeding through the public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    email: str
    token: str


@dataclass
class Lane:
    """One virtual buyer's pool: buyers whose cart holds one product, ready to check out, and
    buyers already checked out (empty cart) for the next unmeasured refill."""

    ready: collections.deque[Buyer] = field(default_factory=collections.deque)
    spent: list[Buyer] = field(default_factory=list)
    # Checkouts that found the pool empty and filled a cart inside the window (see checkout_op).
    dry: int = 0


@dataclass
class Shop:
    products: list[int]
    initial_stock: int
    buyers: list[Buyer]
    lanes: list[Lane] = field(default_factory=list)
    pool_buyers: int = 0  # buyers written straight into commerce's database (see add_buyers)


async def expect(api: Api, status: int, method: str, path: str, **kw: Any) -> Any:
    got, answer = await api.call(method, path, **kw)
    if got != status:
        raise BenchError(f"seeding: {method} {path} answered {got}: {brief(answer)}")
    return answer


async def seed(api: Api, system: System, args: argparse.Namespace) -> Shop:
    """Merchants registered by the operator, products with plenty of stock, one buyer per
    connection (signed up through `POST /api/buyers`)."""
    rng = random.Random(2024)
    run = secrets.token_hex(3)
    products: list[int] = []
    per_merchant = -(-args.products // args.merchants)
    for m in range(args.merchants):
        merchant = await expect(
            api,
            201,
            "POST",
            "/api/merchants",
            body={"slug": f"bench-{run}-{m}", "name": f"Toko Bench {m}", "city": "Bandung"},
            token=system.operator_token,
        )
        for p in range(min(per_merchant, args.products - len(products))):
            product = await expect(
                api,
                201,
                "POST",
                "/api/products",
                body={
                    "title": f"Barang {m}-{p}",
                    "price_idr": rng.randrange(10, 500) * 1_000,
                    "stock": args.stock,
                    "category": "Lainnya",
                },
                token=merchant["token"],
            )
            products.append(product["id"])

    async def sign_up(i: int) -> Buyer:
        email = f"buyer{i}-{run}@bench.example"
        body = {"email": email, "name": f"Pembeli {i}", "password": secrets.token_urlsafe(16)}
        answer = await expect(api, 201, "POST", "/api/buyers", body=body)
        return Buyer(email, answer["token"])

    buyers = list(await asyncio.gather(*(sign_up(i) for i in range(args.connections))))
    lanes = [Lane(spent=[buyer]) for buyer in buyers]
    return Shop(products, args.stock * len(products), buyers, lanes)


def add_buyers(system: System, shop: Shop, count: int) -> list[Buyer]:
    """`count` more buyers with a session each, written straight into commerce's database in
    two statements: a sign-up hashes the password with argon2 (about 0.25 s of CPU here), which
    would make a pool of a thousand buyers take minutes to seed. Each copies the password hash
    of the first buyer signed up through the API, so they are ordinary accounts."""
    import psycopg

    from keranjang.infra.credentials import token_digest

    first = len(shop.buyers) + shop.pool_buyers
    run = shop.buyers[0].email.split("-", 1)[1].split("@", 1)[0]
    with psycopg.connect(pg_admin_conninfo(system.db_urls["commerce"])) as conn:
        rows = conn.execute(
            "INSERT INTO buyers (email, name, password_hash, created_at) "
            "SELECT 'buyer' || g || '-' || %s || '@bench.example', 'Pembeli ' || g, "
            "(SELECT password_hash FROM buyers WHERE email = %s), now() "
            "FROM generate_series(%s::int, %s::int) AS g ORDER BY g RETURNING id, email",
            (run, shop.buyers[0].email, first, first + count - 1),
        ).fetchall()
        tokens = [secrets.token_urlsafe(32) for _ in rows]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO buyer_sessions (token_hash, buyer_id, created_at, expires_at) "
                "VALUES (%s, %s, now(), now() + interval '30 days')",
                [
                    (token_digest(tok), buyer_id)
                    for tok, (buyer_id, _) in zip(tokens, rows, strict=True)
                ],
            )
    shop.pool_buyers += count
    return [Buyer(email, tok) for tok, (_, email) in zip(tokens, rows, strict=True)]


def pool_size(args: argparse.Namespace, rate: float) -> int:
    """Prepared buyers per virtual buyer for a warm-up and a window at `rate` checkouts/s, with
    half again as many for the drain and the noise."""
    return math.ceil((args.warmup + args.seconds + 1) * rate * 1.5 / args.connections)


async def fill_carts(
    system: System, api: Api, shop: Shop, per_lane: int, rng: random.Random, connections: int
) -> dict[str, Any]:
    """The unmeasured pass before a checkout window: every lane gets `per_lane` buyers with one
    product (at random) in their cart, refilling the buyers it checked out before and adding
    buyers when it has too few. Answers the cart-add latencies of the pass."""
    missing = sum(max(0, per_lane - len(lane.ready) - len(lane.spent)) for lane in shop.lanes)
    fresh = await asyncio.to_thread(add_buyers, system, shop, missing) if missing else []
    todo: list[tuple[Lane, Buyer]] = []
    for lane in shop.lanes:
        for _ in range(per_lane - len(lane.ready)):
            todo.append((lane, lane.spent.pop() if lane.spent else fresh.pop()))
    latencies: list[float] = []
    queue = collections.deque(todo)
    started = time.perf_counter()

    async def filler() -> None:
        while queue:
            lane, buyer = queue.popleft()
            t0 = time.perf_counter()
            try:
                await add_to_cart(api, buyer, rng.choice(shop.products))
            except OpFailed as exc:
                raise BenchError(f"filling the carts: {exc}") from exc
            latencies.append(1000 * (time.perf_counter() - t0))
            lane.ready.append(buyer)

    await asyncio.gather(*(filler() for _ in range(min(connections, len(todo)) or 1)))
    latencies.sort()
    return {
        "carts_filled": len(latencies),
        "buyers_per_lane": per_lane,
        "buyers_added": missing,
        "seconds": round(time.perf_counter() - started, 2),
        "cart_p50_ms": round(pct(latencies, 50), 2),
        "cart_p99_ms": round(pct(latencies, 99), 2),
    }


# --------------------------------------------------------------------------------------------
# One checkout, as a buyer does it
# --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the buyers were answered, warm-ups, probes and drains included: the books must
    show exactly this at the end."""

    checkouts: int = 0
    orders: int = 0
    units: int = 0
    payments: int = 0


def checkout_body(inline_payment: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"shipping_address": ADDRESS}
    if inline_payment:
        body["payment_method"] = PAYMENT_METHOD
    return body


def idempotency_key() -> str:
    return "bench-" + secrets.token_hex(12)


async def add_to_cart(api: Api, buyer: Buyer, product_id: int) -> None:
    status, cart = await api.call(
        "PUT", f"/api/cart/items/{product_id}", {"quantity": 1}, token=buyer.token
    )
    lines = cart.get("lines", []) if isinstance(cart, dict) else []
    if status != 200 or not any(line.get("product_id") == product_id for line in lines):
        raise OpFailed(f"cart answered {status}: {brief(cart)}")


def placed_orders(status: int, answer: Any, tally: Tally) -> list[dict[str, Any]]:
    if status != 201 or not isinstance(answer, dict) or not answer.get("orders"):
        raise OpFailed(f"checkout answered {status}: {brief(answer)}")
    orders: list[dict[str, Any]] = answer["orders"]
    tally.orders += len(orders)
    tally.units += sum(line["quantity"] for order in orders for line in order["lines"])
    return orders


def checkout_op(api: Api, products: list[int], inline_payment: bool, tally: Tally) -> Op[Lane]:
    """Checkout and payment for the lane's next prepared buyer (cart filled beforehand). Steps:
    `checkout` (what the buyer waits for from pressing "pay": the checkout request and the
    payment requests, if separate), `checkout_request`, `payment_request`. A lane whose pool ran
    dry fills the cart of a checked-out buyer in the window (counted in `Lane.dry`, reported:
    the pool was too small for the rate), so the loop keeps its concurrency."""

    async def op(lane: Lane, rng: random.Random) -> dict[str, float]:
        if lane.ready:
            buyer = lane.ready.popleft()
        else:
            lane.dry += 1
            buyer = lane.spent.pop(0)
            await add_to_cart(api, buyer, rng.choice(products))
        lane.spent.append(buyer)
        t1 = time.perf_counter()
        status, answer = await api.call(
            "POST",
            "/api/checkout",
            checkout_body(inline_payment),
            token=buyer.token,
            headers={"Idempotency-Key": idempotency_key()},
        )
        t2 = time.perf_counter()
        orders = placed_orders(status, answer, tally)
        if inline_payment:
            unpaid = [o["id"] for o in orders if not isinstance(o.get("payment"), dict)]
            if unpaid:
                raise OpFailed(f"checkout answered orders without a payment: {brief(answer)}")
            tally.payments += len(orders)
        else:
            for order in orders:
                status, payment = await api.call(
                    "POST",
                    f"/api/orders/{order['id']}/payment",
                    {"method": PAYMENT_METHOD},
                    token=buyer.token,
                )
                if status != 200 or not isinstance(payment, dict):
                    raise OpFailed(f"payment answered {status}: {brief(payment)}")
                tally.payments += 1
        t3 = time.perf_counter()
        tally.checkouts += 1
        steps = {"checkout": t3 - t1, "checkout_request": t2 - t1}
        if not inline_payment:
            steps["payment_request"] = t3 - t2
        return steps

    return op


async def probe_inline_payment(api: Api, shop: Shop, tally: Tally) -> bool:
    """Does commerce take `payment_method` in the checkout body? One checkout tells: a 422
    naming the field means not yet; a 201 must then answer a payment with each order."""
    buyer = shop.buyers[0]
    try:
        await add_to_cart(api, buyer, shop.products[0])
    except OpFailed as exc:
        raise BenchError(f"the first cart request failed: {exc}") from exc
    status, answer = await api.call(
        "POST",
        "/api/checkout",
        checkout_body(True),
        token=buyer.token,
        headers={"Idempotency-Key": idempotency_key()},
    )
    if status == 422 and "payment_method" in json.dumps(answer):
        # Not yet: empty the cart again, so that every measured checkout has one line.
        status, cart = await api.call(
            "PUT", f"/api/cart/items/{shop.products[0]}", {"quantity": 0}, token=buyer.token
        )
        if status != 200 or not isinstance(cart, dict) or cart.get("lines"):
            raise BenchError(f"emptying the probe's cart answered {status}: {brief(cart)}")
        return False
    try:
        orders = placed_orders(status, answer, tally)
    except OpFailed as exc:
        raise BenchError(f"probing `payment_method` in the checkout body: {exc}") from exc
    if not all(isinstance(o.get("payment"), dict) for o in orders):
        raise BenchError(f"checkout took `payment_method` but answered no payment: {brief(answer)}")
    tally.payments += len(orders)
    tally.checkouts += 1
    return True


# --------------------------------------------------------------------------------------------
# The baseline: pgbench's TPC-B on the same server
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


async def pgbench_phase(
    pgbench: str,
    url: str,
    args: argparse.Namespace,
    system: Observed,
    pg_databases: Sequence[str],
    workdir: Path,
    r: int,
) -> PhaseResult:
    """`pgbench -c N -j J -T S` (the built-in TPC-B-like script, simple query protocol, its
    default vacuum before the run). tps and latencies are pgbench's own, over its S seconds.
    CPU is measured from its first progress report (1 s in: connected, vacuumed, running) to the
    one at S - 1 s, while its connections are still open; the client's CPU is pgbench's."""
    seconds = max(3, round(args.seconds))
    prefix = workdir / f"pgbench-round{r}"
    cmd = [
        pgbench,
        "-c", str(args.connections),
        "-j", str(args.pgbench_threads),
        "-T", str(seconds),
        "--progress=1",
        "--log", f"--log-prefix={prefix}",
        url,
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir
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
            elif after is None and float(progress.group(1)) >= seconds - 1:
                after = CpuSnapshot.take()
        stdout = (await stdout_read).decode(errors="replace")
        await proc.wait()
    finally:
        if proc.returncode is None:  # interrupted: pgbench must not outlive the run
            proc.kill()
            await proc.wait()
    figures = parse_pgbench(stdout)
    if "tps" not in figures or before is None or after is None:
        detail = "\n".join(messages[-20:])
        raise BenchError(f"pgbench printed no tps or progress (exit {proc.returncode}):\n{detail}")
    cpu = cpu_usage(before, after, {**system.server_pids, "pgbench": proc.pid}, True, pg_databases)
    cpu["client_cores"] = round(cpu["client_cores"] + (cpu.pop("pgbench_cores") or 0.0), 3)
    latencies = pgbench_latencies(prefix)
    failed = int(figures.get("failed", 0)) + (1 if proc.returncode else 0)
    return PhaseResult(
        name="pgbench",
        unit="txn",
        connections=args.connections,
        seconds=seconds,
        completed=int(figures.get("processed", len(latencies))),
        per_second=round(figures["tps"], 1),
        p50_ms=round(pct(latencies, 50), 2),
        p90_ms=round(pct(latencies, 90), 2),
        p99_ms=round(pct(latencies, 99), 2),
        max_ms=round(latencies[-1], 2) if latencies else float("nan"),
        mean_ms=round(figures.get("latency_avg_ms", float("nan")), 2),
        errors=failed,
        error_samples=[m for m in messages if "error" in m.lower()][:5],
        cpu=cpu,
    )


# --------------------------------------------------------------------------------------------
# SQL statements per checkout: commerce in-process, on a database of its own
# --------------------------------------------------------------------------------------------


@dataclass
class Recorded:
    statements: list[dict[str, Any]] = field(default_factory=list)
    transactions: dict[str, int] = field(
        default_factory=lambda: {"begin": 0, "commit": 0, "rollback": 0}
    )


def count_statements(system: System, inline_payment: bool, workdir: Path) -> dict[str, Any]:
    """The statements commerce sends to PostgreSQL for one checkout.

    Commerce's app runs in this process (FastAPI's TestClient, no background jobs) on an empty
    database, paying through the running payment simulator. A SQLAlchemy `before_cursor_execute`
    listener on `app.state.engine` records every statement while the checkout request (and, when
    payments are separate, the payment request) is handled; the cart request before it is
    recorded apart and not counted. Transactions are counted from the engine's
    begin/commit/rollback events: psycopg
    sends BEGIN, COMMIT and ROLLBACK itself, not through a cursor, so they are not statements
    here. The third checkout is the one reported (the first ones warm the pool and caches)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's deprecation note about httpx
        from fastapi.testclient import TestClient
    from sqlalchemy import event

    # Settings only from here: none of this environment's KERANJANG_* variables.
    for name in [k for k in os.environ if k.startswith("KERANJANG_")]:
        del os.environ[name]
    data_dir = workdir / "sqlcount"
    data_dir.mkdir()
    try:
        from keranjang.commerce.app import create_app
        from keranjang.commerce.config import CommerceSettings

        settings = CommerceSettings(
            data_dir=data_dir,
            database_url=system.db_urls["sqlcount"],
            public_url="http://commerce.bench",
            social_url="http://127.0.0.1:9",
            admin_token=system.operator_token,
            secret_key=secrets.token_urlsafe(32),
            payments_url=system.payments_url,
            payments_server_key=system.payments_server_key,
            hold_release_seconds=0,
        )
        app = create_app(settings)
    except Exception as exc:  # an import or migration error: nothing to count with
        raise BenchError(
            f"commerce could not start in-process to count statements: {exc!r}"
        ) from exc
    engine = app.state.engine
    recording: list[Recorded | None] = [None]
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def on_statement(
        _conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, executemany: bool
    ) -> None:
        with lock:
            into = recording[0]
            if into is not None:
                rows = len(params) if executemany and isinstance(params, list | tuple) else 1
                into.statements.append({"sql": statement, "executemany": executemany, "rows": rows})

    def on_transaction(kind: str) -> Any:
        def listener(*_args: Any) -> None:
            with lock:
                into = recording[0]
                if into is not None:
                    into.transactions[kind] += 1

        return listener

    for kind in ("begin", "commit", "rollback"):
        event.listen(engine, kind, on_transaction(kind))

    client = TestClient(app, base_url="http://commerce.bench")

    def call(
        method: str, path: str, body: dict[str, Any], token: str | None, **headers: str
    ) -> Any:
        sent = {"Accept": "application/json", **headers}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        r = client.request(method, path, json=body, headers=sent)
        if r.status_code not in (200, 201):
            raise BenchError(f"statement count: {method} {path} answered {r.status_code}: {r.text}")
        return r.json()

    def recorded(fn: Any) -> tuple[Any, Recorded]:
        rec = Recorded()
        recording[0] = rec
        try:
            return fn(), rec
        finally:
            recording[0] = None

    try:
        merchant = call(
            "POST",
            "/api/merchants",
            {"slug": "sql-count", "name": "Toko SQL", "city": "Bandung"},
            system.operator_token,
        )
        product = call(
            "POST",
            "/api/products",
            {"title": "Barang", "price_idr": 100_000, "stock": 1_000},
            merchant["token"],
        )
        buyer = call(
            "POST",
            "/api/buyers",
            {"email": "sql@bench.example", "name": "Pembeli", "password": "x" * 16},
            None,
        )["token"]
        runs = []
        for _ in range(3):
            _, cart = recorded(
                lambda: call("PUT", f"/api/cart/items/{product['id']}", {"quantity": 1}, buyer)
            )
            answer, checkout = recorded(
                lambda: call(
                    "POST",
                    "/api/checkout",
                    checkout_body(inline_payment),
                    buyer,
                    **{"Idempotency-Key": idempotency_key()},
                )
            )
            payment = Recorded()
            if not inline_payment:
                for order in answer["orders"]:
                    path = f"/api/orders/{order['id']}/payment"
                    _, one = recorded(
                        lambda path=path: call("POST", path, {"method": PAYMENT_METHOD}, buyer)
                    )
                    payment.statements += one.statements
                    for kind, n in one.transactions.items():
                        payment.transactions[kind] += n
            runs.append((cart, checkout, payment))
    finally:
        client.close()
        engine.dispose()
    cart, checkout, payment = runs[-1]
    steady = [len(c.statements) + len(p.statements) for _, c, p in runs]
    total = len(checkout.statements) + len(payment.statements)
    return {
        "inline_payment": inline_payment,
        "cart_request_not_counted": asdict(cart),
        "checkout_request": asdict(checkout),
        "payment_requests": asdict(payment),
        "statements": total,
        "executemany": sum(1 for s in checkout.statements + payment.statements if s["executemany"]),
        "transactions": {
            k: checkout.transactions[k] + payment.transactions[k] for k in checkout.transactions
        },
        "per_checkout_run": steady,
        "note": "the third of three checkouts; an executemany counts as one statement; BEGIN, "
        "COMMIT and ROLLBACK are counted as transactions, not statements",
    }


def one_line(sql: str, width: int = 150) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# --------------------------------------------------------------------------------------------
# The books at the end
# --------------------------------------------------------------------------------------------


def check_books(system: System, shop: Shop, tally: Tally) -> dict[str, Any]:
    """Orders, stock, holds and payments in commerce's database, and the partner's transactions
    in the simulator's, against what the buyers were answered."""
    import psycopg

    with psycopg.connect(pg_admin_conninfo(system.db_urls["commerce"])) as conn:

        def one(query: str, *params: Any) -> int:
            row = conn.execute(query, params).fetchone()
            return int(row[0] or 0) if row else 0

        books = {
            "orders": one("SELECT count(*) FROM orders"),
            "units_ordered": one("SELECT sum(quantity) FROM order_lines"),
            "stock_taken": shop.initial_stock
            - one("SELECT sum(stock) FROM products WHERE id = ANY(%s)", shop.products),
            "units_held": one("SELECT sum(quantity) FROM stock_holds WHERE released_at IS NULL"),
            "payments": one("SELECT count(*) FROM payments"),
            "orders_without_payment": one(
                "SELECT count(*) FROM orders o WHERE NOT EXISTS "
                "(SELECT 1 FROM payments p WHERE p.order_id = o.id)"
            ),
        }
        numbers = {n for (n,) in conn.execute("SELECT number FROM orders")}
    with psycopg.connect(pg_admin_conninfo(system.db_urls["payments"])) as conn:
        at_partner = {n for (n,) in conn.execute("SELECT order_id FROM transactions")}
    books["orders_unknown_to_partner"] = len(numbers - at_partner)
    checks = {
        "orders == orders answered": books["orders"] == tally.orders,
        "orders == completed checkouts": books["orders"] == tally.checkouts,
        "stock taken == units ordered == units answered": books["stock_taken"]
        == books["units_ordered"]
        == tally.units,
        "units held == units ordered": books["units_held"] == books["units_ordered"],
        "payments == orders": books["payments"] == books["orders"] == tally.payments,
        "every order has a payment": books["orders_without_payment"] == 0,
        "every order is known to the partner": books["orders_unknown_to_partner"] == 0,
    }
    return {
        "answered": asdict(tally),
        "books": books,
        "checks": checks,
        "ok": all(checks.values()),
    }


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


async def prepare(
    system: System, args: argparse.Namespace, api: Api, tally: Tally
) -> tuple[Shop, bool]:
    """Seed, and settle how the payment is created."""
    try:
        shop = await seed(api, system, args)
        if args.payment == "separate":
            return shop, False
        inline = await probe_inline_payment(api, shop, tally)
    except BenchError:
        raise
    except Exception as exc:  # a transport error: the system is not there to measure
        raise BenchError(f"seeding failed: {exc!r}") from exc
    if args.payment == "inline" and not inline:
        raise BenchError("--payment inline: commerce refuses `payment_method` at checkout")
    return shop, inline


async def measure(
    system: System,
    args: argparse.Namespace,
    api: Api,
    shop: Shop,
    inline: bool,
    tally: Tally,
    pgbench: str,
) -> dict[str, Any]:
    """`--rounds` rounds of: pgbench, checkout (interleaved)."""
    rounds: list[dict[str, PhaseResult]] = []
    pools: list[dict[str, Any]] = []
    profiles: dict[str, Any] = {}
    rng = random.Random(7)
    rate = args.pool_rate
    workdir = Path(args.workdir)
    n = args.connections
    op = checkout_op(api, shop.products, inline, tally)
    for r in range(1, args.rounds + 1):
        tag = f"round {r}/{args.rounds}: " if args.rounds > 1 else ""
        phases: dict[str, PhaseResult] = {}
        print(
            f"  {tag}pgbench TPC-B, {n} clients, {args.pgbench_threads} threads, "
            f"{max(3, round(args.seconds))}s",
            flush=True,
        )
        phases["pgbench"] = await pgbench_phase(
            pgbench, system.db_urls["pgbench"], args, system, system.pg_databases, workdir, r
        )
        per_lane = pool_size(args, rate)
        print(
            f"  {tag}filling {per_lane} carts per buyer ({per_lane * n} in all, sized for "
            f"{rate:g} checkouts/s; not measured)",
            flush=True,
        )
        pool = await fill_carts(system, api, shop, per_lane, rng, n)
        for lane in shop.lanes:
            lane.dry = 0
        await asyncio.sleep(0.5)
        spy_runs = {}
        if args.profile and r == 1:
            spy = py_spy()
            if spy is None:
                print("  --profile: py-spy not found (pip install py-spy); skipped", flush=True)
            else:
                spy_runs = start_profiles(
                    spy, system.server_pids, args.warmup, args.seconds, workdir
                )
        print(
            f"  {tag}checkout, {n} buyers, {args.seconds:g}s, {len(shop.products)} products, "
            f"payment {'in the checkout request' if inline else 'as a separate request'}",
            flush=True,
        )
        phases["checkout"] = await closed_loop(
            "checkout",
            "checkout",
            op,
            lambda i: shop.lanes[i],
            n,
            args.warmup,
            args.seconds,
            system,
            latency_step="checkout",
            pg_databases=system.pg_databases,
        )
        rounds.append(phases)
        pool["ran_dry"] = sum(lane.dry for lane in shop.lanes)
        pools.append(pool)
        if pool["ran_dry"]:
            print(
                f"  the pool ran dry: {pool['ran_dry']} checkouts filled their cart in the "
                "window; raise --pool-rate",
                flush=True,
            )
        rate = max(rate, phases["checkout"].per_second)
        profiles.update(collect_profiles(spy_runs, args.profile_out))
        await asyncio.sleep(0.5)
    return {"rounds": rounds, "pools": pools, "profiles": profiles}


def summarise(
    rounds: list[dict[str, PhaseResult]],
    pools: list[dict[str, Any]],
    statements: dict[str, Any],
    books: dict[str, Any],
) -> dict[str, Any]:
    """Per round: ratio = checkouts/s ÷ pgbench tps. Over rounds: the median of each figure."""
    per_round = []

    def cpu_ms(phase: PhaseResult, who: str) -> float:
        """CPU milliseconds `who` spent per completed operation of `phase`."""
        cores = phase.cpu.get(who)
        if cores is None or not phase.per_second:
            return float("nan")
        return round(1000 * cores / phase.per_second, 2)

    for phases, pool in zip(rounds, pools, strict=True):
        base, c = phases["pgbench"], phases["checkout"]
        per_round.append(
            {
                "pgbench_tps": base.per_second,
                "pgbench_p99_ms": base.p99_ms,
                "checkouts_per_s": c.per_second,
                "ratio": round(c.per_second / base.per_second, 3) if base.per_second else 0.0,
                "checkout_p50_ms": c.p50_ms,
                "checkout_p99_ms": c.p99_ms,
                "cart_p50_ms": pool["cart_p50_ms"],
                "cart_p99_ms": pool["cart_p99_ms"],
                "pool_ran_dry": pool["ran_dry"],
                "commerce_cpu_ms_per_checkout": cpu_ms(c, "commerce_cores"),
                "payments_cpu_ms_per_checkout": cpu_ms(c, "payments_cores"),
                "postgres_cpu_ms_per_checkout": cpu_ms(c, "postgres_backends"),
                "postgres_cpu_ms_per_pgbench_txn": cpu_ms(base, "postgres_backends"),
            }
        )
    median = {k: round(statistics.median(r[k] for r in per_round), 3) for k in per_round[0]}
    every = [p for phases in rounds for p in phases.values()]
    loads = [phases["checkout"] for phases in rounds]
    client_cores = max(p.cpu.get("client_cores") or 0.0 for p in loads)
    other_cores = max(p.cpu.get("other_cores") or 0.0 for p in every)
    return {
        **median,
        "statements_per_checkout": statements["statements"],
        "aggregation": "median over rounds" if len(rounds) > 1 else "single round",
        "per_round": per_round,
        "targets": {
            "ratio_min": TARGET_RATIO,
            "p99_ms_max": TARGET_P99_MS,
            "statements_max": TARGET_STATEMENTS,
        },
        "ratio_pass": median["ratio"] >= TARGET_RATIO,
        "p99_pass": median["checkout_p99_ms"] < TARGET_P99_MS,
        "statements_pass": statements["statements"] <= TARGET_STATEMENTS,
        "errors": sum(p.errors for p in every),
        "pool_ran_dry": sum(pool["ran_dry"] for pool in pools),
        "books_ok": books["ok"],
        "client_max_cores": client_cores,
        "client_bound": client_cores >= 0.9,
        "other_max_cores": other_cores,
        "noisy": other_cores >= 0.2,
    }


def print_statements(statements: dict[str, Any], full: bool) -> None:
    parts = [("checkout request", statements["checkout_request"])]
    if not statements["inline_payment"]:
        parts.append(("payment request", statements["payment_requests"]))
    parts.append(
        ("before them, not counted: the cart request", statements["cart_request_not_counted"])
    )
    i = 0
    for title, rec in parts:
        tx = rec["transactions"]
        print(
            f"\n  {title}: {len(rec['statements'])} statements, {tx['begin']} transactions "
            f"({tx['commit']} commits, {tx['rollback']} rollbacks)"
        )
        if not full:
            continue
        for s in rec["statements"]:
            i += 1
            many = f"  [executemany, {s['rows']} rows]" if s["executemany"] else ""
            number = f"{i:>3}." if "not counted" not in title else "  -"
            print(f"  {number} {one_line(s['sql'])}{many}")
    if not full:
        print("  (--show-sql lists them)")


def print_report(result: dict[str, Any], show_sql: bool) -> None:
    s = result["summary"]
    print()
    print(
        f"Keranjang checkout benchmark  {result['timestamp']}  database=postgresql  "
        f"client={result['client']}  buyers={result['connections']}  "
        f"commerce workers={result.get('commerce_workers', 1)}  "
        f"window={result['seconds']:g}s after {result['warmup']:g}s warm-up  "
        f"rounds={len(result['rounds'])}  cores={result['machine']['cpu_count']}  "
        f"pgbench scale={result['pgbench']['scale']}  "
        f"payment={'inline' if result['inline_payment'] else 'separate request'}  "
        f"code={result['code']['commit']}{'+dirty' if result['code']['dirty'] else ''}"
    )
    header = (
        f"{'phase':<16}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
        "   CPU cores: client / commerce / payments / postgres / irq / steal / other"
    )
    print(header)
    print("-" * len(header))
    for r, phases in enumerate(result["rounds"], 1):
        suffix = f" #{r}" if len(result["rounds"]) > 1 else ""
        print_phase_rows(phases, CPU_COLUMNS, suffix=suffix, width=16)
        c = phases["checkout"]
        steps = ", ".join(
            f"{k} p50 {c['step_p50_ms'][k]:.1f} / p99 {c['step_p99_ms'][k]:.1f} ms"
            for k in c["step_p50_ms"]
        )
        print(f"{'':<16}steps: {steps}")
    print("  (pgbench: its client CPU is pgbench's, measured from 1 s in to 1 s before its end)")
    print()
    if len(result["rounds"]) > 1:
        print(f"  Figures below are medians over {len(result['rounds'])} interleaved rounds.")
    books = result["books"]
    rows = [
        ("pgbench TPC-B tps", f"{s['pgbench_tps']:.1f}", f"p99 {s['pgbench_p99_ms']:.1f} ms"),
        ("checkouts/s", f"{s['checkouts_per_s']:.1f}", "with stock hold, order and payment"),
        (
            "ratio checkouts/s ÷ pgbench tps",
            f"{s['ratio']:.3f}",
            f"{verdict(s['ratio_pass'])} (target ≥ {TARGET_RATIO})",
        ),
        (
            f"checkout p99 at {result['connections']} buyers",
            f"{s['checkout_p99_ms']:.1f} ms",
            f"{verdict(s['p99_pass'])} (target < {TARGET_P99_MS:g} ms)",
        ),
        ("checkout p50", f"{s['checkout_p50_ms']:.1f} ms", ""),
        (
            "cart add p50 / p99",
            f"{s['cart_p50_ms']:.1f} / {s['cart_p99_ms']:.1f} ms",
            "the unmeasured pass that fills the carts",
        ),
        (
            "pool ran dry",
            str(s["pool_ran_dry"]),
            "carts filled in the window: raise --pool-rate" if s["pool_ran_dry"] else "never",
        ),
        (
            "CPU per checkout",
            f"{s['commerce_cpu_ms_per_checkout']:.1f} + {s['payments_cpu_ms_per_checkout']:.1f} ms",
            "commerce + payment simulator",
        ),
        (
            "PostgreSQL CPU per checkout / txn",
            f"{s['postgres_cpu_ms_per_checkout']:.1f} / "
            f"{s['postgres_cpu_ms_per_pgbench_txn']:.1f} ms",
            "connections to this run's databases",
        ),
        (
            "SQL statements per checkout",
            str(s["statements_per_checkout"]),
            f"{verdict(s['statements_pass'])} (target ≤ {TARGET_STATEMENTS})",
        ),
        (
            "client CPU (max, checkout)",
            f"{s['client_max_cores']:.2f} cores",
            "client-bound!" if s["client_bound"] else "not the bottleneck",
        ),
        (
            "other processes (max)",
            f"{s['other_max_cores']:.2f} cores",
            "noisy machine: compare ratios, not rates" if s["noisy"] else "quiet machine",
        ),
        ("errors", str(s["errors"]), "FAIL" if s["errors"] else "none"),
        (
            "books (orders, stock, payments)",
            "match" if books["ok"] else "MISMATCH",
            f"{books['books']['orders']} orders, {books['books']['payments']} payments",
        ),
    ]
    for label, value, note in rows:
        print(f"  {label:<36}{value:>16}   {note}")
    for check, ok in books["checks"].items():
        if not ok:
            print(f"  books: {check}: FAILED ({books['books']}, answered {books['answered']})")
    for r, phases in enumerate(result["rounds"], 1):
        for name, p in phases.items():
            for sample in p["error_samples"]:
                print(f"  error in {name} (round {r}): {sample}")
    st = result["statements"]
    tx = st["transactions"]
    print(
        f"\nSQL per checkout (commerce, steady state): {st['statements']} statements "
        f"({st['executemany']} executemany counted once), {tx['begin']} transactions"
    )
    print_statements(st, show_sql)
    print_profiles(result.get("profiles", {}), "the first checkout phase")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seconds", type=float, default=10, help="measured window per phase (10)")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured warm-up (checkout) (2)")
    p.add_argument(
        "--connections",
        type=int,
        default=32,
        help="concurrent buyers, and pgbench clients (32)",
    )
    p.add_argument(
        "--rounds", type=int, default=1, help="repeat pgbench + checkout, report medians (1)"
    )
    p.add_argument(
        "--pgbench-scale",
        type=int,
        default=None,
        help="pgbench scale factor (default: --connections, so clients do not queue on branch "
        "rows)",
    )
    p.add_argument("--pgbench-threads", type=int, default=2, help="pgbench -j (2)")
    p.add_argument("--pgbench", help="the pgbench program (default: from PATH)")
    p.add_argument("--products", type=int, default=100, help="products buyers pick from (100)")
    p.add_argument("--merchants", type=int, default=4, help="merchants selling them (4)")
    p.add_argument("--stock", type=int, default=1_000_000, help="stock per product (1,000,000)")
    p.add_argument(
        "--pool-rate",
        type=float,
        default=100,
        help="checkouts/s the prepared carts are sized for, 1.5 times over warm-up and window; "
        "later rounds use the rate measured if higher (100)",
    )
    p.add_argument(
        "--payment",
        choices=["auto", "inline", "separate"],
        default="auto",
        help="create the payment in the checkout request (`payment_method`) or with a separate "
        "request; auto: inline when commerce accepts it (auto)",
    )
    p.add_argument(
        "--pg-url",
        default=os.environ.get("KERANJANG_BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL maintenance database URL used to create and drop the bench databases "
        f"(default: $KERANJANG_BENCH_PG_URL or {DEFAULT_PG_URL})",
    )
    p.add_argument(
        "--commerce-workers",
        type=int,
        default=1,
        help="processes serving commerce (`keranjang serve commerce --workers N`) (1)",
    )
    p.add_argument("--show-sql", action="store_true", help="list the statements of one checkout")
    p.add_argument("--no-uvloop", action="store_true", help="client on asyncio's default loop")
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the servers during the first checkout phase (slows them)",
    )
    p.add_argument("--profile-out", help="folder to keep py-spy's collapsed stacks in")
    p.add_argument("--results-dir", default=str(RESULTS_DIR), help="where the JSON goes")
    args = p.parse_args(argv)
    if not 1 <= args.commerce_workers <= 64:
        p.error("--commerce-workers must be from 1 to 64")
    if args.connections < 1 or args.rounds < 1 or args.seconds < 3 or args.warmup < 0:
        p.error("--connections and --rounds must be ≥ 1, --seconds ≥ 3, --warmup ≥ 0")
    if args.pool_rate <= 0:
        p.error("--pool-rate must be > 0")
    if args.products < 1 or not 1 <= args.merchants <= args.products or args.stock < 1:
        p.error("--products ≥ --merchants ≥ 1 and --stock ≥ 1")
    if args.pgbench_scale is None:
        args.pgbench_scale = args.connections
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, terminate)
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print(
            "aiohttp is not installed: pip install -c requirements/lock.txt -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    loop_factory = None
    if not args.no_uvloop:
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            pass
    timestamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    code = code_version()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="keranjang-bench-") as workdir:
        args.workdir = workdir
        try:
            pgbench = pgbench_binary(args.pgbench)
            print("Starting commerce and the payment simulator on PostgreSQL ...", flush=True)
            started = time.monotonic()
            with postgres_system(Path(workdir), args.pg_url, args.commerce_workers) as system:
                print(
                    f"  up in {time.monotonic() - started:.1f}s: commerce {system.commerce_url}, "
                    f"payments {system.payments_url}",
                    flush=True,
                )
                print(f"  pgbench -i -s {args.pgbench_scale} ...", flush=True)
                pgbench_info = pgbench_init(pgbench, system.db_urls["pgbench"], args.pgbench_scale)
                print(f"  initialised in {pgbench_info['init_seconds']:.1f}s", flush=True)
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    api = runner.run(open_api(system.commerce_url, args.connections))
                    try:
                        shop, inline = runner.run(prepare(system, args, api, tally))
                        print(
                            f"  seeded {args.merchants} merchants, {len(shop.products)} products, "
                            f"{len(shop.buyers)} buyers; payment "
                            f"{'in the checkout request' if inline else 'as a separate request'}",
                            flush=True,
                        )
                        statements = count_statements(system, inline, Path(workdir))
                        print(
                            f"  one checkout runs {statements['statements']} SQL statements",
                            flush=True,
                        )
                        measured = runner.run(
                            measure(system, args, api, shop, inline, tally, pgbench)
                        )
                    finally:
                        runner.run(api.close())
                books = check_books(system, shop, tally)
                client = api.name
        except BenchError as exc:
            print(f"benchmark could not run: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted: everything started was stopped and dropped", file=sys.stderr)
            return 130
    rounds = measured["rounds"]
    result = {
        "benchmark": "checkout",
        "timestamp": timestamp,
        "database": "postgresql",
        "client": client + (" + uvloop" if loop_factory else ""),
        "connections": args.connections,
        "commerce_workers": args.commerce_workers,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "products": len(shop.products),
        "merchants": args.merchants,
        "inline_payment": inline,
        "pgbench": {
            **pgbench_info,
            "clients": args.connections,
            "threads": args.pgbench_threads,
            "mode": "built-in TPC-B-like script, simple query protocol",
        },
        "code": code,
        "profiled": bool(measured["profiles"]),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "rounds": [{name: asdict(p) for name, p in r.items()} for r in rounds],
        "pools": measured["pools"],
        "summary": summarise(rounds, measured["pools"], statements, books),
        "statements": statements,
        "books": books,
        "profiles": measured["profiles"],
    }
    print_report(result, args.show_sql)
    results_dir = Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"checkout-{timestamp}.json"
    out.write_text(json.dumps(finite(result), indent=2, allow_nan=False) + "\n")
    print(f"\nResults written to {out}")
    return 1 if result["summary"]["errors"] or not books["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())

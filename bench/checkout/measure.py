"""The run: seed, then `--rounds` rounds of pgbench and checkouts (interleaved), and their
summary (ratio = checkouts/s ÷ pgbench tps in the same round; medians over rounds)."""

from __future__ import annotations

import asyncio
import random
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.checkout.api import Api
from bench.checkout.buyer import checkout_op, probe_inline_payment
from bench.checkout.carts import fill_carts, pool_size
from bench.checkout.options import Options
from bench.checkout.shop import Shop, Tally, seed
from bench.checkout.system import System
from bench.kit.errors import BenchError
from bench.kit.load import LoadSettings, Op, PhaseResult, closed_loop
from bench.kit.postgres import PgbenchRun, pgbench_phase
from bench.kit.profiles import collect_profiles, start_profiles

TARGET_RATIO = 0.25
TARGET_P99_MS = 100.0
TARGET_STATEMENTS = 12


@dataclass
class Bench:
    """What a run works with: its options, the running system, the buyers' client, its folder,
    and what the buyers were answered."""

    options: Options
    system: System
    api: Api
    workdir: Path
    tally: Tally = field(default_factory=Tally)


def say(text: str) -> None:
    print(text, flush=True)


async def prepare(bench: Bench) -> tuple[Shop, bool]:
    """Seed, and settle how the payment is created: (the shop, whether inline)."""
    payment = bench.options.payment
    try:
        shop = await seed(bench.api, bench.system, bench.options)
        if payment == "separate":
            return shop, False
        inline = await probe_inline_payment(bench.api, shop, bench.tally)
    except BenchError:
        raise
    except Exception as exc:  # a transport error: the system is not there to measure
        raise BenchError(f"seeding failed: {exc!r}") from exc
    if payment == "inline" and not inline:
        raise BenchError("--payment inline: commerce refuses `payment_method` at checkout")
    return shop, inline


async def _pgbench(bench: Bench, pgbench: str, r: int, tag: str) -> PhaseResult:
    o, system = bench.options, bench.system
    seconds = max(3, round(o.seconds))
    say(f"  {tag}pgbench TPC-B, {o.connections} clients, {o.pgbench_threads} threads, {seconds}s")
    run = PgbenchRun(
        pgbench,
        system.db_urls["pgbench"],
        o.connections,
        o.pgbench_threads,
        seconds,
        bench.workdir,
        system.pg_databases,
    )
    return await pgbench_phase(run, system, r)


async def _checkout(bench: Bench, shop: Shop, inline: bool, op: Op[Any], tag: str) -> PhaseResult:
    o = bench.options
    say(
        f"  {tag}checkout, {o.connections} buyers, {o.seconds:g}s, {len(shop.products)} products, "
        f"payment {'in the checkout request' if inline else 'as a separate request'}"
    )
    settings = LoadSettings(
        name="checkout",
        unit="checkout",
        connections=o.connections,
        warmup=o.warmup,
        seconds=o.seconds,
        latency_step="checkout",
        pg_databases=tuple(bench.system.pg_databases),
    )
    return await closed_loop(settings, op, lambda i: shop.lanes[i], bench.system)


async def measure(bench: Bench, shop: Shop, inline: bool, pgbench: str) -> dict[str, Any]:
    """`--rounds` rounds of: pgbench, the unmeasured carts, checkout (interleaved). Each round
    sizes the carts for the highest checkout rate seen so far (at least `--pool-rate`)."""
    o = bench.options
    rounds: list[dict[str, PhaseResult]] = []
    pools: list[dict[str, Any]] = []
    profiles: dict[str, Any] = {}
    rng, rate = random.Random(7), o.pool_rate
    op = checkout_op(bench.api, shop.products, inline, bench.tally)
    for r in range(1, o.rounds + 1):
        tag = f"round {r}/{o.rounds}: " if o.rounds > 1 else ""
        phases = {"pgbench": await _pgbench(bench, pgbench, r, tag)}
        per_lane = pool_size(o, rate)
        say(
            f"  {tag}filling {per_lane} carts per buyer ({per_lane * o.connections} in all, "
            f"sized for {rate:g} checkouts/s; not measured)"
        )
        pool = await fill_carts(bench.system, bench.api, shop, per_lane, rng)
        for lane in shop.lanes:
            lane.dry = 0
        await asyncio.sleep(0.5)
        profiling = o.profile and r == 1
        pids = bench.system.server_pids
        spy_runs = start_profiles(pids, o.warmup, o.seconds, bench.workdir) if profiling else {}
        phases["checkout"] = await _checkout(bench, shop, inline, op, tag)
        rounds.append(phases)
        pool["ran_dry"] = sum(lane.dry for lane in shop.lanes)
        pools.append(pool)
        if pool["ran_dry"]:
            say(
                f"  the pool ran dry: {pool['ran_dry']} checkouts filled their cart in the "
                "window; raise --pool-rate"
            )
        rate = max(rate, phases["checkout"].per_second)
        profiles.update(collect_profiles(spy_runs, o.profile_out))
        await asyncio.sleep(0.5)
    return {"rounds": rounds, "pools": pools, "profiles": profiles}


def cpu_ms(phase: PhaseResult, who: str) -> float:
    """CPU milliseconds `who` spent per completed operation of `phase`."""
    cores = phase.cpu.get(who)
    if cores is None or not phase.per_second:
        return float("nan")
    return round(1000 * cores / phase.per_second, 2)


def round_figures(phases: dict[str, PhaseResult], pool: dict[str, Any]) -> dict[str, Any]:
    """One round's figures: ratio = checkouts/s ÷ pgbench tps."""
    base, c = phases["pgbench"], phases["checkout"]
    return {
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


def summarise(
    measured: dict[str, Any], statements: dict[str, Any], books: dict[str, Any]
) -> dict[str, Any]:
    """The median of each per-round figure over the rounds, with the targets' verdicts."""
    rounds: list[dict[str, PhaseResult]] = measured["rounds"]
    pools: list[dict[str, Any]] = measured["pools"]
    per_round = [round_figures(p, pool) for p, pool in zip(rounds, pools, strict=True)]
    median = {k: round(statistics.median(r[k] for r in per_round), 3) for k in per_round[0]}
    every = [p for phases in rounds for p in phases.values()]
    client_cores = max(phases["checkout"].cpu.get("client_cores") or 0.0 for phases in rounds)
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

"""What the checkout benchmark prints at the end: the phases, the figures against their targets,
the books, and the SQL of one checkout."""

from __future__ import annotations

from typing import Any

from bench.checkout.measure import TARGET_P99_MS, TARGET_RATIO, TARGET_STATEMENTS
from bench.checkout.statements import one_line
from bench.kit.tables import phases_table, print_profiles, say, summary_table, verdict

CPU_COLUMNS = (
    "client_cores",
    "commerce_cores",
    "payments_cores",
    "postgres_cores",
    "kernel_irq_cores",
    "steal_cores",
    "other_cores",
)


def _header(result: dict[str, Any]) -> str:
    code = result["code"]
    return (
        f"Keranjang checkout benchmark  {result['timestamp']}  database=postgresql  "
        f"client={result['client']}  buyers={result['connections']}  "
        f"commerce workers={result.get('commerce_workers', 1)}  "
        f"window={result['seconds']:g}s after {result['warmup']:g}s warm-up  "
        f"rounds={len(result['rounds'])}  cores={result['machine']['cpu_count']}  "
        f"pgbench scale={result['pgbench']['scale']}  "
        f"payment={'inline' if result['inline_payment'] else 'separate request'}  "
        f"code={code['commit']}{'+dirty' if code['dirty'] else ''}"
    )


def _rate_rows(s: dict[str, Any], buyers: int) -> list[tuple[str, str, str]]:
    return [
        ("pgbench TPC-B tps", f"{s['pgbench_tps']:.1f}", f"p99 {s['pgbench_p99_ms']:.1f} ms"),
        ("checkouts/s", f"{s['checkouts_per_s']:.1f}", "with stock hold, order and payment"),
        (
            "ratio checkouts/s ÷ pgbench tps",
            f"{s['ratio']:.3f}",
            f"{verdict(s['ratio_pass'])} (target ≥ {TARGET_RATIO})",
        ),
        (
            f"checkout p99 at {buyers} buyers",
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
    ]


def _cost_rows(s: dict[str, Any], books: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
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


def _failures(result: dict[str, Any]) -> None:
    books = result["books"]
    for check, ok in books["checks"].items():
        if not ok:
            say(f"  books: {check}: FAILED ({books['books']}, answered {books['answered']})")
    for r, phases in enumerate(result["rounds"], 1):
        for name, p in phases.items():
            for sample in p["error_samples"]:
                say(f"  error in {name} (round {r}): {sample}")


def print_statements(statements: dict[str, Any], full: bool) -> None:
    """Each request's statements and transactions; every statement with `full` (--show-sql)."""
    st, tx = statements, statements["transactions"]
    say(
        f"\nSQL per checkout (commerce, steady state): {st['statements']} statements "
        f"({st['executemany']} executemany counted once), {tx['begin']} transactions"
    )
    parts = [("checkout request", st["checkout_request"])]
    if not st["inline_payment"]:
        parts.append(("payment request", st["payment_requests"]))
    parts.append(("before them, not counted: the cart request", st["cart_request_not_counted"]))
    i = 0
    for title, rec in parts:
        t = rec["transactions"]
        say(
            f"\n  {title}: {len(rec['statements'])} statements, {t['begin']} transactions "
            f"({t['commit']} commits, {t['rollback']} rollbacks)"
        )
        for s in rec["statements"] if full else []:
            i += 1
            many = f"  [executemany, {s['rows']} rows]" if s["executemany"] else ""
            number = f"{i:>3}." if "not counted" not in title else "  -"
            say(f"  {number} {one_line(s['sql'])}{many}")
    if not full:
        say("  (--show-sql lists them)")


def print_report(result: dict[str, Any], show_sql: bool) -> None:
    s, rounds = result["summary"], result["rounds"]
    say("")
    say(_header(result))
    phases_table(rounds, CPU_COLUMNS, steps_of="checkout", steps_label="steps")
    say("  (pgbench: its client CPU is pgbench's, measured from 1 s in to 1 s before its end)")
    say("")
    if len(rounds) > 1:
        say(f"  Figures below are medians over {len(rounds)} interleaved rounds.")
    rows = _rate_rows(s, result["connections"]) + _cost_rows(s, result["books"])
    summary_table(rows)
    _failures(result)
    print_statements(result["statements"], show_sql)
    print_profiles(result.get("profiles", {}), "the first checkout phase")

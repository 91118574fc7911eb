"""What the hand-off benchmark prints at the end: the phases and the figures against their
targets."""

from __future__ import annotations

from typing import Any

from bench.handoff.measure import TARGET_P99_MS, TARGET_RATIO
from bench.kit.tables import phases_table, print_profiles, say, summary_table, verdict

CPU_COLUMNS = (
    "client_cores",
    "social_cores",
    "commerce_cores",
    "postgres_cores",
    "kernel_irq_cores",
    "steal_cores",
    "other_cores",
)


def _header(result: dict[str, Any]) -> str:
    code = result["code"]
    return (
        f"Keranjang hand-off benchmark  {result['timestamp']}  database={result['database']}  "
        f"client={result['client']}  connections={result['connections']}  "
        f"window={result['seconds']:g}s after {result['warmup']:g}s warm-up  "
        f"rounds={len(result['rounds'])}  cores={result['machine']['cpu_count']}  "
        f"code={code['commit']}{'+dirty' if code['dirty'] else ''}"
    )


def _rows(s: dict[str, Any], connections: int) -> list[tuple[str, str, str]]:
    target = f"target < {TARGET_P99_MS:g} ms"
    return [
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
            f"hand-off p99 at {connections} connections, saturated",
            f"{s['handoff_p99_ms']:.1f} ms",
            f"{verdict(s['p99_pass'])} ({target})",
        ),
        ("hand-off p50, saturated", f"{s['handoff_p50_ms']:.1f} ms", ""),
        (
            f"hand-off p99 paced at {s['paced_per_s']:.0f}/s",
            f"{s['paced_p99_ms']:.1f} ms",
            f"{verdict(s['paced_p99_pass'])} ({target}, open loop)",
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


def print_report(result: dict[str, Any]) -> None:
    rounds = result["rounds"]
    say("")
    say(_header(result))
    phases_table(rounds, CPU_COLUMNS, steps_of="handoff", steps_label="hand-off steps")
    say("")
    if len(rounds) > 1:
        say(f"  Figures below are medians over {len(rounds)} interleaved rounds.")
    summary_table(_rows(result["summary"], result["connections"]))
    for r, phases in enumerate(rounds, 1):
        for name, p in phases.items():
            for sample in p["error_samples"]:
                say(f"  error in {name} (round {r}): {sample}")
    print_profiles(result.get("profiles", {}), "the first hand-off phase")

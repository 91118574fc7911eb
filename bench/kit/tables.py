"""What the benchmarks print, as Rich tables: one row per phase (rate, latencies, errors, CPU
in cores), the summary's figures against their targets, and py-spy's top frames."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

# No markup: figures and process names such as `postgres[123]` are printed as they are. Written
# to a file or a pipe, the tables get room for every column on one line.
console = Console(
    markup=False, highlight=False, emoji=False, width=None if sys.stdout.isatty() else 160
)

CPU_LABELS = {
    "client_cores": "client",
    "social_cores": "social",
    "commerce_cores": "commerce",
    "payments_cores": "payments",
    "postgres_cores": "postgres",
    "kernel_irq_cores": "irq",
    "steal_cores": "steal",
    "other_cores": "other",
}

Phase = Mapping[str, Any]  # a PhaseResult as a dict (dataclasses.asdict)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def say(text: str) -> None:
    """One line, never wrapped."""
    console.print(text, soft_wrap=True)


def _cores(cpu: Mapping[str, Any], key: str) -> str:
    return "-" if cpu.get(key) is None else f"{cpu[key]:.2f}"


def _notes(phase: Phase) -> list[str]:
    """PostgreSQL's connection churn and, on a noisy machine, the busiest other processes."""
    notes = []
    if phase.get("db_sessions_per_s") is not None:
        notes.append(f"new PostgreSQL connections: {phase['db_sessions_per_s']:.1f}/s")
    c = phase["cpu"]
    if (c.get("other_cores") or 0) >= 0.2 and c.get("other_top"):
        notes.append("other processes: " + ", ".join(f"{n} {v:.2f}" for n, v in c["other_top"]))
    return notes


def step_note(phase: Phase, label: str) -> list[str]:
    """`label: step p50 x / p99 y ms, ...` for a phase that times its steps."""
    if not phase.get("step_p50_ms"):
        return []
    steps = ", ".join(
        f"{k} p50 {phase['step_p50_ms'][k]:.1f} / p99 {phase['step_p99_ms'][k]:.1f} ms"
        for k in phase["step_p50_ms"]
    )
    return [f"{label}: {steps}"]


def _table(first: str, *right: str) -> Table:
    """A table whose first column is a name, the others figures (right-aligned)."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(first, no_wrap=True)
    for heading in right:
        table.add_column(heading, justify="right")
    return table


def print_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain table: a name, then figures."""
    table = _table(*headings)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def phases_table(
    rounds: Sequence[Mapping[str, Phase]],
    cpu_columns: Sequence[str],
    *,
    steps_of: str,
    steps_label: str,
) -> None:
    """One row per phase of every round (`#r` after the name when there are several), CPU in
    cores (1.00 = one core busy); below the table, each phase's notes and the steps of the
    `steps_of` phase."""
    cpu = [CPU_LABELS.get(key, key) for key in cpu_columns]
    table = _table("phase", "per s", "p50 ms", "p99 ms", "max ms", "errors", *cpu)
    table.title = f"CPU in cores (1.00 = one core busy): {' / '.join(cpu)}"
    table.title_justify = "left"
    notes: list[str] = []
    for r, phases in enumerate(rounds, 1):
        suffix = f" #{r}" if len(rounds) > 1 else ""
        for name, p in phases.items():
            table.add_row(
                name + suffix,
                f"{p['per_second']:.1f}",
                *(f"{p[k]:.1f}" for k in ("p50_ms", "p99_ms", "max_ms")),
                str(p["errors"]),
                *(_cores(p["cpu"], k) for k in cpu_columns),
            )
            extra = _notes(p) + (step_note(p, steps_label) if name == steps_of else [])
            notes += [f"  {name + suffix}: {note}" for note in extra]
    console.print(table)
    for note in notes:
        say(note)


def summary_table(rows: Sequence[tuple[str, str, str]]) -> None:
    """The figures of the run: label, value, and what it says against its target."""
    table = Table(show_header=False, show_edge=False, box=None, padding=(0, 1, 0, 2))
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("note")
    for label, value, note in rows:
        table.add_row(label, value, note)
    console.print(table)


NOISE = ("threading.py", "runpy", "__main__", "cli.py", "core.py", "main.py", "_api.py")


def print_profiles(profiles: Mapping[str, Any], during: str) -> None:
    """py-spy's top frames per server and view: self time, then inclusive (frames of the
    interpreter's and the server's start-up left out)."""
    for name, prof in profiles.items():
        server, _, view = name.partition(".")
        what = "thread holding the GIL" if view == "cpu" else "busy threads, waits included"
        say(
            f"\npy-spy, {server} during {during}, {view} view "
            f"({prof['samples']} samples of the {what}):"
        )
        say("  self:      " + "; ".join(f"{f} {p}%" for f, p in prof["self_pct"][:8]))
        inclusive = [(f, p) for f, p in prof["inclusive_pct"] if not any(k in f for k in NOISE)]
        say("  inclusive: " + "; ".join(f"{f} {p}%" for f, p in inclusive[:16]))

"""How `keranjang migrate status` and the end of `migrate run` show the migration: progress per
category, throughput and merchants per phase, and the moves a run left for the operator with
the command that tries each again (`--json`: the same, as the regulator's progress figures
with a `left_for_operator` list added)."""

import json
from typing import TYPE_CHECKING

import typer
from rich.progress_bar import ProgressBar
from rich.table import Table

from keranjang.cli.shared import console

if TYPE_CHECKING:
    from keranjang.migration.service import LeftMove, Status

# `migrate run`'s exit code when it ends with moves left for the operator (1 is a refusal, 2 a
# wrong option): a script sees the run is over and still needs someone.
LEFT_FOR_OPERATOR = 3


def status_json(current: "Status", left: "list[LeftMove]") -> str:
    from keranjang.migration.reports import left_of, progress_of

    figures = progress_of(current).model_dump(mode="json")
    figures["left_for_operator"] = left_of(left).model_dump(mode="json")["moves"]
    return json.dumps(figures)


def print_status(current: "Status") -> None:
    p, w, t = current.progress, current.weights, current.throughput
    bars = Table(title="Migration progress", show_header=True)
    for heading in ("category", "weight", "", "done"):
        bars.add_column(heading, justify="right" if heading == "done" else "left")
    for name, bp, weight in (
        ("payment", p.payment_bp, str(w.payment)),
        ("data", p.data_bp, str(w.data)),
        ("merchant operations", p.operations_bp, str(w.operations)),
        ("overall", p.overall_bp, ""),
    ):
        bars.add_row(
            name, weight, ProgressBar(total=10_000, completed=bp, width=40), f"{bp / 100:.2f}%"
        )
    console.print(bars)
    eta = t.eta.isoformat(timespec="minutes") if t.eta else "not yet known"
    console.print(f"{p.merchants_moved} of {p.merchants_total} merchants transact in commerce; "
                  f"{t.rows_per_second:,.1f} rows/s, {t.merchants_per_hour:,.1f} merchants/hour; "
                  f"ETA {eta}.")  # fmt: skip
    console.print(", ".join(f"{phase.value} {n}" for phase, n in current.phases.items() if n))


def print_left(left: "list[LeftMove]") -> None:
    """The moves left for the operator: why, and the command that tries each again."""
    from keranjang.migration.reports import retry_command

    if not left:
        return
    title = f"Left for the operator ({len(left)}): cutover abandoned, pause over budget"
    table = Table(title=title)
    for heading in ("seller", "expected pause", "budget", "abandons"):
        table.add_column(heading, justify="right")
    for m in left:
        expected = f"{m.predicted_ms:,} ms" if m.predicted_ms is not None else "-"
        budget = f"{m.budget_ms:,} ms" if m.budget_ms is not None else "-"
        table.add_row(str(m.seller_id), expected, budget, str(m.abandons))
    console.print(table)
    # One line each, never wrapped: the operator copies them as they are.
    typer.echo("To try each again with a budget its pause fits:")
    for m in left:
        typer.echo(f"  {retry_command(m)}")


def end_of_run(left: "list[LeftMove]") -> None:
    """Say the run is over with moves left for the operator, and exit with its code; nothing
    for a clean run."""
    if not left:
        return
    sellers = ", ".join(str(m.seller_id) for m in left)
    typer.echo(f"The run is over; {len(left)} moves are left for the operator (sellers "
               f"{sellers}): their cutover's pause does not fit the budget. `keranjang migrate "
               "status` says how to try each again.", err=True)  # fmt: skip
    raise typer.Exit(LEFT_FOR_OPERATOR)

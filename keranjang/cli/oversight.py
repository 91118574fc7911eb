"""`keranjang oversight evaluate`: read every service's evidence, evaluate every rule of the
regime and append the results to the audit log, without the web app (the same use case as
`POST /api/evaluations`). Exit code 1 when a rule fails."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from keranjang.cli.shared import DataDir, console, log_to_stderr

app = typer.Typer(no_args_is_help=True)
COLOURS = {"pass": "green", "fail": "red", "insufficient_data": "yellow"}


@app.command()
def evaluate(
    *,
    data_dir: DataDir = Path(".keranjang"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the evaluation as JSON.")] = False,
) -> None:
    """Evaluate every rule now; settings come from KERANJANG_OVERSIGHT_* variables."""
    from keranjang.oversight.bootstrap import build
    from keranjang.oversight.config import OversightSettings
    from keranjang.oversight.errors import OversightError
    from keranjang.oversight.web.models import EvaluationOut

    log_to_stderr("WARNING")
    try:
        view = build(OversightSettings(data_dir=data_dir)).evaluate("on_demand")
    except OversightError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        print(EvaluationOut.of(view).model_dump_json(indent=1))
    else:
        table = Table(title=f"{view.regime}: evaluation {view.id}")
        for column in ("rule", "subject", "status", "since", "sanction", "summary"):
            table.add_column(column)
        for r in view.results:
            status = f"[{COLOURS.get(r.status, 'white')}]{r.status}[/]"
            since = r.since.strftime("%Y-%m-%d %H:%M")
            table.add_row(r.rule_id, r.subject, status, since, r.sanction or "", r.summary)
        console.print(table)
        console.print(f"Audit log: {view.checkpoint.size} entries, checkpoint signed.")
    if view.failing:
        raise typer.Exit(1)

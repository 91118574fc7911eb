"""`keranjang migrate plan|run|status|verify|rollback|purge`: moving merchants out of the app's
in-app shop into commerce, from the command line. Settings come from `KERANJANG_MIGRATION_*`
(the journal's database, social's and commerce's); `--json` prints the answer as JSON everywhere.
Each command imports the migration when it runs, and no command loads a web framework."""

import json
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from keranjang.cli.migrate_status import end_of_run, print_left, print_status, status_json
from keranjang.cli.shared import DataDir, console, log_to_stderr

if TYPE_CHECKING:
    from keranjang.migration.config import MigrationSettings
    from keranjang.migration.service import MigrationService
    from keranjang.migration.workers import Journal

app = typer.Typer(no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would be done; do nothing.")]
Only = Annotated[int | None, typer.Option(min=1, help="This legacy seller alone.")]
# Which engine moves merchants (`module:function`, building a mover from the settings).
Engine = Annotated[str | None, typer.Option(hidden=True, envvar="KERANJANG_MIGRATION_ENGINE")]
ACTOR = "operator:cli"
# Small merchants moved together by default: their fixed cost per merchant (a phase's journal,
# social and commerce transactions) shared by up to 500; the cutover divides a batch into
# fences that each fit the pause budget (bench/README.md, "Fences that fit").
BATCH_SIZE, BATCH_ROWS = 500, 30_000
BatchSize = Annotated[int, typer.Option(min=1, max=1_000, help="Small merchants moved together, at most.")]  # fmt: skip
BatchRows = Annotated[int, typer.Option(min=1, help="Planned rows of a batch, at most (a larger merchant goes alone).")]  # fmt: skip
MaxAbandons = Annotated[int, typer.Option(min=1, max=1_000, help="Cutovers abandoned in a row (the merchant alone over the pause budget) before its move is left for the operator.")]  # fmt: skip


def settings_for(data_dir: Path, **changes: object) -> "MigrationSettings":
    from keranjang.migration.config import MigrationSettings

    log_to_stderr("WARNING")
    settings = MigrationSettings(data_dir=data_dir.resolve())
    return settings.model_copy(update=changes) if changes else settings


def open_service(settings: "MigrationSettings", engine: str | None = None) -> "MigrationService":
    """The journal migrated, social's database for the plan, and the engine when asked for."""
    from keranjang.infra import schema
    from keranjang.infra.clock import SystemClock
    from keranjang.infra.database import make_engine, session_factory
    from keranjang.migration import progress as rules
    from keranjang.migration.journal import MIGRATIONS
    from keranjang.migration.service import MigrationService, Parts
    from keranjang.migration.workers import load_factory

    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    journal = make_engine(settings.resolved_database_url)
    schema.upgrade(MIGRATIONS, journal)
    weights = rules.Weights(
        settings.weight_payment, settings.weight_data, settings.weight_operations
    )
    mover = load_factory(engine)(settings) if engine else None
    parts = Parts(session_factory(journal), SystemClock(), make_engine(settings.resolved_social_url),
                  mover, weights)  # fmt: skip
    return MigrationService(parts)


def refuse(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def print_json(value: object) -> None:
    typer.echo(json.dumps(value, default=str))


@app.command()
def plan(
    *, data_dir: DataDir = Path(".keranjang"), dry_run: DryRun = False, as_json: Json = False
) -> None:
    """Plan every legacy seller not planned yet, largest sales first (moves under way keep
    their place)."""
    from keranjang.migration.errors import MigrationError

    try:
        report = open_service(settings_for(data_dir)).plan(dry_run)
    except MigrationError as exc:
        raise refuse(str(exc)) from exc
    if as_json:
        print_json({"added": [asdict(m) for m in report.added], "refreshed": report.refreshed,
                    "total": report.total, "dry_run": report.dry_run})  # fmt: skip
        return
    verb = "Would add" if dry_run else "Added"
    console.print(f"{verb} {len(report.added)} sellers to the plan ({report.total} in all); "
                  f"{report.refreshed} not yet started brought up to date.")  # fmt: skip
    table = Table(title="First in the plan" if report.added else None)
    for heading in ("rank", "seller", "legacy sales (Rp)", "rows"):
        table.add_column(heading, justify="right")
    for m in report.added[:20]:
        table.add_row(str(m.rank), str(m.seller_id), f"{m.sales_idr:,}", f"{m.rows:,}")
    if report.added:
        console.print(table)


@app.command()
def status(*, data_dir: DataDir = Path(".keranjang"), as_json: Json = False) -> None:
    """Progress per category and overall, throughput, the ETA, merchants per phase, and the
    moves left for the operator with the command that tries each again."""
    service = open_service(settings_for(data_dir))
    current, left = service.status(), service.left_for_operator()
    if as_json:
        typer.echo(status_json(current, left))
        return
    print_status(current)
    print_left(left)


@app.command()
def run(
    *,
    data_dir: DataDir = Path(".keranjang"),
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Merchants moved at once (more than 1 needs PostgreSQL)."),
    ] = 1,
    pause_budget_ms: Annotated[
        int, typer.Option(min=1, max=60_000, help="Longest cutover pause allowed.")
    ] = 50,
    batch_size: BatchSize = BATCH_SIZE,
    batch_rows: BatchRows = BATCH_ROWS,
    max_abandons: MaxAbandons = 5,
    only: Only = None,
    force: Annotated[
        bool, typer.Option(help="Move --only's seller without its confirmation.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why the move is forced (kept in the journal).")
    ] = None,
    dry_run: DryRun = False,
    as_json: Json = False,
    engine: Engine = None,
) -> None:
    """Move the planned merchants: bind, copy, catch up, cut over, verify; until nothing is left
    to do now (sellers still to confirm wait for a later run; moves left for the operator after
    --max-abandons: exit code 3, and --only tries one again with the --pause-budget-ms given)."""
    from keranjang.migration.errors import MigrationError
    from keranjang.migration.workers import ENGINE_FACTORY, Journal, Rules

    settings = settings_for(data_dir, pause_budget_ms=pause_budget_ms)
    service = open_service(settings)
    rules = Rules(lease=timedelta(seconds=settings.lease_seconds), only=only,
                  batch_size=batch_size, batch_rows=batch_rows,
                  max_abandons=max_abandons)  # fmt: skip
    journal = Journal(service.parts.journal, service.parts.clock, rules)
    try:
        if force:
            force_move(service, only, reason, dry_run)
        retry_named(journal, pause_budget_ms, dry_run)
    except MigrationError as exc:
        raise refuse(str(exc)) from exc
    if dry_run:
        return would_move(journal, as_json)
    dialect = service.parts.journal.kw["bind"].dialect.name
    if workers > 1 and dialect != "postgresql":
        raise refuse(f"--workers {workers} needs PostgreSQL: SQLite takes one writer at a time. "
                     "Set KERANJANG_MIGRATION_DATABASE_URL to a PostgreSQL database, or run "
                     "with one worker.", 2)  # fmt: skip
    run_pool(service, journal, settings, (workers, engine or ENGINE_FACTORY), as_json)


def retry_named(journal: "Journal", budget_ms: int, dry_run: bool) -> None:
    """`--only` names a move left for the operator (or abandoned lately): its count of abandons
    starts again, and this run tries it with the budget given."""
    only = journal.rules.only
    if only is not None and not dry_run and journal.retry(only, ACTOR, budget_ms):
        typer.echo(f"Seller {only} is tried again with a pause budget of {budget_ms} ms (its "
                   "abandons count from 0).", err=True)  # fmt: skip


def would_move(journal: "Journal", as_json: bool) -> None:
    ready = [{"seller_id": s, "phase": p.value} for s, p in journal.ready()]
    if as_json:
        print_json({"would_move": ready, "dry_run": True})
    else:
        lines = [f"seller {r['seller_id']} ({r['phase']})" for r in ready] or ["nothing"]
        console.print("Would move now, in this order: " + ", ".join(lines))


def force_move(
    service: "MigrationService", only: int | None, reason: str | None, dry_run: bool
) -> None:
    if only is None:
        raise refuse("--force moves one seller: name it with --only SELLER", 2)
    if not reason or not reason.strip():
        raise refuse("--force needs --reason: why the seller is moved without confirming", 2)
    if dry_run:
        console.print(f"Would force seller {only}'s move: {reason.strip()}")
        return
    service.force(only, ACTOR, reason)


def run_pool(
    service: "MigrationService",
    journal: "Journal",
    settings: "MigrationSettings",
    how: tuple[int, str],
    as_json: bool,
) -> None:
    """The workers, with bars per category and overall while they work (not with --json)."""
    from datetime import timedelta

    from keranjang.migration.workers import Pool, RunSpec, supervise

    workers, factory = how
    processes = workers > 1
    spec = RunSpec(settings, workers, journal.rules, factory, processes)
    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        TextColumn("{task.percentage:>6.2f}%"),
    )
    with Progress(
        *columns, TimeElapsedColumn(), console=console, transient=True, disable=as_json
    ) as bars:
        tasks = {name: bars.add_task(name, total=10_000) for name in CATEGORIES}

        def tick() -> None:
            service.snapshot(every=timedelta(seconds=10))
            if as_json:  # no bars to move: the figures are read once, at the end
                return
            p = service.status().progress
            figures = (p.payment_bp, p.data_bp, p.operations_bp, p.overall_bp)
            for name, bp in zip(CATEGORIES, figures, strict=True):
                bars.update(tasks[name], completed=bp)

        interrupted = supervise(Pool(spec), journal, tick)
    service.snapshot()  # the run's last figures, whatever the period
    if interrupted is not None:
        typer.echo(f"Stopped ({interrupted}): every step under way was finished or abandoned "
                   "safely; run `keranjang migrate run` again to go on.", err=True)  # fmt: skip
    current, left = service.status(), service.left_for_operator()
    if journal.rules.only is not None:
        left = [m for m in left if m.seller_id == journal.rules.only]
    if as_json:
        typer.echo(status_json(current, left))
    else:
        print_status(current)
        print_left(left)
    end_of_run(left)


CATEGORIES = ("payment", "data", "merchant operations", "overall")


@app.command()
def verify(
    *, data_dir: DataDir = Path(".keranjang"), only: Only = None, as_json: Json = False
) -> None:
    """Verification results (newest first): counts compared on both sides, rows that differ.
    Exit code 1 if a merchant's latest verification failed."""
    from keranjang.migration.reports import verifications_of

    found = open_service(settings_for(data_dir)).verifications(only)
    latest = {v.seller_id: v for v in reversed(found)}  # the newest per merchant wins
    if as_json:
        typer.echo(verifications_of(found).model_dump_json())
    else:
        table = Table(title=f"Verifications ({len(latest)} merchants)")
        for heading in ("seller", "at", "result", "checks", "rows differing"):
            table.add_column(heading)
        for v in sorted(latest.values(), key=lambda v: v.seller_id):
            result = "[green]passed[/green]" if v.passed else "[red]failed[/red]"
            table.add_row(
                str(v.seller_id),
                v.at.isoformat(timespec="seconds"),
                result,
                str(v.checks),
                str(v.differences),
            )
        console.print(table)
    if any(not v.passed for v in latest.values()):
        raise typer.Exit(1)


@app.command()
def rollback(
    seller_id: Annotated[int, typer.Argument(min=1, help="The legacy seller to send back.")],
    *,
    reason: Annotated[str, typer.Option(help="Why (kept in the journal).")],
    data_dir: DataDir = Path(".keranjang"),
    as_json: Json = False,
    engine: Engine = None,
) -> None:
    """Send a moved merchant back to the app within its rollback window (its writes in
    commerce since the cutover go back with it)."""
    from keranjang.migration.errors import MigrationError
    from keranjang.migration.reports import move_of
    from keranjang.migration.workers import ENGINE_FACTORY

    service = open_service(settings_for(data_dir), engine or ENGINE_FACTORY)
    try:
        move = service.rollback(seller_id, ACTOR, reason)
    except MigrationError as exc:
        raise refuse(str(exc)) from exc
    if as_json:
        typer.echo(move_of(move).model_dump_json())
    else:
        console.print(f"Seller {seller_id} is {move.phase.value}: it sells in the app again.")


@app.command()
def purge(
    *,
    data_dir: DataDir = Path(".keranjang"),
    only: Only = None,
    dry_run: DryRun = False,
    as_json: Json = False,
    engine: Engine = None,
) -> None:
    """Delete from social the shop data (and the buyer data only they needed) of every verified
    merchant whose rollback window has closed, and their id map in the journal."""
    from keranjang.migration.errors import MigrationError
    from keranjang.migration.workers import ENGINE_FACTORY

    service = open_service(settings_for(data_dir), None if dry_run else engine or ENGINE_FACTORY)
    due = service.purge_due(dry_run=True, only=only).due
    purged: list[int] = []
    if not dry_run:
        with Progress(console=console, transient=True, disable=as_json) as bar:
            task = bar.add_task("Purging moved merchants from social", total=len(due))
            for seller_id in due:
                try:
                    if service.purge(seller_id, ACTOR).phase.value == "purged":
                        purged.append(seller_id)
                except MigrationError as exc:
                    console.print(f"[red]seller {seller_id}: {exc}[/red]")
                bar.advance(task)
    if as_json:
        print_json({"due": list(due), "purged": purged, "dry_run": dry_run})
    elif dry_run:
        console.print(f"Would purge {len(due)} merchants: " + (", ".join(map(str, due)) or "none"))
    else:
        console.print(f"Purged {len(purged)} of {len(due)} merchants whose window had closed.")
    if len(purged) < len(due) and not dry_run:
        raise typer.Exit(1)

"""`keranjang legacy …`: the old combined app's marketplace. `seed` generates one into social's
database, in bulk; `traffic` drives live traffic at it over HTTP, journaling every request;
`check-journal` proves the journal's acknowledged writes are stored. Each command imports what it
works on when it runs."""

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from keranjang.cli.shared import DataDir, console

if TYPE_CHECKING:
    from keranjang.social.legacy_shop.generator.seeding import Report, SeedRequest

app = typer.Typer(no_args_is_help=True)
Count = Annotated[int, typer.Option(min=1, max=100_000_000)]


@app.command(name="seed")
def seed_command(
    *,
    merchants: Count = 12,
    products_per_merchant: Count = 8,
    buyers: Count = 60,
    orders: Annotated[int, typer.Option(min=0, max=100_000_000)] = 300,
    seed: Annotated[int, typer.Option(help="Same seed, same marketplace.")] = 2023,
    database_url: Annotated[
        str | None,
        typer.Option(
            envvar="KERANJANG_SOCIAL_DATABASE_URL",
            help="Social's database (default: social.db in the data folder).",
        ),
    ] = None,
    data_dir: DataDir = Path(".keranjang"),
    append: Annotated[
        bool, typer.Option(help="Add a marketplace after the legacy sellers already there.")
    ] = False,
) -> None:
    """Generate an old marketplace in social's legacy in-app shop (migrated first): sellers with
    a heavy tail of sales, products, buyers, orders in every state with their payments and
    escrow entries, creators pinning products on live sessions."""
    from keranjang.social.legacy_shop.generator.plan import Size, SizeError
    from keranjang.social.legacy_shop.generator.seeding import AlreadySeeded, SeedRequest

    size = Size(merchants, products_per_merchant, buyers, orders, seed)
    try:
        request = SeedRequest(size.check(), seed_key(data_dir), datetime.now(UTC), append)
        report = generate(database_url or social_database(data_dir), request)
    except (AlreadySeeded, SizeError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    print_report(report)


def seed_key(data_dir: Path) -> bytes:
    """The secret generated tokens derive from (`legacy-seed-key` in the data folder)."""
    from keranjang.infra import secret_files

    return secret_files.load_or_create(data_dir.resolve() / "legacy-seed-key").encode()


def social_database(data_dir: Path) -> str:
    from keranjang.social.config import SocialSettings

    return SocialSettings(data_dir=data_dir.resolve()).resolved_database_url


def generate(database_url: str, request: "SeedRequest") -> "Report":
    """Migrate social's database, then generate into it with a progress bar."""
    from keranjang.infra.database import make_engine
    from keranjang.social.legacy_shop.generator import seeding

    engine = make_engine(database_url)
    try:
        seeding.migrate(engine)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task(
                "Generating the legacy marketplace", total=seeding.steps(request.size)
            )
            return seeding.seed(engine, request, lambda n: bar.advance(task, n))
    finally:
        engine.dispose()


def print_report(report: "Report") -> None:
    table = Table(title="Legacy marketplace generated")
    for heading in ("table", "rows", "writing (s)", "rows/s"):
        table.add_column(heading, justify="left" if heading == "table" else "right")
    for name, stats in report.tables.items():
        rate = stats.rows / stats.seconds if stats.seconds else 0.0
        table.add_row(name, f"{stats.rows:,}", f"{stats.seconds:.2f}", f"{rate:,.0f}")
    total_rate = report.rows / report.seconds if report.seconds else 0.0
    table.add_row(
        "total (wall clock)", f"{report.rows:,}", f"{report.seconds:.2f}", f"{total_rate:,.0f}"
    )
    console.print(table)
    console.print(f"{report.rows:,} rows in {report.seconds:.1f} s: {total_rate:,.0f} rows/s.")


Url = Annotated[str, typer.Option(help="Where the service answers, as a client reaches it.")]


@app.command(name="traffic")
def traffic_command(
    *,
    journal: Annotated[Path, typer.Option(help="JSON-lines journal, appended to.")],
    rate: Annotated[float, typer.Option(min=0.1, max=1000, help="Steps started per second.")] = 5.0,
    seconds: Annotated[float, typer.Option(min=0.1)] = 60.0,
    seed: Annotated[int, typer.Option(help="Same seed, same plan of steps.")] = 1,
    in_flight: Annotated[int, typer.Option(min=1, max=256)] = 8,
    social_url: Url = "http://127.0.0.1:8001",
    commerce_url: Url = "http://127.0.0.1:8002",
    data_dir: DataDir = Path(".keranjang"),
    viewers: Annotated[int, typer.Option(min=1, max=1000)] = 6,
    creators: Annotated[int, typer.Option(min=0, max=100)] = 2,
    sellers: Annotated[int, typer.Option(min=0, max=100)] = 2,
) -> None:
    """Live traffic on the old combined app: viewers browse, buy and pay, sellers edit and
    fulfil, creators go live and pin, following the routing table; every request journaled.
    Reads the operator token and the legacy generator's key from the data folder if there.
    Exit code 1 if a server error was answered."""
    from keranjang.demo.traffic import report, runner, world

    def secret(name: str) -> str | None:
        path = data_dir / name
        return path.read_text().strip() if path.exists() else None

    key = secret("legacy-seed-key")
    cast = world.Cast(run_tag=secrets.token_hex(3), viewers=viewers, creators=creators,
                      sellers=sellers, operator_token=secret("operator-token"),
                      seed_key=key.encode() if key else None)  # fmt: skip
    settings = runner.Settings(social_url, commerce_url, journal, rate, seconds, seed=seed,
                               in_flight=in_flight, cast=cast)  # fmt: skip
    outcome = runner.run(settings)
    report.print_summary(console, outcome, journal)
    if outcome.summary.server_errors:
        raise typer.Exit(1)


@app.command(name="check-journal")
def check_journal_command(
    journal: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    *,
    social_database_url: Annotated[str | None, typer.Option()] = None,
    commerce_database_url: Annotated[str | None, typer.Option()] = None,
    data_dir: DataDir = Path(".keranjang"),
) -> None:
    """Prove every acknowledged write of a traffic journal is stored once, where its merchant
    lives now (read-only; SQLite files in the data folder by default). Exit code 1 if not."""
    from keranjang.demo.traffic import check, report
    from keranjang.demo.traffic.where import Databases

    folder = data_dir.resolve()
    databases = Databases(social_database_url or f"sqlite:///{folder / 'social.db'}",
                          commerce_database_url or f"sqlite:///{folder / 'commerce.db'}")  # fmt: skip
    found = check.check(journal, databases)
    report.print_check(console, found)
    if not found.ok:
        raise typer.Exit(1)

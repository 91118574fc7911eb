"""`keranjang legacy …`: the old combined app's marketplace. `seed` generates one into social's
database, in bulk. Each command imports what it works on when it runs."""

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

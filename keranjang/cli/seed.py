"""`keranjang seed`: a demo marketplace, put into running services through their APIs."""

from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.progress import Progress

from keranjang.cli.shared import DataDir, console, operator_token
from keranjang.demo.seed import Seeder, SeedError, SeedSize
from keranjang.infra import secret_files

app = typer.Typer()


def run_seed(
    social_url: str,
    commerce_url: str,
    token: str,
    size: SeedSize,
    *,
    creator_password: str | None = None,
) -> None:
    """Seed through the services' APIs; with `creator_password`, every demo creator can sign in
    to their own pages with it."""
    with (
        httpx.Client(base_url=social_url, timeout=10) as social,
        httpx.Client(base_url=commerce_url, timeout=10) as commerce,
        Progress(console=console, transient=True) as progress,
    ):
        task = progress.add_task("Seeding the demo marketplace", total=size.steps)
        seeder = Seeder(social, commerce, token, lambda n: progress.advance(task, n))
        seeder.creator_password = creator_password
        seeded = seeder.run(size)
    console.print(
        f"Seeded {seeded.merchants} shops, {len(seeded.products)} products, "
        f"{seeded.creators} creators, {seeded.content} videos and live sessions, {seeded.pins} pins."
    )


@app.command(name="seed")
def seed_command(
    *,
    data_dir: DataDir = Path(".keranjang"),
    social_url: Annotated[
        str, typer.Option(envvar="KERANJANG_SOCIAL_PUBLIC_URL")
    ] = "http://127.0.0.1:8001",
    commerce_url: Annotated[
        str, typer.Option(envvar="KERANJANG_COMMERCE_PUBLIC_URL")
    ] = "http://127.0.0.1:8002",
    merchants: Annotated[int, typer.Option(min=1, max=10_000)] = 6,
    products_per_merchant: Annotated[int, typer.Option(min=1, max=1_000)] = 5,
    creators: Annotated[int, typer.Option(min=1, max=10_000)] = 5,
    content_per_creator: Annotated[int, typer.Option(min=1, max=100)] = 3,
    random_seed: Annotated[int, typer.Option(help="Same seed, same marketplace.")] = 2023,
) -> None:
    """Seed a demo marketplace into running services through their APIs (size adjustable)."""
    size = SeedSize(merchants, products_per_merchant, creators, content_per_creator, random_seed)
    try:
        data_dir = data_dir.resolve()
        password = secret_files.load_or_create(data_dir / "creator-password", nbytes=12)
        run_seed(
            social_url, commerce_url, operator_token(data_dir), size, creator_password=password
        )
    except SeedError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc

"""`keranjang audit`: the regulator's own copy of the audit log and its offline check.

checkpoint  save the monitor's newest signed checkpoint (to verify against later)
export      the whole log (entries + newest checkpoint) as JSON, read from the monitor's
            HTTP API (its tiles), never from its database
verify      offline: the export is the log its checkpoint signs and extends the checkpoint
            saved earlier; exit 1 with the reason on any edit, deletion, reordering or
            rollback
"""

from pathlib import Path
from typing import Annotated

import httpx
import typer

from keranjang.cli.shared import console

app = typer.Typer(no_args_is_help=True)
MonitorUrl = Annotated[
    str,
    typer.Option("--url", envvar="KERANJANG_OVERSIGHT_PUBLIC_URL", help="The monitor's URL."),
]
DEFAULT_URL = "http://127.0.0.1:8004"


def _get(client: httpx.Client, path: str) -> bytes:
    try:
        response = client.get(path)
    except httpx.HTTPError as exc:
        console.print(f"[red]The monitor did not answer {path}[/red]: {exc}")
        raise typer.Exit(2) from exc
    if response.status_code != 200:
        console.print(f"[red]The monitor answered {response.status_code} to {path}[/red]")
        raise typer.Exit(2)
    return response.content


@app.command()
def checkpoint(
    out: Annotated[Path, typer.Option(help="Where to save the signed checkpoint.")],
    url: MonitorUrl = DEFAULT_URL,
) -> None:
    """Save the monitor's newest signed checkpoint."""
    with httpx.Client(base_url=url, timeout=10) as client:
        out.write_bytes(_get(client, "/log/checkpoint"))
    console.print(f"Saved the checkpoint to {out}.")


@app.command()
def export(
    out: Annotated[Path, typer.Option(help="Where to write the export (JSON).")],
    url: MonitorUrl = DEFAULT_URL,
) -> None:
    """Export every entry and the newest checkpoint, read through the log's tiles."""
    from keranjang.oversight.auditlog.checkpoint import parse
    from keranjang.oversight.auditlog.export import Export
    from keranjang.oversight.auditlog.tiles import WIDTH, bundle_path, read_bundle

    with httpx.Client(base_url=url, timeout=30) as client:
        note = _get(client, "/log/checkpoint").decode()
        head = parse(note.split("\n\n", 1)[0] + "\n")
        entries: list[bytes] = []
        for n in range((head.size + WIDTH - 1) // WIDTH):
            width = min(WIDTH, head.size - n * WIDTH)
            entries += read_bundle(_get(client, "/log/" + bundle_path(n, width)))
    out.write_text(Export(head.origin, entries, note).to_json())
    console.print(f"Exported {len(entries)} entries of {head.origin} to {out}.")


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="An export written by `keranjang audit export`.")],
    saved: Annotated[Path, typer.Option("--checkpoint", help="A checkpoint saved earlier.")],
    key: Annotated[str, typer.Option(help="The verifier key, or a file holding it.")],
) -> None:
    """Check an export offline against a checkpoint saved earlier; exit 1 if tampered."""
    from keranjang.oversight.auditlog.checkpoint import CheckpointError, Verifier
    from keranjang.oversight.auditlog.export import Export, LogTampered, verify_export

    key_text = Path(key).read_text() if Path(key).is_file() else key
    try:
        verifier = Verifier.parse(key_text)
    except CheckpointError as exc:
        console.print(f"[red]The key cannot be used[/red]: {exc}")
        raise typer.Exit(2) from exc
    try:
        result = verify_export(Export.from_json(file.read_text()), saved.read_text(), verifier)
    except LogTampered as exc:
        console.print(f"[red]TAMPERED[/red]: {exc}")
        raise typer.Exit(1) from exc
    console.print(
        f"[green]Verified[/green]: {result.size} entries, signed by {verifier.name}, extending "
        f"the saved checkpoint of {result.saved_size}."
    )

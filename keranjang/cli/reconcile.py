"""`keranjang reconcile`: commerce's payments checked against the payment partner's.

Commerce is built through its composition root (`commerce.bootstrap`), not as a web app: the
command loads neither FastAPI nor Starlette (a test proves it)."""

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from keranjang.cli.shared import ServiceName, console, log_level, log_to_stderr

if TYPE_CHECKING:
    from keranjang.commerce.money.reconciliation import Report

app = typer.Typer()


@app.command()
def reconcile(
    hours: Annotated[
        float | None,
        typer.Option(min=0.001, help="Only payments changed in the last HOURS (default: all)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Reconcile commerce's payments with the payment partner (settings from KERANJANG_COMMERCE_*):
    settle missed payments, retry refunds, and report what disagrees (exit code 1 if anything)."""
    log_to_stderr(log_level(ServiceName.commerce))
    report = run(None if hours is None else timedelta(hours=hours))
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        print_reconciliation(report)
    if report.disagreements:
        raise typer.Exit(1)


def run(since: timedelta | None) -> "Report":
    """One reconciliation run on commerce built from its settings (its database migrated)."""
    # Imported here: loading the command line loads no part.
    from keranjang.commerce import bootstrap
    from keranjang.commerce.config import CommerceSettings

    commerce = bootstrap.build(CommerceSettings())
    try:
        return commerce.reconciliation.run(since)
    finally:
        commerce.engine.dispose()


def print_reconciliation(report: "Report") -> None:
    console.print(
        f"Checked {report.checked} payments: {report.settled} missed payments applied (orders "
        f"paid, or second payments owed back), {report.recorded} ended "
        f"payments recorded, {report.refunds_settled} refunds settled, "
        f"{report.unreachable} orders not answered for by the partner, {report.failed} "
        "failed to store (tried again next run)."
    )
    if report.late_payments:
        late = Table(title=f"{len(report.late_payments)} payments after their order ended")
        for column in ("order", "order is", "partner payment", "amount", "paid with", "refund"):
            late.add_column(column)
        for p in report.late_payments:
            amount = f"Rp{p.amount_idr:,}".replace(",", ".")
            late.add_row(
                p.order_number, p.order_status, p.partner_order_id, amount, p.paid_with, p.state
            )
        console.print(late)
    if report.payment_ends:
        print_payment_ends(report)
    if not report.disagreements:
        console.print("[green]Commerce and the partner agree.[/green]")
        return
    table = Table(title=f"{len(report.disagreements)} disagreements (nothing was changed)")
    table.add_column("order")
    table.add_column("commerce says")
    table.add_column("the partner says")
    for d in report.disagreements:
        table.add_row(d.order_number, d.commerce, d.partner)
    console.print(table)


def print_payment_ends(report: "Report") -> None:
    ends = Table(title=f"{len(report.payment_ends)} payments of ended orders not yet ended")
    for column in ("order", "ending", "state", "tries", "next try", "the partner said"):
        ends.add_column(column)
    for e in report.payment_ends:
        next_try = f"{e.next_at:%Y-%m-%d %H:%M} UTC"
        ends.add_row(e.order_number, e.ending, e.status, str(e.attempts), next_try, e.outcome)
    console.print(ends)

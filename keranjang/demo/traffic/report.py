"""A run's summary and a check's findings, as Rich tables."""

from pathlib import Path

from rich.console import Console
from rich.table import Table

from keranjang.demo.traffic.check import Report
from keranjang.demo.traffic.runner import Outcome

MAX_FINDINGS_SHOWN = 50


def print_summary(console: Console, outcome: Outcome, journal: Path) -> None:
    s = outcome.summary
    table = Table(title=f"Traffic: {s.operation_count} steps in {s.seconds:.1f} s")
    for heading in ("step", "outcome", "count"):
        table.add_column(heading, justify="right" if heading == "count" else "left")
    for (kind, result), count in sorted(s.operations.items()):
        table.add_row(kind, result, str(count))
    console.print(table)
    requests = Table(title="Requests by action and status")
    for heading in ("action", "status", "count"):
        requests.add_column(heading, justify="left" if heading == "action" else "right")
    for (action, status), count in sorted(s.requests.items()):
        requests.add_row(action, str(status or "no answer"), str(count))
    console.print(requests)
    console.print(
        f"{s.request_count} requests ({outcome.setup_requests} more setting up), "
        f"{s.writes_acknowledged} writes acknowledged, latency p50 {s.p50_ms} ms, "
        f"p99 {s.p99_ms} ms; {s.retried} retried after Retry-After; {outcome.late_starts} "
        f"steps started late; {s.server_errors} server errors. Journal: {journal}"
    )
    stopped = [seller.id for seller in outcome.known.sellers if seller.stopped]
    if stopped:
        console.print(f"Seller actions stopped (moved to commerce): sellers {stopped}.")
    for error in s.errors:
        console.print(f"[red]{error}[/red]")


def print_check(console: Console, report: Report) -> None:
    checked = ", ".join(f"{n} {what}" for what, n in sorted(report.checked.items()))
    console.print(f"Checked: {checked or 'nothing acknowledged'}.")
    if report.findings:
        table = Table(title="Findings")
        for heading in ("kind", "what", "detail"):
            table.add_column(heading)
        for finding in report.findings[:MAX_FINDINGS_SHOWN]:
            table.add_row(finding.kind, finding.what, finding.detail)
        console.print(table)
        if len(report.findings) > MAX_FINDINGS_SHOWN:
            console.print(f"… and {len(report.findings) - MAX_FINDINGS_SHOWN} more.")
    if report.ok:
        console.print("[green]Every acknowledged write is there, once.[/green]")
    else:
        console.print(
            f"[red]{len(report.problems)} acknowledged writes missing, doubled or changed.[/red]"
        )

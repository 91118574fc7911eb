"""The regulator's own copy of the audit log, through the command line: `keranjang audit
export` reads the monitor's HTTP API (its tiles), `keranjang audit verify` checks the copy
offline against a checkpoint saved earlier and detects an edited, deleted or reordered entry
and a log rolled back to an older tree; `keranjang oversight evaluate` exits 1 when a rule
fails, reading real HTTP evidence endpoints."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from typer.testing import CliRunner

from keranjang.cli import app as cli
from keranjang.infra.clock import FixedClock
from keranjang.oversight import sample_evidence
from keranjang.oversight.app import create_app
from keranjang.oversight.config import OversightSettings
from tests.integration.conftest import serving

OPERATOR = "op-token"
START = datetime(2024, 3, 1, 9, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def monitor_url(tmp_path: Path) -> Iterator[str]:
    settings = OversightSettings(
        data_dir=tmp_path / "monitor", admin_token=OPERATOR, evaluate_every_seconds=0
    )
    app = create_app(settings, source=sample_evidence.compliant(START), clock=FixedClock(START))
    with serving(app) as url:
        yield url


def evaluate(url: str) -> None:
    r = httpx.post(
        f"{url}/api/evaluations", headers={"Authorization": f"Bearer {OPERATOR}"}, timeout=30
    )
    assert r.status_code == 201, r.text


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def saved_and_export(monitor_url: str, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A checkpoint saved after the first evaluation, an export after the third, the key."""
    evaluate(monitor_url)
    saved, export, key = tmp_path / "saved.note", tmp_path / "log.json", tmp_path / "log.vkey"
    assert run("audit", "checkpoint", "--out", str(saved), "--url", monitor_url)[0] == 0
    evaluate(monitor_url)
    evaluate(monitor_url)
    code, output = run("audit", "export", "--out", str(export), "--url", monitor_url)
    assert code == 0, output
    key.write_text(httpx.get(f"{monitor_url}/log/key").text)
    return saved, export, key


def verify(export: Path, saved: Path, key: Path) -> tuple[int, str]:
    return run("audit", "verify", str(export), "--checkpoint", str(saved), "--key", str(key))


def edit(export: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(export.read_text())
    data["entries"] = change(data["entries"])
    export.write_text(json.dumps(data))


def test_an_untouched_export_verifies_against_the_saved_checkpoint(
    saved_and_export: tuple[Path, Path, Path],
) -> None:
    saved, export, key = saved_and_export
    code, output = verify(export, saved, key)
    assert code == 0, output
    assert "Verified" in output and "3 entries" not in output
    assert len(json.loads(export.read_text())["entries"]) == 3 * 14 + 2


def test_an_edited_entry_is_detected(saved_and_export: tuple[Path, Path, Path]) -> None:
    saved, export, key = saved_and_export
    import base64

    def flip(entries: list[str]) -> list[str]:
        leaf = json.loads(base64.b64decode(entries[5]))
        leaf["status"] = "pass" if leaf["status"] != "pass" else "fail"
        entries[5] = base64.b64encode(json.dumps(leaf).encode()).decode()
        return entries

    edit(export, flip)
    code, output = verify(export, saved, key)
    assert code == 1 and "TAMPERED" in output and "edited" in output


def test_a_deleted_entry_is_detected(saved_and_export: tuple[Path, Path, Path]) -> None:
    saved, export, key = saved_and_export
    edit(export, lambda entries: entries[:3] + entries[4:])
    code, output = verify(export, saved, key)
    assert code == 1 and "TAMPERED" in output


def test_reordered_entries_are_detected(saved_and_export: tuple[Path, Path, Path]) -> None:
    saved, export, key = saved_and_export
    edit(export, lambda entries: [entries[1], entries[0], *entries[2:]])
    code, output = verify(export, saved, key)
    assert code == 1 and "moved" in output


def test_a_log_rolled_back_to_an_older_tree_is_detected(monitor_url: str, tmp_path: Path) -> None:
    evaluate(monitor_url)
    old, saved, key = tmp_path / "old.json", tmp_path / "saved.note", tmp_path / "key"
    assert run("audit", "export", "--out", str(old), "--url", monitor_url)[0] == 0
    evaluate(monitor_url)
    assert run("audit", "checkpoint", "--out", str(saved), "--url", monitor_url)[0] == 0
    key.write_text(httpx.get(f"{monitor_url}/log/key").text)
    code, output = verify(old, saved, key)
    assert code == 1 and "rolled back" in output


def evidence_app(violation: bool) -> FastAPI:
    """Services answering their evidence endpoints (social with a payment in the app)."""
    app = FastAPI()
    social = sample_evidence.social(START)
    if violation:
        shop = social.legacy_shop.model_copy(update={"payments_created_in_window": 2})
        social = social.model_copy(update={"legacy_shop": shop})
    documents = {
        "/evidence/social": social,
        "/evidence/payments": sample_evidence.payments(START),
        "/evidence/migration/progress": sample_evidence.progress(START),
        "/evidence/migration/history": sample_evidence.history(START),
        "/evidence/migration/events": sample_evidence.events(START),
    }
    for path, model in documents.items():
        app.add_api_route(
            path,
            lambda m=model: PlainTextResponse(m.model_dump_json(), media_type="application/json"),
        )
    app.add_api_route("/metrics", lambda: PlainTextResponse(""))

    @app.get("/evidence/commerce")
    def commerce(request: Request) -> PlainTextResponse:  # invoice links on commerce's own host
        evidence = sample_evidence.commerce(START)
        invoices = evidence.invoices.model_copy(update={"link_hosts": [request.url.netloc]})
        body = evidence.model_copy(update={"invoices": invoices}).model_dump_json()
        return PlainTextResponse(body, media_type="application/json")

    return app


@pytest.mark.parametrize("violation", [True, False])
def test_oversight_evaluate_exits_1_when_a_rule_fails(
    violation: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(evidence_app(violation)) as url:
        for service in ("SOCIAL", "COMMERCE", "PAYMENTS", "MIGRATION"):
            monkeypatch.setenv(f"KERANJANG_OVERSIGHT_{service}_URL", url)
        code, output = run("oversight", "evaluate", "--json", "--data-dir", str(tmp_path))
    assert code == (1 if violation else 0), output
    results = {r["rule_id"]: r for r in json.loads(output)["results"]}
    assert results["pasal-21-3.no-payments-in-social"]["status"] == (
        "fail" if violation else "pass"
    )
    assert results["pasal-19.cross-border-floor"]["status"] == "pass"

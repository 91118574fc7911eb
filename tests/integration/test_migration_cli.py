"""`keranjang migrate …` through Typer's CliRunner, on SQLite and PostgreSQL, with a fake engine
(`--engine`): plan, run (bars, --only, --force --reason, --dry-run, --workers), status, verify,
rollback and purge, each with --json."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from keranjang.cli import app
from keranjang.infra.database import make_engine, session_factory
from keranjang.migration.config import MigrationSettings
from keranjang.social.legacy_shop.generator import seeding
from keranjang.social.legacy_shop.generator.plan import Size
from tests.integration.migration_fakes import FakeMover

ENGINE = f"{__name__}:fake_engine"
T0 = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
UNCONFIRMED = {3}


def fake_engine(settings: MigrationSettings) -> FakeMover:
    mover = FakeMover(session_factory(make_engine(settings.resolved_database_url)))
    mover.unconfirmed = set(UNCONFIRMED)
    return mover


@pytest.fixture
def env(database_url: Callable[[str], str], tmp_path: Path) -> dict[str, str]:
    social = database_url("social")
    engine = make_engine(social)
    seeding.migrate(engine)
    request = seeding.SeedRequest(Size(5, 2, 10, 50, seed=5), b"k" * 32, T0)
    seeding.seed(engine, request, lambda _n: None)
    engine.dispose()
    return {
        "KERANJANG_DATA_DIR": str(tmp_path),
        "KERANJANG_MIGRATION_DATABASE_URL": database_url("migration"),
        "KERANJANG_MIGRATION_SOCIAL_DATABASE_URL": social,
        "KERANJANG_MIGRATION_ENGINE": ENGINE,
    }


def migrate(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["migrate", *args], env=env)
    return result.exit_code, result.output


def as_json(env: dict[str, str], *args: str) -> object:
    code, output = migrate(env, *args, "--json")
    assert code == 0, output
    return json.loads(output)


def test_plan_then_run_moves_every_confirmed_seller_and_status_says_so(env) -> None:  # type: ignore[no-untyped-def]
    dry = as_json(env, "plan", "--dry-run")
    assert isinstance(dry, dict) and len(dry["added"]) == 5 and dry["dry_run"]
    planned = as_json(env, "plan")
    assert isinstance(planned, dict)
    ranks = [m["rank"] for m in planned["added"]]
    sales = [m["sales_idr"] for m in planned["added"]]
    assert ranks == [1, 2, 3, 4, 5] and sales == sorted(sales, reverse=True)
    assert as_json(env, "plan")["added"] == []  # type: ignore[index]

    would = as_json(env, "run", "--dry-run")
    assert [m["phase"] for m in would["would_move"]] == ["planned"] * 5  # type: ignore[index]
    code, output = migrate(env, "run")
    assert code == 0, output
    assert "Migration progress" in output and "overall" in output
    status = as_json(env, "status")
    assert isinstance(status, dict)
    assert status["merchants_by_phase"]["verified"] == 4
    assert status["merchants_by_phase"]["planned"] == 1  # seller 3 has not confirmed
    code, output = migrate(env, "status")
    assert code == 0 and "payment" in output and "merchant operations" in output


def test_force_needs_one_seller_and_a_reason_then_moves_it(env) -> None:  # type: ignore[no-untyped-def]
    as_json(env, "plan")
    code, output = migrate(env, "run", "--force", "--reason", "asked by phone")
    assert code == 2 and "--only" in output
    code, output = migrate(env, "run", "--force", "--only", "3")
    assert code == 2 and "--reason" in output
    moved = as_json(env, "run", "--only", "3", "--force", "--reason", "asked by phone")
    assert isinstance(moved, dict)
    assert moved["merchants_by_phase"]["verified"] == 1  # that seller alone
    code, output = migrate(env, "run", "--only", "999", "--force", "--reason", "x")
    assert code == 1 and "not in the plan" in output


def test_verify_reports_results_and_fails_when_the_latest_failed(env) -> None:  # type: ignore[no-untyped-def]
    as_json(env, "plan")
    code, _ = migrate(env, "verify")
    assert code == 0
    journal = make_engine(env["KERANJANG_MIGRATION_DATABASE_URL"])
    with journal.begin() as c:
        for what, detail in (("verified", '{"passed": true, "checks": 5}'),
                             ("verification_failed", '{"passed": false, "differences": [1, 2]}')):  # fmt: skip
            c.execute(text("INSERT INTO events (seller_id, phase, what, detail, actor, at) "
                           "VALUES (1, 'cut_over', :w, :d, 'engine', :at)"),
                      {"w": what, "d": detail, "at": T0})  # fmt: skip
    journal.dispose()
    code, output = migrate(env, "verify", "--json")
    assert code == 1
    found = json.loads(output)
    assert (found["passed"], found["failed"]) == (1, 1)
    code, output = migrate(env, "verify")
    assert code == 1 and "failed" in output


def test_rollback_and_purge_with_dry_run(env) -> None:  # type: ignore[no-untyped-def]
    as_json(env, "plan")
    migrate(env, "run")
    code, output = migrate(env, "rollback", "1", "--reason", "the seller asked")
    assert code == 0 and "rolled_back" in output
    code, output = migrate(env, "rollback", "1", "--reason", "again")
    assert code == 1  # already back in the app
    code, output = migrate(env, "rollback", "2", "--reason", "x", "--json")
    assert code == 0 and json.loads(output)["phase"] == "rolled_back"
    # Nothing is due while the windows are open.
    assert as_json(env, "purge", "--dry-run") == {"due": [], "purged": [], "dry_run": True}
    journal = make_engine(env["KERANJANG_MIGRATION_DATABASE_URL"])
    with journal.begin() as c:
        c.execute(text("UPDATE moves SET purge_after = :t WHERE phase = 'verified'"),
                  {"t": datetime.now(UTC) - timedelta(minutes=1)})  # fmt: skip
    journal.dispose()
    due = as_json(env, "purge", "--dry-run")
    assert isinstance(due, dict) and len(due["due"]) == 2 and due["purged"] == []
    done = as_json(env, "purge")
    assert isinstance(done, dict) and sorted(done["purged"]) == sorted(due["due"])
    assert as_json(env, "status")["merchants_by_phase"]["purged"] == 2  # type: ignore[index]


def test_several_workers_are_refused_on_sqlite_and_run_on_postgresql(env) -> None:  # type: ignore[no-untyped-def]
    as_json(env, "plan")
    code, output = migrate(env, "run", "--workers", "2")
    if env["KERANJANG_MIGRATION_DATABASE_URL"].startswith("sqlite"):
        assert code == 2 and "PostgreSQL" in output
        return
    assert code == 0, output
    assert as_json(env, "status")["merchants_by_phase"]["verified"] == 4  # type: ignore[index]


def test_the_command_line_loads_no_web_framework() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from keranjang.cli import app; "
        "import keranjang.cli.migrate; import keranjang.migration.workers, keranjang.migration.reports; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""The `keranjang` command as an operator runs it, in a process of its own: `reconcile` on a
fresh SQLite data folder answers without loading a web framework, and the command line itself
loads no part until a command needs one.

`python -X importtime` lists on stderr every module the process imports, so the tests see what
was loaded in the real command, not in the test's own interpreter (which has FastAPI already)."""

import json
import os
import subprocess
import sys
from pathlib import Path

WEB_FRAMEWORKS = {"fastapi", "starlette"}
PARTS = {"keranjang.social", "keranjang.commerce", "keranjang.payments"}
CLOSED_PORT = "http://127.0.0.1:9"  # the discard port: nothing answers there


def keranjang(data_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `keranjang ARGS` on DATA_DIR with no other Keranjang settings; the result, and the names
    of the modules the process imported."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("KERANJANG_")}
    env |= {
        "KERANJANG_DATA_DIR": str(data_dir),
        # Were it asked, the partner would be nowhere: a fresh shop has nothing to ask about.
        "KERANJANG_COMMERCE_PAYMENTS_URL": CLOSED_PORT,
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    command = [sys.executable, "-X", "importtime", "-m", "keranjang", *args]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    imported = {
        line.rpartition("|")[2].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    return result, imported


def loaded(imported: set[str], packages: set[str]) -> set[str]:
    """The modules of `imported` inside any of `packages`."""
    return {m for m in imported if any(m == p or m.startswith(f"{p}.") for p in packages)}


def test_reconcile_on_a_fresh_shop_agrees_without_loading_a_web_framework(tmp_path: Path) -> None:
    result, imported = keranjang(tmp_path, "reconcile")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Checked 0 payments" in result.stdout
    assert "Commerce and the partner agree." in result.stdout
    assert "keranjang.commerce.bootstrap" in imported  # commerce was built, and seen being so
    assert (tmp_path / "commerce.db").exists()
    assert not loaded(imported, WEB_FRAMEWORKS), sorted(loaded(imported, WEB_FRAMEWORKS))


def test_reconcile_prints_its_report_as_json(tmp_path: Path) -> None:
    result, imported = keranjang(tmp_path, "reconcile", "--json", "--hours", "1")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["checked"] == 0
    assert report["disagreements"] == []
    assert not loaded(imported, WEB_FRAMEWORKS), sorted(loaded(imported, WEB_FRAMEWORKS))


def test_the_command_line_loads_no_part_until_a_command_runs(tmp_path: Path) -> None:
    result, imported = keranjang(tmp_path, "--help")

    assert result.returncode == 0, result.stderr
    for command in ("serve", "up", "seed", "reconcile"):
        assert command in result.stdout
    assert "keranjang.cli.reconcile" in imported
    assert not loaded(imported, PARTS | WEB_FRAMEWORKS), sorted(loaded(imported, PARTS))

"""The result file every benchmark writes: which code and machine were measured, in strict
JSON, under bench/results/ (gitignored) unless told otherwise."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parents[1]
REPOSITORY = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPOSITORY), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the service code had uncommitted changes."""
    status = _git("status", "--porcelain", "--", "keranjang", "pyproject.toml")
    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def finite(value: Any) -> Any:
    """The result with NaN (no sample) as null, so the file is strict JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def write_result(results_dir: str | Path, name: str, result: dict[str, Any]) -> Path:
    """`<results_dir>/<name>-<timestamp>.json`, the timestamp being the result's."""
    folder = Path(results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}-{result['timestamp']}.json"
    out.write_text(json.dumps(finite(result), indent=2, allow_nan=False) + "\n")
    return out


def run_bench(
    name: str,
    options: Callable[[], argparse.Namespace],
    run: Callable[[argparse.Namespace], dict[str, Any]],
    report: Callable[[dict[str, Any]], None],
) -> int:
    """A benchmark's `main`: its options, its run, its table, its result file; exit code 1
    with the reason if it failed."""
    from bench.kit.errors import BenchError
    from bench.kit.tables import say

    args = options()
    try:
        result = run(args)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    report(result)
    say(f"Result in {write_result(args.results_dir, name, result)}")
    return 0

"""Optional py-spy profiles of the servers during a phase: started before it, summarised after
(top frames by share of the non-idle samples), the raw collapsed stacks kept on request."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.kit.processes import stop_process

PROFILE_VIEWS = {
    # Samples of the thread holding the GIL: where the Python CPU time goes.
    "cpu": ["--gil"],
    # Samples of every thread not idle: also shows waits outside the GIL (database, locks).
    "wall": [],
}

SpyRuns = dict[str, tuple[subprocess.Popen[bytes], Path]]


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _record(spy: str, pid: int, delay: float, seconds: float, out: Path) -> list[str]:
    """py-spy record's command, started after `delay` seconds by a shell."""
    return [
        "sh",
        "-c",
        f'sleep {delay:.2f}; exec "$0" "$@"',
        spy,
        "record",
        "--pid", str(pid),
        "--duration", str(max(1, round(seconds))),
        "--rate", "100",
        "--format", "raw",
        "--nonblocking",
        "--output", str(out),
    ]  # fmt: skip


def start_profiles(pids: Mapping[str, int], delay: float, seconds: float, outdir: Path) -> SpyRuns:
    """py-spy record (collapsed stacks) of each server, both views, after `delay` seconds for
    `seconds`; nothing (and a note) when py-spy is not installed."""
    spy = py_spy()
    if spy is None:
        print("  --profile: py-spy not found (pip install py-spy); skipped", flush=True)
        return {}
    started = {}
    for name, pid in pids.items():
        for view, flags in PROFILE_VIEWS.items():
            out = outdir / f"{name}.{view}.folded"
            proc = subprocess.Popen(
                [*_record(spy, pid, delay, seconds, out), *flags],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            started[f"{name}.{view}"] = (proc, out)
    return started


def idle_stack(frames: list[str]) -> bool:
    """A thread-pool worker waiting for work, or the event loop waiting in its selector."""
    names = [f.partition(" (")[0] for f in frames]
    if "WorkerThread.run" in names:
        after = names[names.index("WorkerThread.run") + 1 :]
        return not after or after[0] == "Queue.get"
    return bool(names) and names[-1] in {"select", "_run_once", "Runner.run", "run_forever"}


def short_frame(frame: str) -> str:
    """`func (path/to/module.py:123)` -> `func (module.py)`; line numbers dropped to aggregate."""
    func, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file = where.rsplit(":", 1)[0]
    parts = Path(file).parts
    if "site-packages" in parts:
        file = "/".join(parts[parts.index("site-packages") + 1 :][:1] + parts[-1:])
    elif "keranjang" in parts:
        file = "/".join(parts[parts.index("keranjang") :])
    else:
        file = parts[-1] if parts else file
    return f"{func} ({file})"


def _folded(path: Path) -> list[tuple[list[str], int]]:
    """(frames, samples) per line of py-spy's collapsed stacks."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        try:
            count = int(count_text)
        except ValueError:
            continue
        stacks.append(([f for f in stack.split(";") if f], count))
    return stacks


def summarise_folded(path: Path, top: int = 12) -> dict[str, Any]:
    """Top frames by share of (non-idle) samples, from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = idle = 0
    for frames, count in _folded(path):
        if idle_stack(frames):
            idle += count
            continue
        total += count
        for key in dict.fromkeys(short_frame(frame) for frame in frames):  # once per stack
            inclusive[key] += count
        leaf[short_frame(frames[-1]) if frames else "(no Python frame)"] += count

    def share(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "idle_samples_dropped": idle,
        "inclusive_pct": [(f, share(n)) for f, n in inclusive.most_common(80)],
        "self_pct": [(f, share(n)) for f, n in leaf.most_common(top)],
    }


def collect_profiles(spy_runs: SpyRuns, keep_in: str | None) -> dict[str, Any]:
    """Wait for the py-spy runs, summarise each, and copy the raw stacks to `keep_in`."""
    profiles = {}
    for name, (proc, out) in spy_runs.items():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop_process(proc, signal.SIGINT, grace=5)
        if out.exists():
            profiles[name] = summarise_folded(out)
            if keep_in:
                dest = Path(keep_in)
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(out, dest / out.name)
    return profiles

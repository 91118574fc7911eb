"""Starting and stopping what a benchmark runs: Keranjang's services (`python -m keranjang serve
NAME`, each in its own process group), with the settings of a PostgreSQL-backed or SQLite run
given through a hermetic environment, and whatever they leave behind when they stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bench.kit.errors import BenchError

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def local_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def clean_env() -> dict[str, str]:
    """This environment without any KERANJANG_* setting, so the run is hermetic."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERANJANG_")}
    env["COLUMNS"] = "200"  # keep rich's output on one line per row in our log
    env["PYTHONUNBUFFERED"] = "1"
    return env


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def alive(proc: subprocess.Popen[bytes]) -> bool:
    return proc.poll() is None


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_logged(
    command: Sequence[str], env: Mapping[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    """`command` in its own process group (so `stop_process` can end whatever it leaves behind),
    output to `log_path`, running in the log's folder: `keranjang` comes from the installed
    package, never from whatever folder the benchmark was started in, and nothing lands there."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=log_path.parent,
            start_new_session=True,
        )


def keranjang_command(*arguments: str) -> list[str]:
    """`python -m keranjang ...` with the project's own Python."""
    return [sys.executable, "-m", "keranjang", *arguments]


def start_service(
    name: str, env: Mapping[str, str], log_path: Path, *options: str
) -> subprocess.Popen[bytes]:
    """`python -m keranjang serve NAME [options]`, logged to `log_path` (see start_logged)."""
    return start_logged(keranjang_command("serve", name, *options), env, log_path)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _end_group(pgid: int) -> None:
    """SIGTERM to what is left of the process group, then SIGKILL, each with a short grace."""
    for group_sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        if not _group_alive(pgid):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, group_sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.1)


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 20
) -> None:
    """Ask `proc` to stop, then end whatever is left of the process group it leads."""
    if alive(proc):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # The process was started with start_new_session=True: its group id is its pid.
    _end_group(proc.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1)


def stop_services(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to all at once (they stop in parallel), then each one's group, with a grace."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        stop_process(proc, signal.SIGTERM, grace=15)


def wait_healthy(urls: list[str], procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """Until every URL's `/healthz` answers 200; BenchError when a process exits meanwhile or
    the time is up."""
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending:
        for proc in procs:
            if not alive(proc):
                raise BenchError(f"a process exited with code {proc.returncode} while starting")
        for url in list(pending):
            with contextlib.suppress(OSError):
                if http_get(f"{url}/healthz")[0] == 200:
                    pending.remove(url)
        if pending and time.monotonic() > deadline:
            raise BenchError(f"not healthy after {timeout:.0f}s: {', '.join(pending)}")
        time.sleep(0.2)


@contextlib.contextmanager
def services(
    urls: Mapping[str, str],
    env: Mapping[str, str],
    workdir: Path,
    options: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """`keranjang serve NAME` for each service in `urls` (in that order, with `options[NAME]`),
    each logged to `workdir/NAME.log`; waits until all answer `/healthz` (the logs' tails in the
    error when they do not), yields {name: process}, and stops them all at the end, whatever
    happened."""
    logs = {name: workdir / f"{name}.log" for name in urls}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in urls:
            extra = (options or {}).get(name, ())
            procs[name] = start_service(name, env, logs[name], *extra)
        try:
            wait_healthy(list(urls.values()), list(procs.values()), timeout=60)
        except BenchError as exc:
            detail = "\n".join(f"--- {n}.log\n{tail(p)}" for n, p in logs.items())
            raise BenchError(f"{exc}\n{detail}") from exc
        yield procs
    finally:
        stop_services(list(procs.values()))


def terminate(signum: int, _frame: object) -> None:
    """SIGTERM handler: unwind like Ctrl-C does, so every `finally` cleans up."""
    raise SystemExit(128 + signum)


def on_sigterm_unwind() -> None:
    """From now on, SIGTERM unwinds the run like Ctrl-C (see terminate)."""
    signal.signal(signal.SIGTERM, terminate)

"""Social and commerce, running and seeded with the demo marketplace: `keranjang up` on SQLite
files, or `keranjang serve` on fresh PostgreSQL databases and then `keranjang seed`."""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.kit.errors import BenchError
from bench.kit.postgres import postgres_databases, session_counter
from bench.kit.processes import (
    alive,
    clean_env,
    free_port,
    http_get,
    keranjang_command,
    local_url,
    services,
    start_logged,
    stop_process,
    tail,
)


@dataclass
class System:
    social_url: str
    commerce_url: str
    data_dir: Path
    database: str
    server_pids: dict[str, int] = field(default_factory=dict)
    # PostgreSQL only: sessions (connections) opened so far on the bench databases.
    db_sessions: Callable[[], int | None] | None = None


def _wait_until_running(proc: subprocess.Popen[bytes], log_path: Path) -> None:
    """Until `keranjang up` says it is running (it has seeded by then)."""
    deadline = time.monotonic() + 120
    while "Keranjang is running" not in log_path.read_text(errors="replace"):
        if not alive(proc):
            raise BenchError(f"`keranjang up` exited ({proc.returncode}):\n{tail(log_path)}")
        if time.monotonic() > deadline:
            raise BenchError(f"`keranjang up` not ready after 120s:\n{tail(log_path)}")
        time.sleep(0.2)


def _served_by(pid: int) -> dict[str, int]:
    """{service: pid} of the `serve social|commerce` processes `up` started."""
    found = {}
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(pid).children():
            with contextlib.suppress(psutil.Error):
                line = " ".join(child.cmdline())
                for name in ("social", "commerce"):
                    if f"serve {name}" in line:
                        found[name] = child.pid
    return found


@contextlib.contextmanager
def sqlite_system(workdir: Path) -> Iterator[System]:
    """`keranjang up` on free ports, SQLite files in `workdir`; stopped with SIGTERM."""
    data_dir = workdir / "data"
    social_port, commerce_port = free_port(), free_port()
    command = keranjang_command(
        "up",
        "--data-dir", str(data_dir),
        "--social-port", str(social_port),
        "--commerce-port", str(commerce_port),
    )  # fmt: skip
    log_path = workdir / "up.log"
    proc = start_logged(command, clean_env(), log_path)
    try:
        _wait_until_running(proc, log_path)
        urls = local_url(social_port), local_url(commerce_port)
        yield System(*urls, data_dir, "sqlite", _served_by(proc.pid))
    finally:
        # `up` turns SIGTERM into a clean stop of both services once it has seeded; a stop
        # earlier than that, or a hung child, is handled by ending the process group.
        stop_process(proc, signal.SIGTERM)


def _operator_token(data_dir: Path) -> str:
    """A fresh operator token, written to DATA_DIR/operator-token for `keranjang seed`."""
    data_dir.mkdir(parents=True)
    token = secrets.token_urlsafe(32)
    token_file = data_dir / "operator-token"
    token_file.touch(mode=0o600)
    token_file.write_text(token)
    return token


def _service_env(
    data_dir: Path, urls: dict[str, str], token: str, db_urls: dict[str, str]
) -> dict[str, str]:
    """Social's and commerce's settings, and nothing from this environment's KERANJANG_* ones."""
    env = {**clean_env(), "KERANJANG_DATA_DIR": str(data_dir)}
    for name, other in (("social", "commerce"), ("commerce", "social")):
        prefix = f"KERANJANG_{name.upper()}_"
        env |= {
            prefix + "HOST": "127.0.0.1",
            prefix + "PORT": urls[name].rsplit(":", 1)[1],
            prefix + "PUBLIC_URL": urls[name],
            prefix + f"{other.upper()}_URL": urls[other],
            prefix + "ADMIN_TOKEN": token,
            prefix + "DATABASE_URL": db_urls[name],
        }
    return env


def _seed(data_dir: Path, urls: dict[str, str], env: dict[str, str]) -> None:
    """`keranjang seed`: the demo marketplace, through both services' APIs."""
    command = keranjang_command(
        "seed",
        "--data-dir", str(data_dir),
        "--social-url", urls["social"],
        "--commerce-url", urls["commerce"],
    )  # fmt: skip
    seed = subprocess.run(
        command,
        env=env,
        capture_output=True,
        timeout=180,
        check=False,
    )
    if seed.returncode != 0:
        out = (seed.stdout + seed.stderr).decode(errors="replace")
        raise BenchError(f"`keranjang seed` failed ({seed.returncode}):\n{out[-3000:]}")


@contextlib.contextmanager
def postgres_system(workdir: Path, admin_url: str) -> Iterator[System]:
    """`keranjang serve social|commerce` on fresh PostgreSQL databases, then `keranjang seed`;
    everything stopped and dropped at the end."""
    data_dir = workdir / "data"
    token = _operator_token(data_dir)
    urls = {"social": local_url(free_port()), "commerce": local_url(free_port())}
    with postgres_databases(admin_url, ("social", "commerce")) as db_urls:
        env = _service_env(data_dir, urls, token, db_urls)
        with services(urls, env, workdir) as procs:
            _seed(data_dir, urls, env)
            yield System(
                urls["social"],
                urls["commerce"],
                data_dir,
                "postgresql",
                {name: proc.pid for name, proc in procs.items()},
                session_counter(admin_url, db_urls),
            )


def existing_pins(social_url: str) -> list[int]:
    status, body = http_get(f"{social_url}/api/content?limit=100", timeout=10)
    if status != 200:
        raise BenchError(f"GET /api/content answered {status}")
    # Commerce's pins only: a pin of the old in-app shop opens the app, not a hand-off.
    pins = sorted(
        {
            p["id"]
            for c in json.loads(body)
            for p in c["pins"]
            if p.get("source", "commerce") == "commerce"
        }
    )
    if not pins:
        raise BenchError("the seeded marketplace has no pins")
    return pins

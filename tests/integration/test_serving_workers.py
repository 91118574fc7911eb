"""A service served by several processes (`keranjang serve NAME --workers N`): every worker
answers, /metrics counts them all, and the periodic jobs run in one process at a time."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import text

from keranjang.infra.database import make_engine
from keranjang.infra.leadership import JobLeader
from tests.conftest import ADMIN_URL
from tests.integration.conftest import free_port

STARTUP_TIMEOUT = 60.0
REQUESTS = 60


def test_one_process_at_a_time_leads_the_jobs(database_url: Callable[[str], str]) -> None:
    url = database_url("commerce")
    one, two = make_engine(url), make_engine(url)
    first, second = JobLeader(one, "commerce"), JobLeader(two, "commerce")
    try:
        if one.dialect.name == "sqlite":  # one process serves SQLite: it leads
            assert first.leads() and second.leads()
            return
        assert first.leads()
        assert not second.leads()
        assert first.leads()  # asking again while leading keeps the lead
        assert JobLeader(two, "payments").leads()  # another service's jobs have their own lock

        first.close()  # a leader stopping hands over on the next round
        assert second.leads()
        assert not first.leads()

        _end_sessions_holding(url, second.key)  # the leader's connection dies (say, its process)
        assert first.leads()
        assert not second.leads()
    finally:
        first.close()
        second.close()
        one.dispose()
        two.dispose()


def _end_sessions_holding(url: str, key: int) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(l.pid, 5000)) FROM pg_locks l "
            "JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.objid = %s AND d.datname = %s",
            (key, url.rsplit("/", 1)[1]),
        ).fetchone()
    assert ended == (1,)


@pytest.fixture
def served(database_url: Callable[[str], str], tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    """`serve commerce --workers 2`: yields its URL, its database URL and its pid."""
    port = free_port()
    db = database_url("commerce")
    env = os.environ | {
        "KERANJANG_DATA_DIR": str(tmp_path),
        "KERANJANG_COMMERCE_DATABASE_URL": db,
        "KERANJANG_COMMERCE_HOLD_RELEASE_SECONDS": "0.2",
    }
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "keranjang", "serve", "commerce", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while process.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url, db, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode is not None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_serve_count_together_and_one_runs_the_jobs(
    served: tuple[str, str, int],
) -> None:
    url, db, pid = served
    workers = _children_serving(pid)
    assert len(workers) == 2, workers
    with httpx.Client(base_url=url, timeout=10) as http:
        for _ in range(REQUESTS):  # new connections: the kernel spreads them over the workers
            assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        metrics = http.get("/metrics").text
    line = next(
        m
        for m in metrics.splitlines()
        if m.startswith("keranjang_http_requests_total{")
        and 'route="/healthz"' in m
        and 'status="200"' in m
    )
    # Every worker's requests are in the sum (at least ours; the start-up probes add a few).
    assert float(line.rsplit(" ", 1)[1]) >= REQUESTS
    time.sleep(1)  # several rounds of the hold-release job
    engine = make_engine(db)
    try:
        with engine.connect() as c:
            leaders = c.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid = :key AND granted AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"key": JobLeader(engine, "commerce").key},
            ).scalar()
    finally:
        engine.dispose()
    assert leaders == 1


def _children_serving(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(c)
        for c in children
        if b"multiprocessing" in Path(f"/proc/{c}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_several_workers_on_sqlite_are_refused_with_what_to_do(
    database_url: Callable[[str], str], tmp_path: Path
) -> None:
    env = os.environ | {
        "KERANJANG_DATA_DIR": str(tmp_path),
        "KERANJANG_COMMERCE_DATABASE_URL": database_url("commerce"),
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [sys.executable, "-m", "keranjang", "serve", "commerce", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--workers 2 needs PostgreSQL" in done.stdout
    assert "KERANJANG_COMMERCE_DATABASE_URL" in done.stdout

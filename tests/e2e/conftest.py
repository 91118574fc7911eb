"""End-to-end fixtures: the real `keranjang up` on free ports, and a real Chromium via Playwright.

The browser is Debian's Chromium (`/usr/bin/chromium`, or the path in KERANJANG_CHROMIUM); we never
download one. Without it these tests skip, except under CI=true, where they fail: CI must prove the
yellow cart works in a browser.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("KERANJANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
READY_BANNER = "Keranjang is running"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e runs real services (and most a real browser): mark them `e2e`."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@dataclass
class RunningMarketplace:
    """`keranjang up`, started by the test session; `output()` is what it has printed so far."""

    social_url: str
    commerce_url: str
    data_dir: Path
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.lines)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _catalog_seeded(commerce_url: str) -> bool:
    try:
        response = httpx.get(f"{commerce_url}/catalog/products", params={"limit": 1}, timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and bool(response.json().get("items"))


def _wait_until_seeded(running: RunningMarketplace) -> None:
    """Poll commerce's catalog until the demo products are in, then wait for the URL table, which
    `up` prints only once the whole marketplace (creators, content, pins) is seeded."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    catalog_ready = False
    while True:
        if running.process.poll() is not None:
            time.sleep(0.2)  # let the reader thread drain the last lines
            pytest.fail(
                f"`keranjang up` exited with code {running.process.returncode} while starting:\n"
                f"{running.output()}",
                pytrace=False,
            )
        catalog_ready = catalog_ready or _catalog_seeded(running.commerce_url)
        if catalog_ready and READY_BANNER in running.output():
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"`keranjang up` was not seeded after {STARTUP_TIMEOUT:.0f}s "
                f"(catalog seeded: {catalog_ready}). Output so far:\n{running.output()}",
                pytrace=False,
            )
        time.sleep(0.25)


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM `up` (it terminates its services), wait, then kill whatever is left of its group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    # `up` runs in a session of its own, so its process group holds only it and its services.
    # If it died before it could stop them (for example, killed above), stop them here.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarketplace]:
    """A seeded demo marketplace: `python -m keranjang up` on SQLite files in a temporary folder."""
    data_dir = tmp_path_factory.mktemp("keranjang-up")
    social_port, commerce_port, payments_port, migration_port, oversight_port = free_ports(5)
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "160",  # rich's table width when stdout is a pipe; keeps URLs on one line
        "NO_COLOR": "1",
    }
    for name in (
        "KERANJANG_DATA_DIR",
        "KERANJANG_SOCIAL_PORT",
        "KERANJANG_COMMERCE_PORT",
        "KERANJANG_PAYMENTS_PORT",
        "KERANJANG_MIGRATION_PORT",
        "KERANJANG_OVERSIGHT_PORT",
    ):
        env.pop(name, None)
    command = [
        sys.executable,
        "-m",
        "keranjang",
        "up",
        "--data-dir",
        str(data_dir),
        "--social-port",
        str(social_port),
        "--commerce-port",
        str(commerce_port),
        "--payments-port",
        str(payments_port),
        "--migration-port",
        str(migration_port),
        "--oversight-port",
        str(oversight_port),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        start_new_session=True,
    )
    running = RunningMarketplace(
        social_url=f"http://127.0.0.1:{social_port}",
        commerce_url=f"http://127.0.0.1:{commerce_port}",
        data_dir=data_dir,
        process=process,
    )

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line)

    reader = threading.Thread(target=read_output, name="keranjang-up-output", daemon=True)
    reader.start()
    try:
        _wait_until_seeded(running)
        yield running
    finally:
        _stop(process)
        reader.join(timeout=5)


@pytest.fixture(scope="session")
def social_url(marketplace: RunningMarketplace) -> str:
    return marketplace.social_url


@pytest.fixture(scope="session")
def commerce_url(marketplace: RunningMarketplace) -> str:
    return marketplace.commerce_url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = shutil.which(CHROMIUM)
    if found is None:
        message = (
            f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package or set "
            "KERANJANG_CHROMIUM to a Chromium binary (do not rely on `playwright install`)"
        )
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in a fresh context (no cookies or cache shared between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()

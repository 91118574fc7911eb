"""The regulator watches a migration under live traffic on the dashboard, in a real browser at
phone width, beside a real `keranjang up` of its own: a small legacy marketplace is generated
(`keranjang legacy seed`), traffic runs on the old app (`keranjang legacy traffic`), every seller
is forced over by an operator and moved (`keranjang migrate run`, rollback window 0 so the purge
is due), and the merchants are purged one batch, then the last; `keranjang oversight evaluate`
runs between the steps. The dashboard's category bars rise to 100 % and rule 21(3) turns from
fail to pass only when the last merchant is purged. No dashboard page is wider than the phone."""

import base64
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from keranjang.cli.shared import ServiceName, operator_token
from keranjang.cli.up import service_env
from keranjang.demo.traffic.journal import read as read_journal
from tests.e2e.conftest import READY_BANNER, STARTUP_TIMEOUT, free_ports

KERANJANG = [sys.executable, "-m", "keranjang"]
ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}
RULE = "pasal-21-3.no-payments-in-social"
CATEGORIES = ("payment", "data", "merchant_operations", "overall")
FINAL: dict[str, str] = {}  # rule 21(3) on the dashboard once the last merchant is purged
SHOTS = os.environ.get("KERANJANG_SCREENSHOTS")  # a folder to keep the pages' screenshots in


@dataclass
class Monitored:
    """`keranjang up` with the monitor evaluating only when told (by the test)."""

    data_dir: Path
    urls: dict[ServiceName, str]
    env: dict[str, str]
    token: str

    @property
    def dashboard(self) -> str:
        return self.urls[ServiceName.oversight]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*KERANJANG, *args], env=self.env, cwd=ROOT, text=True,
                              capture_output=True, timeout=timeout)  # fmt: skip
        return done

    def ok(self, *args: str, timeout: float = 180) -> str:
        done = self.run(*args, timeout=timeout)
        assert done.returncode == 0, f"{' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def evaluate(self) -> dict[str, object]:
        done = self.run("oversight", "evaluate", "--json", "--data-dir", str(self.data_dir))
        assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: a rule fails
        found: dict[str, object] = json.loads(done.stdout)
        return found

    def sellers(self) -> list[int]:
        """Every seller still in the app: the seeded ones and the traffic driver's."""
        with sqlite3.connect(self.data_dir / "social.db") as db:
            return [r[0] for r in db.execute("SELECT id FROM legacy_sellers ORDER BY id")]

    def migrate(self, *args: str) -> dict[str, object]:
        out = self.ok("migrate", *args, "--json", "--data-dir", str(self.data_dir))
        found: dict[str, object] = json.loads(out.strip().splitlines()[-1])
        return found


def _env(data_dir: Path, ports: dict[ServiceName, int]) -> dict[str, str]:
    deadline = (datetime.now(UTC) + timedelta(hours=2)).isoformat(timespec="seconds")
    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT), "KERANJANG_OVERSIGHT_DEADLINE": deadline,
            "KERANJANG_OVERSIGHT_EVALUATE_EVERY_SECONDS": "0",
            "KERANJANG_MIGRATION_ROLLBACK_WINDOW_DAYS": "0",
            "KERANJANG_MIGRATION_SNAPSHOT_EVERY_SECONDS": "1"}  # fmt: skip


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    data_dir = tmp_path_factory.mktemp("oversight-up")
    ports = dict(zip(ServiceName, free_ports(len(ServiceName)), strict=True))
    env = _env(data_dir, ports)
    command = [*KERANJANG, "up", "--data-dir", str(data_dir)]
    for name, port in ports.items():
        command += [f"--{name.value}-port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env, start_new_session=True)  # fmt: skip
    lines: list[str] = []
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while READY_BANNER not in "".join(lines):
        assert process.poll() is None and time.monotonic() < deadline, "".join(lines)
        time.sleep(0.25)
    token = operator_token(data_dir)
    commands = {**service_env(data_dir, "127.0.0.1", ports, token), **env}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        yield Monitored(data_dir, urls, commands, token)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def sign_in(page: Page, up: Monitored) -> None:
    page.goto(up.dashboard + "/")
    expect(page).to_have_url(re.compile(r"/masuk\?next="))
    page.fill("#token", (up.data_dir / "regulator-token").read_text().strip())
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Dasbor pengawasan")


def bars(page: Page) -> dict[str, float]:
    return {c: float(page.locator(f'.bar[data-category="{c}"]').get_attribute("data-percent")
                     or "nan") for c in CATEGORIES}  # fmt: skip


def rule_status(page: Page) -> str:
    return (
        page.locator(f'tr[data-rule="{RULE}"] [data-status]').first.get_attribute("data-status")
        or ""
    )


def settled(up: Monitored, page: Page, timeout: float = 15) -> None:
    """Evaluate and reload until the migration's next snapshot shows every category done (or
    the time is up: the test then says which category is short)."""
    deadline = time.monotonic() + timeout
    while True:
        up.evaluate()
        page.reload()
        if bars(page) == dict.fromkeys(CATEGORIES, 100.0) or time.monotonic() > deadline:
            return
        time.sleep(1)


def rule_row(page: Page) -> str:
    return page.locator(f'tr[data-rule="{RULE}"]').inner_text()


def fits(page: Page, name: str) -> None:
    wide, screen = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    assert wide <= screen, f"{page.url} is {wide} px wide at {screen} px"


def forced(up: Monitored, sellers: list[int]) -> None:
    for seller in sellers:
        r = httpx.post(f"{up.urls[ServiceName.migration]}/api/merchants/{seller}/force",
                       json={"reason": "ministry deadline: moved by the operator"},
                       headers={"Authorization": f"Bearer {up.token}"}, timeout=30)  # fmt: skip
        assert r.status_code == 200, r.text


def test_the_dashboard_watches_a_migration_under_live_traffic(
    monitored: Monitored, phone: Page, tmp_path: Path
) -> None:
    up = monitored
    up.ok("legacy", "seed", "--append", "--merchants", "3", "--products-per-merchant", "3",
          "--buyers", "12", "--orders", "30", "--data-dir", str(up.data_dir))  # fmt: skip
    journal = tmp_path / "traffic.jsonl"
    driver = subprocess.Popen(
        [*KERANJANG, "legacy", "traffic", "--journal", str(journal), "--rate", "4", "--seconds",
         "15", "--viewers", "3", "--sellers", "1", "--in-flight", "4", "--social-url",
         up.urls[ServiceName.social], "--commerce-url", up.urls[ServiceName.commerce],
         "--data-dir", str(up.data_dir)],
        env=up.env, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _watch(up, phone, journal, driver)
    finally:
        if driver.poll() is None:
            driver.kill()


def paid_in_the_app(journal: Path) -> bool:
    """The driver's buyers have checked out in the app at least once: its seller then has an
    in-app payment in the window, whatever the machine's speed (on a busy machine the move
    could otherwise come before the driver's first checkout)."""
    return journal.exists() and any(
        e.action == "checkout" and e.acknowledged and e.path.startswith("/legacy/")
        for e in read_journal(journal)
    )


def _watch(up: Monitored, page: Page, journal: Path, driver: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not paid_in_the_app(journal):
        assert driver.poll() is None and time.monotonic() < deadline, driver.communicate()[0]
        time.sleep(0.25)
    plan = up.migrate("plan")
    up.evaluate()
    sign_in(page, up)
    assert rule_status(page) == "fail"
    before = bars(page)
    fits(page, "dashboard-before")

    sellers = up.sellers()
    assert plan["total"] == len(sellers) >= 4, plan
    forced(up, sellers)
    up.migrate("run", "--workers", "1")
    up.evaluate()
    page.reload()
    moved = bars(page)
    assert moved["payment"] > before["payment"] and moved["merchant_operations"] == 100.0
    assert rule_status(page) == "fail"  # the app still holds their shops' payments

    assert driver.wait(timeout=120) == 0, driver.communicate()[0]
    *first, last = sellers
    for seller in first:
        up.migrate("purge", "--only", str(seller))
    up.evaluate()
    page.reload()
    assert rule_status(page) == "fail"  # the last merchant's in-app payments still in social
    assert "social.legacy_shop.payments_created_in_window" in rule_row(page)
    assert bars(page)["data"] < 100.0
    up.migrate("purge", "--only", str(last))
    settled(up, page)
    assert "social.legacy_shop" not in rule_row(page)  # nothing sells or pays in the app
    done = bars(page)
    FINAL.update(status=rule_status(page), row=rule_row(page), bars=json.dumps(done))
    # The migration's journal is in the audit log, each event once: the forced binds and the
    # purges `migrate purge` made as operators' actions, every phase as the engine's.
    logged = audit_kinds(up)
    assert logged["operator_action"] >= 1 + len(sellers)
    assert logged["migration_event"] >= 4 * len(sellers)
    assert up.evaluate()["migration_events"] == 0
    assert audit_kinds(up) == logged | {"result": audit_kinds(up)["result"]}
    assert done["payment"] == done["merchant_operations"] == 100.0
    assert done["data"] > 99.0 and done["overall"] > 99.0, done
    assert page.locator("svg.chart polyline").count() == 4
    fits(page, "dashboard-after")
    _every_page_fits(up, page)


def _every_page_fits(up: Monitored, page: Page) -> None:
    page.click(f'a[href="/aturan/{RULE}"]')
    now = page.locator("#current [data-status]")
    expect(now).to_have_attribute("data-status", FINAL["status"])
    periods = page.locator("#periods [data-status]")
    assert periods.first.get_attribute("data-status") == FINAL["status"]
    assert page.locator("#results tr[data-result]").count() >= 4  # one a step, newest first
    fits(page, "rule-history")
    page.goto(up.dashboard + "/?lang=en")
    expect(page.locator("h1")).to_have_text("Oversight dashboard")
    fits(page, "dashboard-english")
    page.goto(up.dashboard + "/docs")
    expect(page.locator("h1")).to_have_text("API documentation")
    fits(page, "docs")
    page.goto(up.dashboard + "/aturan/migration.overall")
    fits(page, "rule-migration")


def audit_kinds(up: Monitored) -> Counter[str]:
    """Entries of the monitor's audit log by kind, read as the regulator would: exported."""
    out = up.data_dir / "audit-export.json"
    up.ok("audit", "export", "--out", str(out), "--url", up.dashboard)
    entries = json.loads(out.read_text())["entries"]
    return Counter(json.loads(base64.b64decode(e))["kind"] for e in entries)


def test_every_category_reaches_100_and_21_3_passes_when_the_last_merchant_is_purged() -> None:
    assert FINAL, "the migration above did not reach the last purge"
    assert json.loads(FINAL["bars"]) == dict.fromkeys(CATEGORIES, 100.0)
    assert FINAL["status"] == "pass", FINAL["row"]

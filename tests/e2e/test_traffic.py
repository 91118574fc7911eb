"""`keranjang legacy traffic` beside a real `keranjang up` (its own, so its traffic disturbs no
other test): a short run journals every request, with no server error, and the check finds every
acknowledged write; the check names an order deleted behind its back; a driver killed with
SIGKILL leaves whole lines; a seller moved to commerce gets its buyers through the hand-off and
its seller actions stop, journaled."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from keranjang.demo.traffic import check
from keranjang.demo.traffic.buyers import Buyers
from keranjang.demo.traffic.http import TIMEOUT, Http
from keranjang.demo.traffic.journal import Journal, read
from keranjang.demo.traffic.knowledge import Knowledge, Route
from keranjang.demo.traffic.plan import Kind, Step
from keranjang.demo.traffic.sellers import Sellers
from keranjang.demo.traffic.stats import Stats
from keranjang.demo.traffic.where import Databases
from keranjang.demo.traffic.world import Cast, Setup, bearer
from tests.e2e.conftest import READY_BANNER, STARTUP_TIMEOUT, free_ports
from tests.event_loops import run_apart

KERANJANG = [sys.executable, "-m", "keranjang"]
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}


@dataclass
class Up:
    social: str
    commerce: str
    data_dir: Path

    def databases(self, social_db: Path | None = None) -> Databases:
        social = social_db or self.data_dir / "social.db"
        return Databases(f"sqlite:///{social}", f"sqlite:///{self.data_dir / 'commerce.db'}")

    def operator(self) -> str:
        return (self.data_dir / "operator-token").read_text().strip()


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    data_dir = tmp_path_factory.mktemp("traffic-up")
    ports = free_ports(5)  # every service on a free port: another `up` may hold the defaults
    command = [*KERANJANG, "up", "--data-dir", str(data_dir)]
    names = ("social", "commerce", "payments", "migration", "oversight")
    for name, port in zip(names, ports, strict=True):
        command += [f"--{name}-port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=ENV, start_new_session=True)  # fmt: skip
    lines: list[str] = []
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while READY_BANNER not in "".join(lines):
        assert process.poll() is None and time.monotonic() < deadline, "".join(lines)
        time.sleep(0.25)
    try:
        yield Up(f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", data_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def traffic(up: Up, journal: Path, *extra: str) -> list[str]:
    return [*KERANJANG, "legacy", "traffic", "--journal", str(journal), "--social-url", up.social,
            "--commerce-url", up.commerce, "--data-dir", str(up.data_dir), *extra]  # fmt: skip


@pytest.fixture(scope="module")
def short_run(up: Up, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    journal = tmp_path_factory.mktemp("traffic") / "journal.jsonl"
    command = traffic(up, journal, "--rate", "4", "--seconds", "8", "--seed", "3")
    result = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return journal, output


def test_a_short_run_journals_every_request_without_a_server_error(
    short_run: tuple[Path, str],
) -> None:
    journal, output = short_run
    counted = re.search(
        r"(\d+) requests \((\d+) more setting up\), (\d+) writes acknowledged", output
    )
    assert counted, output
    assert "0 server errors" in output, output
    requests = [e for e in read(journal) if e.outcome not in ("stopped", "crashed")]
    assert len(requests) == int(counted[1]) + int(counted[2])
    assert not [e for e in requests if e.status >= 500]
    acknowledged = [e for e in requests if e.acknowledged and e.op > 0]
    assert len(acknowledged) == int(counted[3])
    assert any(e.action == "checkout" and e.keys["orders"] for e in acknowledged), output
    assert any(e.action in ("price", "stock") for e in acknowledged), output
    assert all(e.request_id and e.t for e in requests)


def test_the_check_finds_every_acknowledged_write(up: Up, short_run: tuple[Path, str]) -> None:
    journal, _ = short_run
    command = [*KERANJANG, "legacy", "check-journal", str(journal), "--data-dir", str(up.data_dir)]
    result = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Every acknowledged write is there, once." in result.stdout


def test_the_check_names_an_order_deleted_behind_its_back(
    up: Up, short_run: tuple[Path, str], tmp_path: Path
) -> None:
    journal, _ = short_run
    placed = next(e for e in read(journal) if e.acknowledged and e.action == "checkout")
    number = placed.keys["orders"][0]["number"]
    copy = tmp_path / "social.db"
    with sqlite3.connect(up.data_dir / "social.db") as live, sqlite3.connect(copy) as target:
        live.backup(target)
    with sqlite3.connect(copy) as db:
        db.execute("DELETE FROM legacy_orders WHERE number = ?", (number,))
    report = check.check(journal, up.databases(copy))
    assert not report.ok
    # the order, and any step a seller or buyer took on it
    assert {f.kind for f in report.problems} == {"missing"}
    assert all(number in f.what for f in report.problems)
    assert any(f.what.startswith(f"order {number}") for f in report.problems)


def test_a_driver_killed_with_sigkill_leaves_whole_lines(up: Up, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    command = traffic(up, journal, "--rate", "20", "--seconds", "60", "--viewers", "2")
    driver = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and '"op":2' not in (
        journal.read_text() if journal.exists() else ""
    ):
        time.sleep(0.1)
    time.sleep(1.0)
    driver.send_signal(signal.SIGKILL)
    driver.wait(timeout=10)
    text = journal.read_text()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) > 20
    assert all(json.loads(line)["request_id"] is not None for line in lines)


async def buy_from_a_moved_seller(up: Up, journal_path: Path) -> Knowledge:
    cast = Cast(run_tag="mv" + os.urandom(2).hex(), viewers=1, creators=1, sellers=1,
                products_per_seller=1, operator_token=up.operator())  # fmt: skip
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        with Journal(journal_path) as journal:
            http = Http(client, journal, Stats(), {up.social: "social", up.commerce: "commerce"})
            known = await Setup(http, up.social, cast).world()
            seller = known.sellers[0]
            known.pins = [p for p in known.pins if p.merchant == seller.id]
            await move(up, client, seller.id, seller.products[0].id)
            buyers = Buyers(http, known, up.social, up.commerce, cast.run_tag)
            buy = Step(1, Kind.BUY, 0, (0.0, 0.0, 0.0), units=1, pay_at_once=True)
            assert await buyers.buy(buy, known.viewers[0]) == "ok"
            price = Step(2, Kind.PRICE, 0, (0.0, 0.5, 0.0))
            assert await Sellers(http, known, up.social).act(price, seller) == "stopped"
    return known


async def move(up: Up, client: httpx.AsyncClient, seller_id: int, product_id: int) -> None:
    """What the migration does at a cutover, by hand: the merchant and its product in commerce,
    the product mapped and the route flipped in social's tables."""
    shop = {"slug": f"pindah-{seller_id}", "name": f"Pindahan {seller_id}", "city": "Bandung"}
    made = await client.post(
        f"{up.commerce}/api/merchants", json=shop, headers=bearer(up.operator())
    )
    assert made.status_code == 201, made.text
    listing = {"title": "Barang pindahan", "price_idr": 50_000, "stock": 30, "category": "Makanan"}
    product = await client.post(f"{up.commerce}/api/products", json=listing,
                                headers=bearer(made.json()["token"]))  # fmt: skip
    assert product.status_code == 201, product.text
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(up.data_dir / "social.db", timeout=10) as db:
        db.execute(
            "INSERT INTO merchant_routes (legacy_seller_id, route, commerce_merchant_id, changed_at) "
            "VALUES (?, 'commerce', ?, ?) ON CONFLICT (legacy_seller_id) DO UPDATE SET "
            "route = 'commerce', commerce_merchant_id = excluded.commerce_merchant_id",
            (seller_id, made.json()["id"], now),
        )
        db.execute(
            "INSERT INTO legacy_product_map VALUES (?, ?, ?)",
            (product_id, product.json()["id"], now),
        )


def test_buyers_of_a_moved_seller_buy_in_commerce_and_its_seller_stops(
    up: Up, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    known = run_apart(buy_from_a_moved_seller(up, journal))
    assert known.route(known.sellers[0].id) is Route.COMMERCE
    entries = list(read(journal))
    placed = [e for e in entries if e.action == "checkout" and e.acknowledged]
    assert [(e.service, e.keys["side"]) for e in placed] == [("commerce", "commerce")]
    # The landing redeems the token and redirects to the product's own page.
    assert any(e.action == "handoff" and e.status == 303 for e in entries)
    stopped = [e for e in entries if e.action == "seller_stopped"]
    assert len(stopped) == 1 and "shop token" in (stopped[0].detail or "")
    report = check.check(journal, up.databases())
    assert report.ok, report.findings
    assert report.checked["orders"] == 1

"""Real services for the migration's acceptance tests, as an operator runs them: social, commerce,
the payment simulator and the migration service, each `keranjang serve NAME` in a process of its
own on free ports and on the databases the test gives; a generated legacy marketplace
(`keranjang legacy seed`); the traffic driver (`keranjang legacy traffic`) and the `keranjang
migrate` commands as subprocesses; and read-only counts straight from the databases.

Nothing here imports the engine: the tests see the migration from the outside, through the
commands, the services' HTTP APIs and the rows."""

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from keranjang.cli.migrate import open_service
from keranjang.cli.shared import ServiceName, operator_token
from keranjang.cli.up import service_env
from keranjang.commerce.tables import MIGRATIONS as COMMERCE_TABLES
from keranjang.demo.traffic import check
from keranjang.demo.traffic.journal import read
from keranjang.demo.traffic.where import Databases
from keranjang.demo.traffic.world import generated_seller_token
from keranjang.infra import schema
from keranjang.infra.database import make_engine
from keranjang.migration.config import MigrationSettings
from tests.integration.conftest import free_port

KERANJANG = [sys.executable, "-m", "keranjang"]
ROOT = Path(__file__).resolve().parents[2]
SERVED = (ServiceName.social, ServiceName.commerce, ServiceName.payments, ServiceName.migration)
STARTUP_SECONDS = 60.0
ADDRESS = {"recipient": "Siti Aminah", "phone": "+6281234567890", "street": "Jl. Merdeka 17",
           "city": "Bandung", "postal_code": "40111"}  # fmt: skip
# The legacy shop's tables holding a seller's shop data, and those holding buyer data (the
# viewers' own social accounts aside: they are social's users, not the shop's).
SHOP_TABLES = ("legacy_sellers", "legacy_payout_accounts", "legacy_products", "legacy_orders",
               "legacy_order_lines", "legacy_stock_holds", "legacy_order_events",
               "legacy_payments", "legacy_payment_news", "legacy_refunds",
               "legacy_ledger_entries", "legacy_ledger_postings", "legacy_move_consents",
               "legacy_fences", "legacy_changes")  # fmt: skip
ORDER_TABLES = ("legacy_orders", "legacy_order_lines", "legacy_order_events", "legacy_payments",
                "legacy_refunds")  # fmt: skip
BUYER_TABLES = ("legacy_buyer_profiles", "legacy_addresses", "legacy_cart_lines",
                "legacy_checkouts", *ORDER_TABLES)  # fmt: skip


@dataclass(frozen=True)
class Marketplace:
    """The generated legacy marketplace (`keranjang legacy seed`)."""

    merchants: int = 4
    products: int = 4
    buyers: int = 30
    orders: int = 120
    seed: int = 11


@dataclass
class Live:
    data_dir: Path
    urls: dict[str, str]
    databases: dict[str, str]
    env: dict[str, str]
    token: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    engines: dict[str, Engine] = field(default_factory=dict)

    @property
    def postgres(self) -> bool:
        return self.databases["social"].startswith("postgresql")

    # -- commands ---------------------------------------------------------------------------

    def command(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
        return subprocess.run([*KERANJANG, *args], env=self.env | env, cwd=ROOT, text=True,
                              capture_output=True, timeout=timeout)  # fmt: skip

    def migrate(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
        try:
            return self.command("migrate", *args, timeout=timeout, **env)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"migrate {' '.join(args)} ran past {timeout} s:\n"
                                 f"{self.story()}") from exc  # fmt: skip

    def migrate_json(self, *args: str, **env: str) -> Any:
        done = self.migrate(*args, "--json", timeout=120, **env)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)

    def traffic(self, journal: Path, rate: float, seconds: float, seed: int = 1) -> subprocess.Popen[str]:  # fmt: skip
        """The driver, started; it sets its cast up first (see `wait_for_traffic`)."""
        args = ["legacy", "traffic", "--journal", str(journal), "--rate", str(rate),
                "--seconds", str(seconds), "--seed", str(seed), "--social-url",
                self.urls["social"], "--commerce-url", self.urls["commerce"], "--data-dir",
                str(self.data_dir), "--viewers", "4", "--sellers", "1", "--in-flight", "4"]  # fmt: skip
        out = (self.data_dir / f"traffic-{journal.stem}.out").open("w")
        return subprocess.Popen([*KERANJANG, *args], env=self.env, cwd=ROOT, text=True,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip

    def check(self, journal: Path) -> check.Report:
        return check.check(journal, Databases(self.databases["social"], self.databases["commerce"]))

    # -- HTTP -------------------------------------------------------------------------------

    def call(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} | kwargs.pop("headers", {})
        return httpx.request(method, self.urls[service] + path, headers=headers, timeout=30,
                             **kwargs)  # fmt: skip

    def consent(self, seller_id: int) -> None:
        """The seller confirms the move in the app's seller tools."""
        key = (self.data_dir / "legacy-seed-key").read_text().strip().encode()
        token = generated_seller_token(key, seller_id)
        r = self.call("social", "POST", "/legacy/api/seller/move",
                      headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert r.status_code == 200, r.text

    def force(self, seller_id: int, reason: str) -> None:
        """An operator forces the move on the migration service, with the reason."""
        r = self.call("migration", "POST", f"/api/merchants/{seller_id}/force",
                      json={"reason": reason})  # fmt: skip
        assert r.status_code == 200, r.text

    def viewer(self, email: str) -> str:
        """A viewer signed up in social: its token."""
        body = {"email": email, "name": "Pembeli Telat", "password": "rahasia-sekali"}
        r = self.call("social", "POST", "/api/viewers", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["token"])

    def buy_in_app(self, viewer: str, product_id: int) -> dict[str, Any]:
        """Cart and checkout in the app's in-app shop: the one order, with its payment."""
        auth = {"Authorization": f"Bearer {viewer}"}
        r = self.call("social", "PUT", f"/legacy/api/cart/items/{product_id}",
                      json={"quantity": 1}, headers=auth)  # fmt: skip
        assert r.status_code == 200, r.text
        body = {"shipping_address": ADDRESS, "payment_method": "virtual_account"}
        r = self.call("social", "POST", "/legacy/api/checkout", json=body,
                      headers=auth | {"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
        assert r.status_code == 201, r.text
        (order,) = r.json()["orders"]
        return dict(order)

    def ledger(self) -> dict[str, Any]:
        r = self.call("commerce", "GET", "/api/admin/ledger")
        assert r.status_code == 200, r.text
        return dict(r.json())

    # -- rows -------------------------------------------------------------------------------

    def engine(self, name: str) -> Engine:
        if name not in self.engines:
            self.engines[name] = make_engine(self.databases[name])
        return self.engines[name]

    def rows(self, name: str, query: str, **params: Any) -> list[Any]:
        with self.engine(name).connect() as c:
            return [tuple(r) for r in c.execute(text(query), params)]

    def one(self, name: str, query: str, **params: Any) -> Any:
        return self.rows(name, query, **params)[0][0]

    def story(self) -> str:
        """The journal's moves and its last events: what a failed run's message shows."""
        moves = self.rows("migration", "SELECT seller_id, phase, attempts, error FROM moves "
                          "ORDER BY seller_id")  # fmt: skip
        events = self.rows("migration", "SELECT seller_id, what, detail FROM events "
                           "ORDER BY id DESC LIMIT 15")  # fmt: skip
        lines = [f"move {m[0]}: {m[1]} ({m[2]} failures) {str(m[3] or '')[:300]}" for m in moves]
        return "\n".join(lines + [f"  {e[0]} {e[1]} {str(e[2])[:200]}" for e in events[::-1]])

    def sellers(self) -> list[int]:
        return [r[0] for r in self.rows("social", "SELECT id FROM legacy_sellers ORDER BY id")]

    def drivers_sellers(self) -> set[int]:
        """The shops the traffic driver opened itself (slugs `trf-…`)."""
        query = "SELECT id FROM legacy_sellers WHERE slug LIKE 'trf-%'"
        return {r[0] for r in self.rows("social", query)}

    def counts(self, tables: tuple[str, ...]) -> dict[str, int]:
        return {t: int(self.one("social", f"SELECT count(*) FROM {t}")) for t in tables}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for engine in self.engines.values():
            engine.dispose()


def environment(data_dir: Path, databases: dict[str, str]) -> tuple[dict[str, str], dict[str, str], str]:  # fmt: skip
    """The services' environment as `keranjang up` builds it, on these databases."""
    ports = {name: free_port() for name in ServiceName}
    token = operator_token(data_dir)
    env = service_env(data_dir, "127.0.0.1", ports, token)
    env = {k: v for k, v in env.items() if not k.endswith("_DATABASE_URL")}
    env |= {
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "PYTHONPATH": str(ROOT),
        "KERANJANG_SOCIAL_DATABASE_URL": databases["social"],
        "KERANJANG_COMMERCE_DATABASE_URL": databases["commerce"],
        "KERANJANG_PAYMENTS_DATABASE_URL": databases["payments"],
        "KERANJANG_MIGRATION_DATABASE_URL": databases["migration"],
        "KERANJANG_MIGRATION_SOCIAL_DATABASE_URL": databases["social"],
        "KERANJANG_MIGRATION_COMMERCE_DATABASE_URL": databases["commerce"],
    }
    urls = {name.value: f"http://127.0.0.1:{ports[name]}" for name in SERVED}
    return env, urls, token


def seed(live: Live, size: Marketplace) -> None:
    done = live.command("legacy", "seed", "--merchants", str(size.merchants),
                        "--products-per-merchant", str(size.products), "--buyers",
                        str(size.buyers), "--orders", str(size.orders), "--seed", str(size.seed),
                        "--data-dir", str(live.data_dir))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def serve(live: Live) -> None:
    for service in SERVED:
        log = (live.data_dir / f"{service.value}.log").open("w")
        live.procs[service.value] = subprocess.Popen(
            [*KERANJANG, "serve", service.value], env=live.env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + STARTUP_SECONDS
    pending = dict(live.urls)
    while pending:
        for name, proc in live.procs.items():
            assert proc.poll() is None, f"{name} stopped: {service_log(live, name)}"
        for name, url in list(pending.items()):
            with suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    del pending[name]
        assert time.monotonic() < deadline, f"not healthy: {sorted(pending)}"
        time.sleep(0.2)


def service_log(live: Live, name: str) -> str:
    path = live.data_dir / f"{name}.log"
    return path.read_text()[-3000:] if path.exists() else ""


@contextmanager
def running(data_dir: Path, databases: dict[str, str], size: Marketplace, **env: str) -> Iterator[Live]:  # fmt: skip
    """A generated legacy marketplace and the four services on it, stopped at the end."""
    data_dir.mkdir(parents=True, exist_ok=True)
    service, urls, token = environment(data_dir, databases)
    live = Live(data_dir, urls, databases, service | env, token)
    seed(live, size)
    try:
        serve(live)
        yield live
    finally:
        live.stop()


def offline(data_dir: Path, databases: dict[str, str], size: Marketplace, **env: str) -> Live:
    """The marketplace generated and commerce's schema made, no service started: for runs of
    the `migrate` commands alone. Call `stop` at the end (it disposes of the engines)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    service, urls, token = environment(data_dir, databases)
    live = Live(data_dir, urls, databases, service | env, token)
    seed(live, size)
    schema.upgrade(COMMERCE_TABLES, live.engine("commerce"))
    return live


def force_every_seller(live: Live, reason: str) -> None:
    """An operator forces every seller's move, with a reason (the service's use case)."""
    settings = MigrationSettings(data_dir=live.data_dir, database_url=live.databases["migration"],
                                 social_database_url=live.databases["social"],
                                 commerce_database_url=live.databases["commerce"])  # fmt: skip
    service = open_service(settings)
    for seller in live.sellers():
        service.force(seller, "operator:test", reason)


def wait_for_traffic(journal: Path, driver: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until the driver has set its cast up and made its first planned step."""
    deadline = time.monotonic() + timeout
    while not (journal.exists() and any(e.op > 0 for e in read(journal))):
        assert driver.poll() is None, f"the driver stopped with {driver.returncode}"
        assert time.monotonic() < deadline, "the driver did not start its steps"
        time.sleep(0.25)


def finish(driver: subprocess.Popen[str], timeout: float = 120) -> int:
    return driver.wait(timeout=timeout)


def driver_output(live: Live, journal: Path) -> str:
    return (live.data_dir / f"traffic-{journal.stem}.out").read_text()

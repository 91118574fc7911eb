"""The migration operator watches one merchant move while a buyer keeps buying from it, in a real
browser beside a real `keranjang up` of its own. A viewer taps a creator's yellow cart, buys in
the old in-app shop and pays; the operator signs in to the migration service's page, forces the
seller's move there with a reason, and `keranjang migrate run --only` moves it while the page
refreshes itself: the seller's phase turns to verified, its history lists every phase (bound,
copying, catching up, cut over, verified) and the category bars rise. The same viewer taps the
same yellow cart again and now lands on commerce's product page, signs up and pays there. Both
purchases end as paid orders of the merchant in commerce."""

import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from keranjang.cli.shared import ServiceName, operator_token
from keranjang.cli.up import service_env
from tests.e2e.conftest import READY_BANNER, STARTUP_TIMEOUT, RunningMarketplace, _stop
from tests.e2e.test_buying_in_browser import check_out_with_virtual_account
from tests.e2e.test_legacy_shop_in_browser import (
    LegacyShop,
    _up,
    buyer_checks_out,
    buyer_signs_up_from_the_yellow_cart,
    open_shop,
    phone,
)

ROOT = Path(__file__).resolve().parents[2]
PAID_WITHIN_MS = 30_000
REFRESHED_WITHIN_MS = 60_000  # the page reloads itself every few seconds; the move takes a while
BARS = {"payment": "Pembayaran", "data": "Data", "operations": "Operasional penjual",
        "overall": "Keseluruhan"}  # fmt: skip
PHASES = ("Terikat", "Menyalin", "Mengejar", "Dialihkan", "Terverifikasi")
IN_APP_TOTAL = 51_000  # two at 18.000 and 15.000 shipping (see buyer_checks_out)


@dataclass
class Moving:
    """`keranjang up` (legacy shop paying at this run's simulator) and what its CLI needs."""

    running: RunningMarketplace
    migration_url: str
    env: dict[str, str]
    token: str

    def migrate(self, *args: str) -> str:
        command = [sys.executable, "-m", "keranjang", "migrate", *args]
        done = subprocess.run(command, env=self.env, cwd=ROOT, text=True, capture_output=True,
                              timeout=300)  # fmt: skip
        assert done.returncode == 0, f"migrate {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


@pytest.fixture(scope="module")
def moving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moving]:
    data_dir = tmp_path_factory.mktemp("keranjang-migration-up")
    process, lines, ports = _up(data_dir)
    running = RunningMarketplace(f"http://127.0.0.1:{ports['social']}",
                                 f"http://127.0.0.1:{ports['commerce']}", data_dir, process, lines)  # fmt: skip
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while READY_BANNER not in running.output():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`keranjang up` did not start:\n{running.output()}", pytrace=False)
            time.sleep(0.25)
        token = operator_token(data_dir)
        named = {ServiceName(name): port for name, port in ports.items()}
        env = {**service_env(data_dir, "127.0.0.1", named, token), "NO_COLOR": "1"}
        yield Moving(running, f"http://127.0.0.1:{ports['migration']}", env, token)
    finally:
        _stop(process)


def bars(page: Page) -> dict[str, float]:
    found = {}
    for key, label in BARS.items():
        bar = page.get_by_role("progressbar", name=label, exact=True)
        found[key] = float(bar.get_attribute("aria-valuenow") or "nan")
    return found


def phase_of(page: Page, seller_id: int) -> str:
    return page.locator(f'span.phase[data-seller="{seller_id}"]').inner_text()


def operator_signs_in(page: Page, up: Moving) -> None:
    page.goto(up.migration_url + "/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.fill("#token", up.token)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Kemajuan migrasi")


def operator_forces_the_move(page: Page, seller_id: int) -> None:
    page.click(f'a[href="/merchants/{seller_id}"]')
    expect(page.locator("h1")).to_contain_text("Direncanakan")
    page.fill("#force-reason", "Tenggat kementerian: dipindahkan oleh operator")
    page.click("form[action$='/force'] button[type=submit]")
    expect(page.locator("p.ok")).to_have_text("Tercatat: Paksa pindah.")
    expect(page.locator("table").last).to_contain_text("Dipaksa pindah oleh operator")
    page.goto(page.url.split("/merchants/")[0] + "/")


def buys_in_the_app(page: Page, shop: LegacyShop, tmp_path: Path) -> str:
    buyer_signs_up_from_the_yellow_cart(page, shop, tmp_path)
    buyer_checks_out(page, tmp_path)
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/pay/"))
    page.get_by_test_id("pay").click()
    page.wait_for_url(lambda url: url.startswith(f"{shop.social_url}/legacy/orders/"))
    expect(page.get_by_test_id("order-status")).to_have_attribute(
        "data-status", "paid", timeout=PAID_WITHIN_MS
    )
    return page.get_by_test_id("order-number").inner_text()


def buys_in_commerce(page: Page, shop: LegacyShop, commerce: str, tmp_path: Path) -> str:
    """The same yellow cart, after the cutover: commerce's product page, a new account there."""
    page.goto(f"{shop.social_url}/live/{shop.content_id}")
    page.locator(f'a[data-testid="yellow-cart"][href="/cart/{shop.pin_id}"]').click()
    page.wait_for_url(re.compile(re.escape(commerce) + r"/products/\d+$"))
    expect(page.get_by_test_id("product-title")).to_have_text("Keripik Tempe Pedas")
    expect(page.get_by_test_id("handoff-banner")).to_be_visible()
    page.get_by_test_id("quantity").fill("1")
    page.get_by_test_id("add-to-cart").click()
    page.get_by_test_id("to-signup").click()
    page.get_by_test_id("field-name").fill("Dewi Lestari")
    page.get_by_test_id("field-email").fill(f"dewi-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_test_id("field-password").fill("rahasia-sekali")
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    check_out_with_virtual_account(page, tmp_path)
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/pay/"))
    page.get_by_test_id("pay").click()
    page.wait_for_url(lambda url: url.startswith(commerce) and "/orders/" in url)
    expect(page.get_by_test_id("order-status")).to_have_attribute(
        "data-status", "paid", timeout=PAID_WITHIN_MS
    )
    return page.get_by_test_id("order-number").inner_text()


def merchant_orders(data_dir: Path, title: str) -> list[tuple[str, str, int]]:
    """(number, status, total) of every commerce order of the merchant selling `title`."""
    with sqlite3.connect(f"file:{data_dir / 'commerce.db'}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT o.number, o.status, o.total_idr FROM orders o WHERE o.merchant_id IN "
            "(SELECT p.merchant_id FROM products p WHERE p.title = ?) ORDER BY o.id",
            (title,),
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def test_the_operator_watches_a_merchant_move_while_a_buyer_keeps_buying(
    browser: Browser, moving: Moving, tmp_path: Path
) -> None:
    shop = open_shop(moving.running)
    buyer = phone(browser)
    in_app = buys_in_the_app(buyer, shop, tmp_path)
    seller_id = _seller_of(moving, shop)

    operator = browser.new_context(locale="id-ID").new_page()
    operator_signs_in(operator, moving)
    expect(operator.locator(f'span.phase[data-seller="{seller_id}"]')).to_have_text("Direncanakan")
    before = bars(operator)
    assert before["payment"] == before["operations"] == 0.0, before
    operator_forces_the_move(operator, seller_id)

    moving.migrate("run", "--only", str(seller_id))
    phase = operator.locator(f'span.phase[data-seller="{seller_id}"]')  # reloads on its own
    expect(phase).to_have_text("Terverifikasi", timeout=REFRESHED_WITHIN_MS)
    after = bars(operator)
    assert after["payment"] == after["operations"] == 100.0, after
    assert after["data"] > before["data"] and after["overall"] > before["overall"], (before, after)
    operator.screenshot(path=tmp_path / "operator-dashboard.png", full_page=True)

    operator.click(f'a[href="/merchants/{seller_id}"]')
    expect(operator.locator("h1")).to_contain_text("Terverifikasi")
    history = operator.locator("section", has=operator.locator("h2", has_text="Riwayat"))
    for label in PHASES:
        expect(history.locator("td", has_text=re.compile(f"^{label}$")).first).to_be_visible()
    operator.screenshot(path=tmp_path / "operator-merchant.png", full_page=True)

    in_commerce = buys_in_commerce(buyer, shop, moving.running.commerce_url, tmp_path)
    orders = merchant_orders(moving.running.data_dir, "Keripik Tempe Pedas")
    assert len(orders) == 2 and in_commerce in {o[0] for o in orders}, (in_app, orders)
    assert [o[1] for o in orders] == ["paid", "paid"], orders
    assert orders[0][2] == IN_APP_TOTAL, orders  # the in-app order moved with the merchant


def _seller_of(up: Moving, shop: LegacyShop) -> int:
    """The legacy seller whose shop the test opened: planned now, so the page lists it."""
    up.migrate("plan")
    with sqlite3.connect(up.running.data_dir / "social.db") as db:
        row = db.execute("SELECT id FROM legacy_sellers WHERE slug = 'toko-tempe'").fetchone()
    assert row is not None, "the test's shop is not in the app"
    return int(row[0])

"""`keranjang up` as an operator sees it: the URLs it prints, each service's operations
endpoints (health, Prometheus metrics, OpenAPI) answering on those URLs, and a clear refusal
when a port is taken."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.e2e.conftest import READY_BANNER, free_ports

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace

SERVICES = ["social", "commerce"]


def base_url(marketplace: "RunningMarketplace", service: str) -> str:
    url: str = getattr(marketplace, f"{service}_url")
    return url


def test_up_prints_the_urls_of_both_services(marketplace: "RunningMarketplace") -> None:
    output = marketplace.output()
    assert "Keranjang is running" in output, output
    assert re.search(r"Seeded \d+ shops, \d+ products, \d+ creators", output), output
    for service in SERVICES:
        url = base_url(marketplace, service)
        assert f"{url}/" in output, f"{service} URL {url}/ not printed:\n{output}"
        assert f"{url}/docs" in output, f"{service} API docs URL not printed:\n{output}"
    assert marketplace.process.poll() is None, "`keranjang up` stopped after starting"


@pytest.mark.parametrize("service", SERVICES)
def test_operations_endpoints_answer(marketplace: "RunningMarketplace", service: str) -> None:
    url = base_url(marketplace, service)
    with httpx.Client(base_url=url, timeout=10) as client:
        health = client.get("/healthz")
        assert health.status_code == 200, health.text

        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "keranjang_http_requests_total" in metrics.text
        assert f'service="{service}"' in metrics.text

        spec = client.get("/openapi.json")
        assert spec.status_code == 200
        body = spec.json()
        assert body["openapi"].startswith("3.")
        assert body["info"]["title"] == f"Keranjang {service}"
        assert body["paths"], f"{service} publishes no paths"


def test_up_refuses_a_busy_port_before_starting_anything(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    social_port, payments_port = free_ports(2)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        command = [sys.executable, "-m", "keranjang", "up", "--data-dir", str(tmp_path)]
        command += ["--social-port", str(social_port), "--commerce-port", str(busy)]
        command += ["--payments-port", str(payments_port)]
        result = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"Port {busy} on 127.0.0.1 is already in use" in output
    assert "--commerce-port" in output
    assert READY_BANNER not in output
    assert not list(tmp_path.glob("*.db")), "a service started"
    assert output.startswith("Port "), f"something was printed before the refusal:\n{output}"


def test_up_names_every_busy_port_and_a_port_given_twice(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    social_port, migration_port = free_ports(2)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as first,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as second,
    ):
        for taken in (first, second):
            taken.bind(("127.0.0.1", 0))
            taken.listen()
        busy = [first.getsockname()[1], second.getsockname()[1]]
        command = [sys.executable, "-m", "keranjang", "up", "--data-dir", str(tmp_path)]
        command += ["--social-port", str(social_port), "--commerce-port", str(busy[0])]
        command += ["--payments-port", str(busy[1]), "--migration-port", str(migration_port)]
        command += ["--oversight-port", str(migration_port)]
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    for port, option in zip(busy, ["--commerce-port", "--payments-port"], strict=True):
        assert f"Port {port} on 127.0.0.1 is already in use" in output, output
        assert option in output, output
    assert f"Port {migration_port} is given to both migration and oversight" in output, output
    assert READY_BANNER not in output
    assert not list(tmp_path.glob("*.db")), "a service started"


def test_up_seeds_sellers_still_in_the_app(marketplace: "RunningMarketplace") -> None:
    assert "Seeded the legacy in-app shop" in marketplace.output(), marketplace.output()
    with httpx.Client(base_url=marketplace.social_url, timeout=10) as social:
        feed = social.get("/api/content")
        assert feed.status_code == 200, feed.text
        pins = [pin for content in feed.json() for pin in content["pins"]]
        assert any(pin["source"] == "legacy" for pin in pins), pins


def test_up_sends_payouts_through_the_simulator(marketplace: "RunningMarketplace") -> None:
    """A shop's payout account is checked with the simulator's bank: a holder's name that is not
    the bank's is refused with what to fix, the right one is kept, and an account the bank does
    not know is refused without losing the one kept."""
    operator = (marketplace.data_dir / "operator-token").read_text().strip()
    with httpx.Client(base_url=marketplace.commerce_url, timeout=10) as client:
        shop = client.post(
            "/api/merchants",
            json={"slug": "rekening-uji", "name": "Rekening Uji", "city": "Bandung"},
            headers={"Authorization": f"Bearer {operator}"},
        )
        assert shop.status_code in (200, 201), shop.text
        seller = {"Authorization": f"Bearer {shop.json()['token']}"}
        account = {"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Siti"}
        wrong = client.put("/api/seller/payout-account", json=account, headers=seller)
        assert wrong.status_code == 422 and "write it as it is on the account" in wrong.text
        account["holder_name"] = "Siti Rahayu"
        put = client.put("/api/seller/payout-account", json=account, headers=seller)
        assert put.status_code == 200, put.text
        unknown = {**account, "account_number": "0000099999"}
        refused = client.put("/api/seller/payout-account", json=unknown, headers=seller)
        assert refused.status_code == 422, refused.text
        kept = client.get("/api/seller/payout-account", headers=seller).json()
        assert kept["account_number"] == "1234567890"

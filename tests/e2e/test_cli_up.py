"""`keranjang up` as an operator sees it: the URLs it prints, and each service's operations
endpoints (health, Prometheus metrics, OpenAPI) answering on those URLs."""

import re
from typing import TYPE_CHECKING

import httpx
import pytest

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

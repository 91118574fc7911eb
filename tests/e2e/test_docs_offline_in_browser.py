"""Every service's API documentation in a real browser with the network cut off: each request
to anything but this machine is refused, and `/docs` still shows every operation of the
service's OpenAPI document (nothing is fetched from a CDN)."""

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Page, Route, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningMarketplace

LOCAL = {"127.0.0.1", "localhost"}


def docs_urls(marketplace: "RunningMarketplace") -> dict[str, str]:
    """Each service's base URL, as `up` printed it in its table ("<name> API docs  <url>/docs")."""
    found = dict(re.findall(r"(\w+) API docs\W+(http://[\w.:]+)/docs", marketplace.output()))
    assert set(found) == {"social", "commerce", "payments", "migration", "oversight"}, found
    return found


def test_docs_show_every_operation_with_the_network_cut_off(
    page: Page, marketplace: "RunningMarketplace"
) -> None:
    refused: list[str] = []

    def only_this_machine(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_this_machine)
    for name, url in docs_urls(marketplace).items():
        spec = httpx.get(f"{url}/openapi.json", timeout=10).json()
        count = sum(
            1
            for item in spec["paths"].values()
            for method in item
            if method in {"get", "post", "put", "patch", "delete", "head"}
        )
        response = page.goto(f"{url}/docs")
        assert response is not None and response.status == 200, name
        page.wait_for_load_state("load")
        operations = page.locator(".operation")
        expect(operations.first).to_be_visible()
        assert operations.count() == count, f"{name}: {operations.count()} of {count} shown"
        first = spec["paths"] and next(iter(sorted(spec["paths"])))
        expect(page.locator("main")).to_contain_text(first)
        page.goto(f"{url}/redoc")
        assert urlsplit(page.url).path == "/docs", name
    assert refused == [], f"pages asked for outside assets: {refused}"

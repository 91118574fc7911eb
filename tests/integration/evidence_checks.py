"""What the evidence tests share: the regulator's token in every service's environment, reading
an evidence document, and proving a document names no buyer."""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from keranjang.oversight.evidence import Endpoints, HttpEvidence

REGULATOR = "regulator-test-token-0123456789"
AS_REGULATOR = {"Authorization": f"Bearer {REGULATOR}"}
SERVICES = ("social", "commerce", "payments", "migration")
READS = {"GET", "HEAD", "OPTIONS"}
PARAMETER = re.compile(r"\{[^}]+\}")


@pytest.fixture(autouse=True)
def regulator_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Autouse: set before the services are built (their token is read once found)."""
    for service in SERVICES:
        monkeypatch.setenv(f"KERANJANG_{service.upper()}_REGULATOR_TOKEN", REGULATOR)


def writes(app: object) -> Iterator[tuple[str, str]]:
    """Every (method, path) of an app that is not a read, path parameters filled with 1.
    FastAPI keeps an included router as one entry of `app.routes` (its routes inside, as
    effective candidates), so walk into those."""
    for path, methods in _routes(getattr(app, "routes", [])):
        for method in sorted(set(methods) - READS):
            yield method, PARAMETER.sub("1", path)


def _routes(routes: list[Any]) -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from _routes(route.effective_candidates())
        elif hasattr(route, "original_route"):
            yield route.path, set(getattr(route.original_route, "methods", None) or ())
        elif getattr(route, "path", None) is not None:
            yield route.path, set(getattr(route, "methods", None) or ())


def monitor_reading(client: TestClient, service: str) -> HttpEvidence:
    """The monitor's own reader (HttpEvidence, with the regulator's token) pointed at one
    service in the test: what it validates is what the service serves."""

    def forward(request: httpx.Request) -> httpx.Response:
        auth = {"Authorization": request.headers.get("authorization", "")}
        r = client.get(request.url.path, params=dict(request.url.params), headers=auth)
        return httpx.Response(r.status_code, content=r.content, headers=r.headers)

    endpoints = Endpoints(*(f"http://{s}.test" for s in SERVICES))
    return HttpEvidence(endpoints, {service: REGULATOR}, transport=httpx.MockTransport(forward))


def read(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    r = client.get(path, params=params, headers=AS_REGULATOR)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def strings(value: object) -> Iterator[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_names_no_buyer(document: object, *buyer_facts: str) -> None:
    """No string anywhere in `document` holds any of the buyers' emails, phones, names or
    addresses (nor the phone's digits without the +)."""
    facts = {f.lower() for f in buyer_facts} | {f.lstrip("+") for f in buyer_facts}
    for text in strings(document):
        for fact in facts:
            assert fact not in text.lower(), f"{fact!r} in evidence: {text!r}"


def assert_regulator_only(client: TestClient, path: str, other_token: str) -> None:
    """No token: 401. Any other token (a wrong one, an operator's): 403. Nothing read."""
    r = client.get(path)
    assert r.status_code == 401, r.text
    for token in ("not-the-regulator", other_token, REGULATOR[:-1]):
        r = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403, r.text
    r = client.get(path, params={"window_seconds": 59}, headers=AS_REGULATOR)
    assert r.status_code == 422, r.text

"""No database or HTTP library exception reaches a client as a 500 (the encode/httpx rule: every
lower-level error is mapped at the edge). Commerce is started on a database that is not there
and a partner and social that do not answer; every route is then called as a client would."""

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError

from keranjang.commerce.app import create_app
from keranjang.commerce.attribution.issuer_keys import IssuerKeys
from keranjang.commerce.buying import group
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.errors import (
    EmptyCart,
    Invalid,
    OutOfStock,
    PaymentUnavailable,
    Taken,
    Unavailable,
)
from keranjang.commerce.web.errors import STATUS, from_library, status_of
from keranjang.payments.simulator_partner import SimulatorPartner

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers there
OPERATOR = "operator-token-for-the-test"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    settings = CommerceSettings(
        database_url="postgresql://nobody@127.0.0.1:9/gone",
        data_dir=tmp_path_factory.mktemp("data"),
        admin_token=OPERATOR,
        secret_key="a-secret-for-the-test",
        social_url=NOWHERE,
    )
    app = create_app(
        settings,
        migrate=False,
        keys=IssuerKeys(f"{NOWHERE}/.well-known/jwks.json"),
        partner=SimulatorPartner(NOWHERE, "server-key"),
    )
    # No lifespan (no `with`): the periodic jobs stay off; every call meets the dead database.
    return TestClient(app, raise_server_exceptions=False)


def calls(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, path parameters filled. FastAPI keeps an included
    router as one entry of `app.routes` with its routes inside as candidates: walk into them."""
    found = []
    for path, methods in _routes(client.app.routes):  # type: ignore[attr-defined]
        path = re.sub(r"\{[a-z_]*slug\}", "batik-sekar", path)
        path = re.sub(r"\{[a-z_]+(:path)?\}", "1", path)
        found += [(method, path) for method in sorted(methods - {"HEAD"})]
    return sorted(set(found))


def _routes(routes: list[Any]) -> list[tuple[str, set[str]]]:
    found: list[tuple[str, set[str]]] = []
    for route in routes:
        if hasattr(route, "effective_candidates"):
            found += _routes(route.effective_candidates())
        elif isinstance(route, APIRoute) or hasattr(route, "original_route"):
            methods = getattr(getattr(route, "original_route", route), "methods", None) or set()
            found.append((route.path, set(methods)))
    return found


def test_the_walk_reaches_every_kind_of_route(client: TestClient) -> None:
    paths = {path for _, path in calls(client)}
    assert {"/api/checkout", "/api/products/1", "/seller/orders/1", "/cart", "/handoff"} <= paths


def test_every_route_answers_a_dead_database_without_a_500(client: TestClient) -> None:
    problems = []
    for method, path in calls(client):
        for accept in ("application/json", "text/html"):
            r = client.request(
                method,
                path,
                headers={"Authorization": f"Bearer {OPERATOR}", "Accept": accept},
                json={} if method in ("POST", "PUT", "PATCH") else None,
            )
            if r.status_code >= 500 and not (r.status_code == 503 and r.headers.get("Retry-After")):
                problems.append(f"{method} {path} ({accept}): {r.status_code} {r.text[:120]}")
    assert problems == []


def test_a_dead_database_is_a_503_that_says_to_retry(client: TestClient) -> None:
    r = client.get("/api/products/1")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.json()["error"] == "Unavailable"
    assert "try again" in r.json()["detail"]
    page = client.get("/products/1", headers={"Accept": "text/html"})
    assert page.status_code == 503 and "text/html" in page.headers["content-type"]


def test_library_errors_become_the_errors_a_person_can_act_on() -> None:
    lost_race = IntegrityError("INSERT …", {}, Exception("duplicate key"))
    assert isinstance(from_library(lost_race), Taken)
    assert status_of(from_library(lost_race)) == 409
    gone = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert isinstance(from_library(gone), Unavailable)
    assert status_of(from_library(gone)) == 503
    import httpx

    assert isinstance(from_library(httpx.ConnectError("refused")), PaymentUnavailable)


def test_a_checkouts_stored_refusals_agree_with_the_status_table() -> None:
    """Checkout stores its answer for idempotent retries, status included: the same numbers as
    every other refusal gets."""
    for error in (OutOfStock, EmptyCart, Invalid):
        assert group.REFUSAL_STATUS[error] == status_of(error("x")), error
    assert set(STATUS) >= {OutOfStock.__mro__[1], Invalid}

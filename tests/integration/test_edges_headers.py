"""Every page of every service carries the usual security headers: a Content-Security-Policy
that runs no script and refuses framing, nosniff, `Referrer-Policy: same-origin` (the hand-off
landing keeps its `no-referrer`), `X-Frame-Options: DENY`, and HSTS when the service's public URL
is https. Every GET route of social, commerce, the simulator, migration and oversight is called
as a browser would (path parameters filled with 1), and each HTML answer is checked."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.conftest import System
from tests.integration.evidence_checks import _routes
from tests.integration.test_edges_bodies import OPERATOR, SERVICES, build

BROWSER = {"accept": "text/html,application/xhtml+xml", "sec-fetch-site": "same-origin"}
PARAMETER = re.compile(r"\{[^}]+\}")
# Sign-in pages to open first, so the pages behind them are served too.
SIGN_IN = {
    "migration": ("/login", {"token": OPERATOR}),
    "oversight": ("/masuk", {"token": OPERATOR}),
}


def pages(client: TestClient) -> dict[str, dict[str, str]]:
    """Each GET route's HTML answer's headers, by path."""
    seen = {}
    for path, methods in _routes(client.app.routes):  # type: ignore[attr-defined]
        if "GET" not in methods or path.startswith(("/docs", "/redoc")):
            continue
        r = client.get(PARAMETER.sub("1", path), headers=BROWSER, follow_redirects=False)
        if r.headers.get("content-type", "").startswith("text/html"):
            seen[path] = {k.lower(): v for k, v in r.headers.items()}
    return seen


def assert_secured(headers: dict[str, str], path: str) -> None:
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, (path, csp)
    assert "script-src 'none'" in csp, (path, csp)
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("x-frame-options") == "DENY", path
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer"), path


@pytest.mark.parametrize("name", SERVICES)
def test_every_page_sends_the_security_headers(name: str, tmp_path: Path) -> None:
    app = build(name, tmp_path)
    with TestClient(app) as client:
        if name in SIGN_IN:
            path, form = SIGN_IN[name]
            assert client.post(path, data=form, headers=BROWSER).status_code in (200, 303)
        seen = pages(client)
        api = client.get("/healthz")
    app.state.engine.dispose()
    assert len(seen) >= 2, (name, sorted(seen))
    for path, headers in seen.items():
        assert_secured(headers, path)
        assert "strict-transport-security" not in headers, path
    assert "content-security-policy" not in api.headers  # JSON is not a page


def test_hsts_when_the_public_url_is_https(tmp_path: Path) -> None:
    app = build("commerce", tmp_path, public_url="https://shop.example")
    with TestClient(app) as client:
        r = client.get("/", headers=BROWSER)
    app.state.engine.dispose()
    assert r.status_code == 200
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert_secured({k.lower(): v for k, v in r.headers.items()}, "/")


def test_the_handoff_landing_keeps_its_no_referrer(system: System) -> None:
    pin = system.pinned_product()
    # The token's address answers a redirect to the product's own: nothing that address leads
    # the browser to may carry the token on as a referrer.
    r = system.commerce.get(system.click_cart(pin["id"]), headers=BROWSER, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/products/{pin['product']['product_id']}"
    assert r.headers.get("referrer-policy") == "no-referrer", dict(r.headers)
    landed = system.commerce.get(r.headers["location"], headers=BROWSER)
    assert landed.status_code == 200
    assert_secured({k.lower(): v for k, v in landed.headers.items()}, r.headers["location"])

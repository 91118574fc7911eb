"""Log-ins are throttled on every service: failed attempts per account (whatever the address)
and per address (whatever the account), in moving windows; the attempt past the limit is 429
with `Retry-After`, in English on the API and in Indonesian on pages; a success clears nothing;
the window's end frees a place. The throttle's clock is the test's (no sleeping)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from keranjang.infra.clock import FixedClock
from keranjang.infra.throttle import LoginThrottle
from tests.integration.test_edges_bodies import build

PAGE = {"accept": "text/html", "sec-fetch-site": "same-origin"}


@dataclass(frozen=True)
class LogIn:
    service: str
    path: str
    secret: str  # the field the account is named by ("email" or "token")
    api: bool = False

    def body(self, account: str) -> dict[str, object]:
        fields: dict[str, str] = {self.secret: account}
        if self.secret == "email" or "claim" in self.path:
            fields["password"] = "wrong-password-1"
        if self.path == "/claim":
            fields["password2"] = "wrong-password-1"
        return {"json": fields} if self.api else {"data": fields, "headers": PAGE}


LOG_INS = [
    LogIn("commerce", "/api/buyers/sessions", "email", api=True),
    LogIn("commerce", "/login", "email"),
    LogIn("commerce", "/seller/login", "token"),
    LogIn("commerce", "/claim", "token"),
    LogIn("commerce", "/api/buyers/claims", "token", api=True),
    LogIn("social", "/api/viewers/sessions", "email", api=True),
    LogIn("social", "/legacy/account/login", "email"),
    LogIn("social", "/legacy/seller/login", "token"),
    LogIn("migration", "/login", "token"),
    LogIn("oversight", "/masuk", "token"),
]
IDS = [f"{x.service}:{x.path}" for x in LOG_INS]


@dataclass
class Running:
    app: FastAPI
    clock: FixedClock

    def from_address(self, address: str) -> TestClient:
        return TestClient(self.app, client=(address, 40000))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logins")


@pytest.fixture
def running(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Running]:
    service = request.param
    app = build(service, tmp_path)
    clock = FixedClock(datetime(2024, 3, 27, 9, 0, tzinfo=UTC))
    app.state.throttle = LoginThrottle("10/minute", "30/minute", clock)
    with TestClient(app):
        yield Running(app, clock)
    app.state.engine.dispose()


def attempt(running: Running, login: LogIn, account: str, address: str):  # type: ignore[no-untyped-def]
    return running.from_address(address).post(login.path, **login.body(account))  # type: ignore[arg-type]


def assert_refused(r, login: LogIn, seconds: int) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 429, (login.path, r.status_code, r.text[:300])
    assert r.headers["retry-after"] == str(seconds)
    if login.api:
        assert r.json()["error"] == "TooManyAttempts" and "try again" in r.json()["detail"]
    else:
        assert "Terlalu banyak percobaan masuk" in r.text and f">{seconds}<" in r.text


def by_service(logins: list[LogIn]) -> list[object]:
    return [pytest.param(x.service, x, id=f"{x.service}:{x.path}") for x in logins]


@pytest.mark.parametrize(("running", "login"), by_service(LOG_INS), indirect=["running"])
def test_the_eleventh_failure_for_one_account_is_429(running: Running, login: LogIn) -> None:
    account = "siti@example.com" if login.secret == "email" else "a-guessed-token-0001"
    for i in range(10):  # from ten addresses
        r = attempt(running, login, account, f"10.0.0.{i}")
        assert r.status_code in (401, 404, 410, 422), (login.path, r.status_code, r.text[:200])
        running.clock.advance(seconds=2)
    assert_refused(attempt(running, login, account, "10.0.0.99"), login, 60 - 20)
    assert attempt(running, login, "other@example.com", "10.0.0.99").status_code != 429
    running.clock.advance(seconds=40)  # the first failure leaves the window
    assert attempt(running, login, account, "10.0.0.99").status_code != 429


@pytest.mark.parametrize(("running", "login"), by_service(LOG_INS), indirect=["running"])
def test_one_address_over_many_accounts_is_429(running: Running, login: LogIn) -> None:
    for i in range(30):
        r = attempt(running, login, f"buyer{i}@example.com", "203.0.113.7")
        assert r.status_code != 429, (login.path, i)
    assert_refused(attempt(running, login, "someone@example.com", "203.0.113.7"), login, 60)
    assert attempt(running, login, "someone@example.com", "203.0.113.8").status_code != 429


@pytest.mark.parametrize("running", ["commerce"], indirect=True)
def test_a_success_does_not_clear_the_address_window(running: Running) -> None:
    login = LOG_INS[0]
    client = running.from_address("203.0.113.9")
    signed_up = client.post(
        "/api/buyers",
        json={"email": "siti@example.com", "name": "Siti", "password": "rahasia-sekali"},
    )
    assert signed_up.status_code == 201, signed_up.text
    for i in range(29):
        assert attempt(running, login, f"b{i}@example.com", "203.0.113.9").status_code == 401
    good = {"email": "siti@example.com", "password": "rahasia-sekali"}
    assert client.post(login.path, json=good).status_code == 201
    assert attempt(running, login, "b99@example.com", "203.0.113.9").status_code == 401
    assert_refused(client.post(login.path, json=good), login, 60)  # even the right password

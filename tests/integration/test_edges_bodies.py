"""Every service limits request bodies: a 5 MB body is answered 413 at once, whether it says its
length or streams it in chunks, and never read whole; a 422 never echoes a large input back (a
200 KB string field in a body of a valid size answers a small 422 in FastAPI's shape). Each
service is built in-process: social, commerce, the payment simulator, migration, oversight."""

import base64
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from keranjang.commerce.app import create_app as commerce_app
from keranjang.commerce.config import CommerceSettings
from keranjang.handoff import KeyRing, SigningKey
from keranjang.migration import app as migration
from keranjang.oversight import sample_evidence
from keranjang.oversight.app import create_app as oversight_app
from keranjang.oversight.config import OversightSettings
from keranjang.payments.simulator.app import create_app as simulator_app
from keranjang.payments.simulator.config import PaymentsSettings
from keranjang.social.app import create_app as social_app
from keranjang.social.config import SocialSettings
from tests.integration.migration_fakes import FakeMover
from tests.integration.test_openapi_fuzz import NoCatalog

OPERATOR = "edges-operator-token"
SERVICES = ("social", "commerce", "payments", "migration", "oversight")
BIG = 5 * 1024 * 1024
# A JSON route of each service that takes a body (the body limit holds before any route's work).
JSON_ROUTE = {
    "social": "/api/viewers/sessions",
    "commerce": "/api/buyers/sessions",
    "payments": "/v2/charge",
    "migration": "/api/plan",
    "oversight": "/api/evaluations",
}

# Credentials where a route checks them before it reads the body (streamed, it has no length).
AUTH = {
    "payments": {"authorization": "Basic " + base64.b64encode(b"k:").decode()},
}
# Routes that read a body of any length: the JSON route, or the operator's sign-in form.
READS_BODY = JSON_ROUTE | {"migration": "/login", "oversight": "/masuk"}


def build(name: str, folder: Path, **extra: object) -> FastAPI:
    """The service `name` on SQLite files in `folder`, as `keranjang serve` would build it."""
    sqlite = f"sqlite:///{folder / name}.db"
    common: dict[str, object] = {"data_dir": folder, "admin_token": OPERATOR} | extra
    if name == "social":
        return social_app(SocialSettings(database_url=sqlite, **common),  # type: ignore[arg-type]
                          catalog=NoCatalog(), signing_key=SigningKey.generate())  # fmt: skip
    if name == "commerce":
        settings = CommerceSettings(database_url=sqlite, **common)  # type: ignore[arg-type]
        return commerce_app(settings, keys=KeyRing.of(SigningKey.generate()))
    if name == "payments":
        settings_p = PaymentsSettings(database_url=sqlite, server_key="k", dispatch_every_seconds=0,
                                      expire_every_seconds=0, **common)  # type: ignore[arg-type]  # fmt: skip
        return simulator_app(settings_p, rng=random.Random(7))
    if name == "migration":
        settings_m = migration.ServiceSettings(
            database_url=sqlite, social_database_url=f"sqlite:///{folder}/m-social.db",
            commerce_database_url=f"sqlite:///{folder}/m-commerce.db", snapshot_every_seconds=0,
            **common,  # type: ignore[arg-type]
        )  # fmt: skip
        return migration.create_app(settings_m, mover=FakeMover(None))  # type: ignore[arg-type]
    (folder / "regulator-token").write_text("edges-regulator-token")
    settings_o = OversightSettings(database_url=sqlite, evaluate_every_seconds=0, **common)  # type: ignore[arg-type]
    return oversight_app(
        settings_o, source=sample_evidence.compliant(datetime(2024, 3, 20, tzinfo=UTC))
    )


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, TestClient]]:
    app = build(request.param, tmp_path)
    with TestClient(app) as client:
        yield request.param, client
    app.state.engine.dispose()


def test_a_5_mb_body_is_answered_413_at_once(service: tuple[str, TestClient]) -> None:
    name, client = service
    body = b'{"email": "' + b"a" * BIG + b'"}'
    started = time.perf_counter()
    r = client.post(JSON_ROUTE[name], content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413, (name, r.status_code, r.text[:200])
    assert len(r.content) < 1000
    assert time.perf_counter() - started < 2


def test_a_streamed_body_is_cut_off_at_the_limit(service: tuple[str, TestClient]) -> None:
    """No Content-Length (chunked): the bytes are counted as they come."""
    name, client = service
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"email": "'
        for _ in range(BIG // 65536):
            sent += 65536
            yield b"a" * 65536

    headers = {"content-type": "application/json", "sec-fetch-site": "same-origin"}
    r = client.post(READS_BODY[name], content=chunks(), headers=headers | AUTH.get(name, {}))
    assert r.status_code == 413, (name, r.status_code, r.text[:200])


def test_a_large_field_in_a_valid_body_gets_a_small_422(tmp_path: Path) -> None:
    """A 200 KB string where a short one belongs: FastAPI's 422 shape, the input cut short."""
    for name, path in (("commerce", "/api/buyers/sessions"), ("social", "/api/viewers/sessions")):
        (tmp_path / name).mkdir()
        app = build(name, tmp_path / name)
        with TestClient(app) as client:
            r = client.post(path, json={"email": "x" * 200_000, "password": "p" * 200_000})
        app.state.engine.dispose()
        assert r.status_code == 422, (name, r.text[:300])
        assert len(r.content) < 2000, (name, len(r.content))
        errors = r.json()["detail"]
        assert errors and all({"type", "loc", "msg"} <= set(e) for e in errors), errors
        shown = [e["input"] for e in errors if "input" in e]
        assert all(len(str(i)) <= 101 for i in shown), shown


def test_a_service_takes_its_limit_from_its_settings(tmp_path: Path) -> None:
    app = build("commerce", tmp_path, max_body_bytes=4096)
    with TestClient(app) as client:
        small = client.post("/api/buyers/sessions", json={"email": "a@b.c", "password": "x" * 100})
        large = client.post("/api/buyers/sessions", json={"email": "a@b.c", "password": "x" * 5000})
    app.state.engine.dispose()
    assert small.status_code != 413 and large.status_code == 413

"""A regulator's token writes nothing, anywhere (DESIGN.md section 2, line 5): every route of
social, commerce, the payment simulator and the migration service that is not a read, called
with the regulator's token (and a JSON body, a form, or none), answers 401 or 403, and no row of
any table of any of their databases changes. On SQLite and PostgreSQL."""

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, inspect, select, table

from keranjang.infra.clock import FixedClock
from keranjang.payments.simulator.app import create_app as simulator_app
from keranjang.payments.simulator.config import PaymentsSettings
from tests.integration.conftest import OPERATOR, System
from tests.integration.evidence_checks import AS_REGULATOR, regulator_env, writes  # noqa: F401

BODIES: tuple[dict[str, object], ...] = (
    {"json": {"quantity": 1, "email": "x@example.com", "name": "X", "password": "rahasia-sekali"}},
    {"data": {"method": "bank_transfer", "email": "x@example.com"}},
    {},
)


def rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        names = inspect(c).get_table_names()
        return {
            n: c.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names
        }


def assert_writes_nothing(client: TestClient, engines: list[Engine]) -> int:
    before = [rows(e) for e in engines]
    called = 0
    for method, path in writes(client.app):  # type: ignore[arg-type]
        for body in BODIES:
            r = client.request(method, path, headers=AS_REGULATOR, **body)  # type: ignore[arg-type]
            assert r.status_code in (401, 403), f"{method} {path}: {r.status_code} {r.text}"
            called += 1
    assert [rows(e) for e in engines] == before
    return called


@pytest.fixture
def simulator(
    database_url: Callable[[str], str], clock: FixedClock, tmp_path: Path
) -> Iterator[TestClient]:
    settings = PaymentsSettings(
        data_dir=tmp_path / "payments",
        database_url=database_url("payments"),
        server_key="server-key-for-tests",
        admin_token=OPERATOR,
        dispatch_every_seconds=0,
        expire_every_seconds=0,
    )
    app = simulator_app(settings, clock=clock, rng=random.Random(7))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def test_social_and_commerce_refuse_every_write_of_the_regulator(system: System) -> None:
    system.pinned_product()
    r = system.social.post("/legacy/api/sellers", json={"slug": "toko-rina", "name": "Toko Rina",
                           "city": "Bandung"}, headers=system.operator())  # fmt: skip
    assert r.status_code == 201, r.text
    engines = [system.social_engine, system.commerce_engine]
    assert assert_writes_nothing(system.social, engines) > 20
    assert assert_writes_nothing(system.commerce, engines) > 20


def test_the_simulator_refuses_every_write_of_the_regulator(simulator: TestClient) -> None:
    engine: Engine = simulator.app.state.engine  # type: ignore[attr-defined]
    assert assert_writes_nothing(simulator, [engine]) >= 3


def test_the_migration_service_refuses_every_write_of_the_regulator(
    database_url: Callable[[str], str], tmp_path: Path
) -> None:
    app_module = pytest.importorskip("keranjang.migration.app")
    workers = pytest.importorskip("tests.integration.migration_fakes")
    settings = app_module.ServiceSettings(
        data_dir=tmp_path, database_url=database_url("migration"),
        social_database_url=database_url("social"), commerce_database_url=database_url("commerce"),
        admin_token=OPERATOR, snapshot_every_seconds=0,
    )  # fmt: skip
    app = app_module.create_app(settings, mover=workers.FakeMover(None))
    with TestClient(app) as client:
        assert assert_writes_nothing(client, [app.state.engine]) >= 3
    app.state.engine.dispose()

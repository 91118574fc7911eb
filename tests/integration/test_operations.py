"""What operators rely on: health, metrics, OpenAPI, and schemas that match their history."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from keranjang.commerce.tables import Base
from keranjang.social import db as social_db
from tests.integration.conftest import System


def test_every_service_answers_health_metrics_and_openapi(system: System) -> None:
    for client, name in [(system.social, "social"), (system.commerce, "commerce")]:
        assert client.get("/healthz").json() == {"status": "ok", "service": name}
        spec = client.get("/openapi.json").json()
        assert spec["openapi"].startswith("3.")
        metrics = client.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert (
            f'keranjang_http_requests_total{{method="GET",route="/healthz",service="{name}",status="200"}}'
            in metrics.text
        )


def test_health_reports_a_lost_database(system: System) -> None:
    system.commerce_engine.dispose()
    system.commerce_engine.pool._creator = lambda *a: (_ for _ in ()).throw(
        OSError("database gone")
    )  # type: ignore[attr-defined]
    answer = system.commerce.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"


def test_handoff_metrics_count_by_route_template(system: System) -> None:
    pin = system.pinned_product()
    system.commerce.get(system.click_cart(pin["id"]))
    text = system.social.get("/metrics").text
    assert 'route="/cart/{pin_id}",service="social",status="302"' in text


def no_drift(engine: Engine, metadata) -> list[object]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_each_database_matches_its_own_schema_history(system: System) -> None:
    assert no_drift(system.social_engine, social_db.Base.metadata) == []
    assert no_drift(system.commerce_engine, Base.metadata) == []
    social_tables = set(social_db.Base.metadata.tables)
    commerce_tables = set(Base.metadata.tables)
    assert social_tables.isdisjoint(commerce_tables)

"""Schemathesis against the monitor's OpenAPI, with the regulator's token (so the reading routes
are reached, and the writing one refused): no generated request makes it answer 5xx, and every
response matches its documented schema."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from keranjang.infra.clock import FixedClock
from keranjang.oversight import sample_evidence
from keranjang.oversight.app import create_app
from keranjang.oversight.config import OversightSettings

REGULATOR = "fuzz-regulator"
START = datetime(2024, 3, 1, tzinfo=UTC)
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("fuzz-oversight")
    (folder / "regulator-token").write_text(REGULATOR)
    app = create_app(
        OversightSettings(data_dir=folder, admin_token="op", evaluate_every_seconds=0),
        source=sample_evidence.compliant(START),
        clock=FixedClock(START),
    )
    app.state.service.evaluate("on_demand")  # a log with entries to ask proofs and tiles of
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_monitor_never_fails_with_a_server_error(schema) -> None:  # type: ignore[no-untyped-def]
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(
                headers={"Authorization": f"Bearer {REGULATOR}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        check()
    assert "GET /log/proof/inclusion" in labels and "POST /api/evaluations" in labels

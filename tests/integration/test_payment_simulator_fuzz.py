"""Schemathesis against the payment simulator's OpenAPI, with its credentials, so generated
requests reach the use cases: none makes it answer 5xx, every response matches its schema."""

import base64
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from keranjang.payments.simulator.app import create_app
from keranjang.payments.simulator.config import PaymentsSettings

SERVER_KEY = "fuzz-server-key"
FUZZ = settings(
    max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@pytest.fixture(scope="module")
def payments_schema(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("fuzz-payments")
    app = create_app(
        PaymentsSettings(
            data_dir=folder, server_key=SERVER_KEY, admin_token="op", dispatch_every_seconds=0
        )
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def credentials(path: str) -> dict[str, str]:
    if path.startswith("/admin/"):
        return {"Authorization": "Bearer op"}
    return {"Authorization": "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()}


def test_payment_simulator_never_fails_with_a_server_error(payments_schema) -> None:  # type: ignore[no-untyped-def]
    labels = []
    for result in payments_schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        headers = credentials(operation.path)

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        check()
    assert "POST /v2/charge" in labels

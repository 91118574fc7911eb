"""Schemathesis against the migration service's OpenAPI, with the operator's token and with the
regulator's: no generated request makes it answer 5xx, and every answer matches its schema."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from keranjang.migration.app import ServiceSettings, create_app

FUZZ = settings(
    max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("fuzz-migration")
    app = create_app(ServiceSettings(data_dir=folder, admin_token="op", regulator_token="reg"))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("token", ["op", "reg", None])  # None: the generated Authorization
def test_the_migration_api_never_fails_with_a_server_error(schema, token: str | None) -> None:  # type: ignore[no-untyped-def]
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        check()
    assert "GET /evidence/migration/progress" in labels
    assert "POST /api/merchants/{seller_id}/force" in labels

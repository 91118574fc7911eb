"""Schemathesis against each service's OpenAPI: no generated request makes a service answer 5xx,
and every response matches its documented schema."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from keranjang.commerce.app import create_app as commerce_app
from keranjang.commerce.config import CommerceSettings
from keranjang.handoff import KeyRing, SigningKey
from keranjang.social.app import create_app as social_app
from keranjang.social.config import SocialSettings


class NoCatalog:
    def product(self, product_id: int):  # type: ignore[no-untyped-def]
        from keranjang.social.domain import NotFound

        raise NotFound(f"commerce's catalog has no product with id {product_id}")


@pytest.fixture(scope="module")
def social_schema(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("fuzz-social")
    app = social_app(
        SocialSettings(data_dir=folder, admin_token="op"),
        catalog=NoCatalog(),
        signing_key=SigningKey.generate(),
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def commerce_schema(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("fuzz-commerce")
    app = commerce_app(
        CommerceSettings(data_dir=folder, admin_token="op"),
        keys=KeyRing.of(SigningKey.generate()),
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


FUZZ = settings(
    max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def fuzz_every_operation(schema) -> list[str]:  # type: ignore[no-untyped-def]
    """Drive each operation with generated requests. (Schemathesis' pytest plugin does not yet run
    under this pytest version, so its strategies are used through Hypothesis directly.)"""
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        check()
    return labels


def test_social_api_never_fails_with_a_server_error(social_schema) -> None:  # type: ignore[no-untyped-def]
    assert "GET /cart/{pin_id}" in fuzz_every_operation(social_schema)


def test_commerce_api_never_fails_with_a_server_error(commerce_schema) -> None:  # type: ignore[no-untyped-def]
    assert "POST /api/products" in fuzz_every_operation(commerce_schema)

"""Shared fixtures: fresh databases on SQLite and PostgreSQL, and the two services wired in-process.

PostgreSQL comes from KERANJANG_TEST_POSTGRES_URL (default: the local server, trust auth). Outside
CI a missing server skips the PostgreSQL cases; under CI=true it fails them: CI must prove both.
"""

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

ADMIN_URL = os.environ.get(
    "KERANJANG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgresql"]


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc)


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    problem = _postgres_reachable()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable ({problem}); set KERANJANG_TEST_POSTGRES_URL")
    return ADMIN_URL


def _with_database(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], str]]:
    """A factory: `database_url("commerce")` gives a fresh, empty database for that service."""
    created: list[str] = []
    folder = tmp_path_factory.mktemp("db")

    def make(service: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{folder / f'{service}.db'}"
        admin = request.getfixturevalue("postgres_admin")
        name = f"kj_test_{service}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            # A throwaway database: commits need not wait for the disk (only a crash of the
            # PostgreSQL server itself could lose them, and the database dies with the test).
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(
                    sql.Identifier(name)
                )
            )
        created.append(name)
        return _with_database(admin, name)

    yield make
    if created:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

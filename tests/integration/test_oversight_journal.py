"""The monitor reads the migration's whole journal: page after page as the service hands them
out, at most so many pages an evaluation, the rest at the next ones, and every event lands in
the audit log exactly once (operators' actions as such), on SQLite and PostgreSQL."""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from keranjang.evidence.migration import MigrationEvent, MigrationEvents
from keranjang.infra.clock import FixedClock
from keranjang.oversight import sample_evidence
from keranjang.oversight.app import create_app
from keranjang.oversight.auditlog.tiles import read_bundle
from keranjang.oversight.config import OversightSettings

OPERATOR = "op-token"
START = datetime(2024, 3, 1, 9, tzinfo=UTC)
EVENTS = 14  # more than two evaluations' worth: 2 pages of 3 each time


def journal(count: int) -> MigrationEvents:
    """`count` events; every fifth an operator's forced bind."""
    return MigrationEvents(
        events=[
            MigrationEvent(
                id=i,
                at=START + timedelta(seconds=i),
                merchant_id=100 + i,
                phase="planned" if i % 5 == 0 else "bound",
                what="forced" if i % 5 == 0 else "bound",
                actor="operator:web" if i % 5 == 0 else "worker-1",
                operator=i % 5 == 0,
                detail={"reason": "seller unreachable"} if i % 5 == 0 else {},
            )
            for i in range(1, count + 1)
        ],
        next_after=None,
    )


@pytest.fixture
def client(database_url: Callable[[str], str], tmp_path: Path) -> Iterator[TestClient]:
    clock = FixedClock(START)
    fake = sample_evidence.compliant(START)
    fake.pieces["events"] = journal(EVENTS)
    fake.events_page = 3
    settings = OversightSettings(
        data_dir=tmp_path,
        database_url=database_url("oversight"),
        admin_token=OPERATOR,
        evaluate_every_seconds=0,
        evidence_event_pages=2,
    )
    with TestClient(create_app(settings, source=fake, clock=clock)) as c:
        yield c


def evaluate(client: TestClient) -> dict[str, object]:
    r = client.post("/api/evaluations", headers={"Authorization": f"Bearer {OPERATOR}"})
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def logged_events(client: TestClient, size: int) -> list[dict[str, object]]:
    entries = read_bundle(client.get(f"/log/tile/entries/000.p/{size}").content)
    decoded = [json.loads(e) for e in entries]
    return [e for e in decoded if e["kind"] in ("migration_event", "operator_action")]


def test_a_journal_longer_than_one_evaluation_reads_is_logged_whole_and_once(
    client: TestClient,
) -> None:
    fresh = [evaluate(client)["migration_events"] for _ in range(4)]
    assert fresh == [6, 6, 2, 0]
    size = evaluate(client)["checkpoint"]["size"]  # type: ignore[index]
    events = logged_events(client, int(size))
    assert [e["event"] for e in events] == list(range(1, EVENTS + 1))
    operators = [e["event"] for e in events if e["kind"] == "operator_action"]
    assert operators == [5, 10]

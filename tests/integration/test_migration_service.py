"""The migration service (:8005) over HTTP, on SQLite and PostgreSQL, with a fake engine: the
regulator reads evidence with its token and can write nothing; operators plan, force, roll back
and purge with theirs; the operator's pages in Indonesian; no bad input makes a 500."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from keranjang.evidence.migration import MigrationEvents as MonitorsEvents
from keranjang.infra.clock import FixedClock
from keranjang.infra.database import make_engine
from keranjang.migration.app import ServiceSettings, create_app
from keranjang.migration.service import MigrationService
from keranjang.migration.workers import Journal, Rules, Worker
from keranjang.social.legacy_shop.generator import seeding
from keranjang.social.legacy_shop.generator.plan import Size
from tests.integration.migration_fakes import FakeMover

OPERATOR = "operator-token-for-tests"
REGULATOR = "regulator-token-for-tests"
T0 = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
BUYER_FIELDS = ("email", "phone", "address", "recipient", "viewer", "street", "postal")


@dataclass
class Service:
    client: TestClient
    clock: FixedClock
    mover: FakeMover

    @property
    def service(self) -> MigrationService:
        svc: MigrationService = self.client.app.state.service  # type: ignore[attr-defined]
        return svc

    def move_everyone(self) -> None:
        worker = Worker("w", Journal(self.service.parts.journal, self.clock, Rules()), self.mover)
        while worker.run_once():
            pass


def op() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR}"}


def reg() -> dict[str, str]:
    return {"Authorization": f"Bearer {REGULATOR}"}


@pytest.fixture
def migration(database_url: Callable[[str], str], tmp_path: Path) -> Iterator[Service]:
    social_url = database_url("social")
    social = make_engine(social_url)
    seeding.migrate(social)
    request = seeding.SeedRequest(Size(6, 2, 12, 60, seed=11), b"k" * 32, T0)
    seeding.seed(social, request, lambda _n: None)
    social.dispose()
    settings = ServiceSettings(
        data_dir=tmp_path, database_url=database_url("migration"),
        social_database_url=social_url, admin_token=OPERATOR, regulator_token=REGULATOR,
        snapshot_every_seconds=0,
    )  # fmt: skip
    clock = FixedClock(T0)
    app = create_app(settings, clock=clock, mover=_placeholder())
    svc: MigrationService = app.state.service
    mover = FakeMover(svc.parts.journal)
    svc.parts.mover = mover
    with TestClient(app) as client:
        yield Service(client, clock, mover)
    app.state.engine.dispose()


def _placeholder() -> FakeMover:
    return FakeMover(None)  # type: ignore[arg-type]  # replaced once the journal exists


def test_the_regulator_reads_progress_history_merchants_and_verifications(
    migration: Service,
) -> None:
    c = migration.client
    assert c.post("/api/plan", headers=op()).json()["added"] == 6
    migration.service.snapshot()
    migration.move_everyone()
    migration.clock.advance(minutes=30)
    migration.service.snapshot()

    progress = c.get("/evidence/migration/progress", headers=reg())
    assert progress.status_code == 200, progress.text
    body = progress.json()
    assert body["overall_percent"] == 93.33  # all verified, none purged: data two thirds
    assert body["categories"]["payment"] == {"percent": 100.0, "weight": 60}
    assert body["categories"]["merchant_operations"]["percent"] == 100.0
    assert body["merchants_by_phase"]["verified"] == 6
    history = c.get("/evidence/migration/history", headers=reg()).json()["snapshots"]
    assert [s["overall_percent"] for s in history] == [0.0, 93.33]
    merchants = c.get("/evidence/migration/merchants?limit=4", headers=reg()).json()
    assert [m["rank"] for m in merchants["merchants"]] == [1, 2, 3, 4]
    rest = c.get(f"/evidence/migration/merchants?after_rank={merchants['next_after_rank']}",
                 headers=reg()).json()  # fmt: skip
    assert [m["rank"] for m in rest["merchants"]] == [5, 6] and rest["next_after_rank"] is None
    assert c.get("/evidence/migration/verifications", headers=reg()).status_code == 200
    for answer in (body, history, merchants):
        assert not any(word in str(answer).lower() for word in BUYER_FIELDS)


def test_a_verification_result_is_evidence_in_counts_never_rows(migration: Service) -> None:
    c = migration.client
    c.post("/api/plan", headers=op())
    with migration.service.parts.journal() as s:
        s.execute(text(
            "INSERT INTO events (seller_id, phase, what, detail, actor, at) VALUES "
            "(1, 'cut_over', 'verification_failed', :d, 'engine', :at)"),
            {"d": '{"passed": false, "checks": ["orders", "stock"], "differences": '
                  '[{"table": "orders", "legacy_id": 7, "email": "siti@example.com"}]}',
             "at": T0},
        )  # fmt: skip
        s.commit()
    found = c.get("/evidence/migration/verifications", headers=reg()).json()
    assert found["failed"] == 1 and found["passed"] == 0
    assert found["results"][0] | {"at": None} == {
        "seller_id": 1, "at": None, "passed": False, "checks": 2, "differences": 1,
    }  # fmt: skip
    assert "siti" not in str(found)


def test_a_regulator_token_can_write_nothing_anywhere(migration: Service) -> None:
    c = migration.client
    paths = c.get("/openapi.json").json()["paths"]
    writes = [
        (method.upper(), path.replace("{seller_id}", "1"))
        for path, operations in paths.items()
        for method in operations
        if method not in ("get", "head")
    ]
    pages = ["/login", "/logout", "/merchants/1/force", "/merchants/1/rollback",
             "/merchants/1/purge"]  # fmt: skip
    writes += [("POST", p) for p in pages]
    writes += [("POST", "/evidence/migration/progress"), ("DELETE", "/api/merchants/1"),
               ("PUT", "/nowhere"), ("PATCH", "/evidence/migration/merchants")]  # fmt: skip
    assert len(writes) >= 13
    for method, path in writes:
        r = c.request(method, path, headers=reg(), json={"reason": "x"})
        assert r.status_code == 403, (method, path, r.status_code)
    # Nor does it pass for an operator on the operator's reads.
    assert c.get("/api/status", headers=reg()).status_code == 403
    with migration.service.parts.journal() as s:
        assert s.execute(text("SELECT COUNT(*) FROM moves")).scalar() == 0


def test_evidence_needs_a_token_and_a_wrong_one_is_refused(migration: Service) -> None:
    c = migration.client
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eA=="}):
        r = c.get("/evidence/migration/progress", headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert c.get("/evidence/migration/progress", headers=op()).status_code == 200
    assert c.post("/api/plan").status_code == 401


def test_an_operator_forces_rolls_back_and_purges(migration: Service) -> None:
    c = migration.client
    c.post("/api/plan", headers=op())
    migration.mover.unconfirmed = {1}
    migration.move_everyone()
    assert c.get("/api/merchants/1", headers=op()).json()["phase"] == "planned"
    r = c.post("/api/merchants/1/force", headers=op(), json={"reason": "confirmed by phone"})
    assert r.status_code == 200 and r.json()["forced_by_operator"] is True
    migration.move_everyone()
    assert c.get("/api/merchants/1", headers=op()).json()["phase"] == "verified"
    again = c.post("/api/merchants/1/force", headers=op(), json={"reason": "again"})
    assert again.status_code == 409 and again.json()["code"] == "illegal_phase", again.text
    r = c.post("/api/merchants/2/rollback", headers=op(), json={"reason": "the seller asked"})
    assert r.status_code == 200 and r.json()["phase"] == "rolled_back"
    assert c.post("/api/merchants/3/purge", headers=op()).json()["phase"] == "purged"
    assert migration.mover.purged_by == [(3, "operator:api")]  # the journal names who purged
    missing = c.post("/api/merchants/99/purge", headers=op())
    assert missing.status_code == 404 and missing.json()["code"] == "not_found", missing.text
    empty = c.post("/api/merchants/4/rollback", headers=op(), json={"reason": ""})
    assert empty.status_code == 422


def test_no_bad_input_makes_a_server_error(migration: Service) -> None:
    c = migration.client
    bad = [
        ("GET", "/evidence/migration/merchants?phase=flying"),
        ("GET", "/evidence/migration/merchants?limit=0"),
        ("GET", "/evidence/migration/merchants?limit=100000"),
        ("GET", "/evidence/migration/merchants?after_rank=-1"),
        ("GET", "/evidence/migration/history?since=yesterday"),
        ("GET", "/evidence/migration/verifications?seller_id=0"),
        ("GET", f"/api/merchants/{2**64}"),
        ("POST", "/api/merchants/abc/force"),
        ("POST", "/api/plan?dry_run=maybe"),
    ]
    for method, path in bad:
        r = c.request(method, path, headers=op())
        assert 400 <= r.status_code < 500, (path, r.status_code)
    for body in ({}, {"reason": 5}, {"reason": "x" * 501}, [1, 2]):
        r = c.post("/api/merchants/1/force", headers=op(), json=body)
        assert r.status_code == 422
    r = c.post("/api/merchants/1/force", headers=op() | {"content-type": "application/json"},
               content=b"{not json")  # fmt: skip
    assert r.status_code == 422


def test_health_metrics_and_openapi_like_every_service(migration: Service) -> None:
    c = migration.client
    assert c.get("/healthz").json() == {"status": "ok", "service": "migration"}
    assert "keranjang_http_requests" in c.get("/metrics").text
    paths = c.get("/openapi.json").json()["paths"]
    assert {"/evidence/migration/progress", "/evidence/migration/history",
            "/evidence/migration/merchants", "/evidence/migration/verifications"} <= set(paths)  # fmt: skip


def sign_in(c: TestClient, token: str = OPERATOR) -> int:
    r = c.post("/login", data={"token": token}, headers={"origin": "http://testserver"},
               follow_redirects=False)  # fmt: skip
    return r.status_code


def test_the_operators_page_shows_progress_and_phases_in_indonesian(migration: Service) -> None:
    c = migration.client
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    assert sign_in(c, "wrong") == 401
    assert sign_in(c) == 303
    c.post("/api/plan", headers=op())
    migration.mover.unconfirmed = {2}
    migration.move_everyone()
    page = c.get("/")
    assert page.status_code == 200
    assert 'http-equiv="refresh"' in page.text and 'name="viewport"' in page.text
    for words in ("Kemajuan migrasi", "Pembayaran", "Operasional penjual", "Terverifikasi",
                  "Direncanakan", "Perkiraan selesai"):  # fmt: skip
        assert words in page.text
    assert c.get("/?phase=planned").text.count('class="phase planned"') == 1


def test_an_operator_forces_a_move_from_the_page_and_other_sites_cannot(
    migration: Service,
) -> None:
    c = migration.client
    sign_in(c)
    c.post("/api/plan", headers=op())
    page = c.get("/merchants/1")
    assert "Paksa pindah" in page.text
    r = c.post("/merchants/1/force", data={"reason": ""}, headers={"origin": "http://testserver"})
    assert r.status_code == 422 and "alasan" in r.text.lower()
    forged = c.post("/merchants/1/force", data={"reason": "x"},
                    headers={"origin": "http://evil.example"})  # fmt: skip
    assert forged.status_code == 403
    r = c.post("/merchants/1/force", data={"reason": "diminta lewat telepon"},
               headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/merchants/1?done=force"
    shown = c.get("/merchants/1?done=force").text
    assert "Tercatat: Paksa pindah" in shown and "Dipaksa pindah oleh operator" in shown
    migration.move_everyone()
    r = c.post("/merchants/1/purge", headers={"sec-fetch-site": "same-origin"},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and migration.mover.purged_by == [(1, "operator:web")]
    assert c.get("/merchants/999").status_code == 404
    c.post("/logout", headers={"origin": "http://testserver"})
    assert c.get("/", follow_redirects=False).status_code == 303


def test_a_session_ends_when_the_operator_token_changes(migration: Service) -> None:
    c = migration.client
    sign_in(c)
    assert c.get("/").status_code == 200
    c.app.state.settings.admin_token = "rotated"  # type: ignore[attr-defined]
    assert c.get("/", follow_redirects=False).status_code == 303


def test_the_regulator_reads_every_journal_event_in_order_a_page_at_a_time(
    migration: Service,
) -> None:
    """What the monitor copies into its audit log: operators' actions marked as such, with who
    and why, and a verification's differing rows given by their number, never their content."""
    c = migration.client
    c.post("/api/plan", headers=op())
    migration.mover.unconfirmed = {1, 2}
    migration.move_everyone()
    for seller, reason in ((1, "confirmed by phone"), (2, "confirmed at the office")):
        r = c.post(f"/api/merchants/{seller}/force", headers=op(), json={"reason": reason})
        assert r.status_code == 200, r.text
    with migration.service.parts.journal() as s:
        s.execute(text(
            "INSERT INTO events (seller_id, phase, what, detail, actor, at) VALUES "
            "(3, 'cut_over', 'mismatch', :d, 'worker-1', :at)"),
            {"d": '{"passed": false, "rows": 40, "differences": '
                  '["order 7: email siti@example.com", "order 9"]}', "at": T0},
        )  # fmt: skip
        s.commit()

    assert c.get("/evidence/migration/events").status_code == 401
    pages, after = [], 0
    while True:
        r = c.get(f"/evidence/migration/events?after={after}&limit=2", headers=reg())
        assert r.status_code == 200, r.text
        page = MonitorsEvents.model_validate_json(r.text)  # the monitor reads it as it is
        pages.append(page.events)
        if r.json()["next_after"] is None:
            break
        after = r.json()["next_after"]
    events = [e for page in pages for e in page]
    assert all(len(p) == 2 for p in pages[:-1]) and len(pages[-1]) <= 2
    assert [e.id for e in events] == sorted({e.id for e in events})
    ours = [e for e in events if e.what in ("forced", "mismatch")]
    assert [(e.merchant_id, e.what, e.operator) for e in ours] == [
        (1, "forced", True), (2, "forced", True), (3, "mismatch", False),
    ]  # fmt: skip
    assert not any(e.operator for e in events if e not in ours)
    assert ours[0].detail == {"reason": "confirmed by phone"} and ours[0].actor
    assert ours[2].detail == {"passed": False, "rows": 40, "differences": 2}
    assert "siti" not in str(pages)
    assert c.get(f"/evidence/migration/events?after={events[-1].id}", headers=reg()).json() == {
        "events": [], "next_after": None,
    }  # fmt: skip
    assert c.get("/evidence/migration/events?after=-1", headers=reg()).status_code == 422

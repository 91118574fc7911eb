"""The monitor on its own database (SQLite and PostgreSQL) with a fake evidence source: injected
violations flip the right rule within one evaluation and back, results are appended with since
carried, every result is provably in the signed log, and the API lets a regulator read only."""

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from keranjang.evidence.commerce import CrossBorderListing, ForeignMerchant
from keranjang.evidence.social import MerchantBuyerData
from keranjang.infra.clock import FixedClock
from keranjang.oversight import sample_evidence
from keranjang.oversight.app import create_app
from keranjang.oversight.auditlog.checkpoint import Verifier, open_note
from keranjang.oversight.auditlog.merkle import leaf_hash, verify_consistency, verify_inclusion
from keranjang.oversight.auditlog.tiles import read_bundle
from keranjang.oversight.config import OversightSettings
from keranjang.oversight.errors import EvidenceUnavailable
from keranjang.oversight.evidence import FakeEvidence

OPERATOR, REGULATOR = "op-token", "regulator-token-value"
START = datetime(2024, 3, 1, 9, tzinfo=UTC)


@dataclass
class Monitor:
    client: TestClient
    fake: FakeEvidence
    clock: FixedClock

    def evaluate(self) -> dict[str, Any]:
        self.clock.advance(minutes=1)
        r = self.client.post("/api/evaluations", headers=auth(OPERATOR))
        assert r.status_code == 201, r.text
        return r.json()

    def status(self, evaluation: dict[str, Any], rule: str) -> str:
        return str(result_of(evaluation, rule)["status"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def result_of(evaluation: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(r for r in evaluation["results"] if r["rule_id"] == rule)


@pytest.fixture
def monitor(database_url: Callable[[str], str], tmp_path: Path) -> Iterator[Monitor]:
    (tmp_path / "regulator-token").write_text(REGULATOR)
    clock = FixedClock(START)
    fake = sample_evidence.compliant(START)
    settings = OversightSettings(
        data_dir=tmp_path,
        database_url=database_url("oversight"),
        admin_token=OPERATOR,
        evaluate_every_seconds=0,
        commerce_url="http://127.0.0.1:8002",
        social_url="http://127.0.0.1:8001",
    )
    with TestClient(create_app(settings, source=fake, clock=clock)) as client:
        yield Monitor(client, fake, clock)


def payment_in_social(fake: FakeEvidence) -> None:
    social = sample_evidence.social(START)
    shop = social.legacy_shop.model_copy(update={"payments_created_in_window": 1})
    fake.pieces["social"] = social.model_copy(update={"legacy_shop": shop})


def listing_below_floor(fake: FakeEvidence) -> None:
    commerce = sample_evidence.commerce(START)
    cheap = CrossBorderListing(listing_id=41, merchant_id=7, hs_code="6205.20.00", fob_minor=99_99)
    cross = commerce.cross_border.model_copy(
        update={"listings": [*commerce.cross_border.listings, cheap]}
    )
    fake.pieces["commerce"] = commerce.model_copy(update={"cross_border": cross})


def email_kept_for_moved_merchant(fake: FakeEvidence) -> None:
    social = sample_evidence.social(START)
    kept = [MerchantBuyerData(merchant_id=12, emails=1, phones=0, addresses=0)]
    data = social.buyer_data.model_copy(update={"purged_merchants_with_buyer_data": kept})
    fake.pieces["social"] = social.model_copy(update={"buyer_data": data})


def claim_outside_allow_list(fake: FakeEvidence) -> None:
    commerce = sample_evidence.commerce(START)
    sample = commerce.handoff.model_copy(
        update={"claim_sets": [[*sample_evidence.CLAIMS, "buyer_phone"]]}
    )
    fake.pieces["commerce"] = commerce.model_copy(update={"handoff": sample})


def foreign_merchant_missing_document(fake: FakeEvidence) -> None:
    commerce = sample_evidence.commerce(START)
    docs = [d for d in sample_evidence.DOCUMENTS if d != "legalisation"]
    merchants = commerce.foreign_merchants.model_copy(
        update={"merchants": [ForeignMerchant(merchant_id=7, documents=docs)]}
    )
    fake.pieces["commerce"] = commerce.model_copy(update={"foreign_merchants": merchants})


VIOLATIONS = {
    "pasal-21-3.no-payments-in-social": (payment_in_social, "payments_created_in_window = 1"),
    "pasal-19.cross-border-floor": (
        listing_below_floor,
        "listing 41 (merchant 7, HS 6205.20.00): FOB US$99.99",
    ),
    "pasal-13.no-data-misuse": (
        email_kept_for_moved_merchant,
        "moved merchant 12 after its purge: 1 emails",
    ),
    "pasal-13.no-interconnection": (
        claim_outside_allow_list,
        "buyer_phone (outside the allow-list)",
    ),
    "pasal-5.foreign-merchant-registration": (
        foreign_merchant_missing_document,
        "foreign merchant 7 lacks legalisation",
    ),
}


@pytest.mark.parametrize("rule", sorted(VIOLATIONS))
def test_an_injected_violation_flips_its_rule_within_one_evaluation_and_back(
    monitor: Monitor, rule: str
) -> None:
    inject, named = VIOLATIONS[rule]
    before = monitor.evaluate()
    assert before["failing"] == 0
    inject(monitor.fake)
    during = monitor.evaluate()
    failed = result_of(during, rule)
    assert failed["status"] == "fail"
    assert any(named in f for f in failed["evidence"]["findings"]), failed["evidence"]["findings"]
    assert [r["rule_id"] for r in during["results"] if r["status"] == "fail"] == [rule]
    monitor.fake.pieces.update(sample_evidence.compliant(START).pieces)
    after = monitor.evaluate()
    assert monitor.status(after, rule) == "pass"
    flipped = result_of(after, rule)
    assert flipped["since"] == flipped["observed_at"]  # a new status starts its own since


def test_results_are_appended_and_since_holds_while_the_status_does(monitor: Monitor) -> None:
    payment_in_social(monitor.fake)
    first, second = monitor.evaluate(), monitor.evaluate()
    rule = "pasal-21-3.no-payments-in-social"
    assert result_of(first, rule)["since"] == result_of(second, rule)["since"]
    history = monitor.client.get(f"/api/rules/{rule}/history", headers=auth(REGULATOR)).json()
    assert [h["id"] for h in history] == [
        result_of(second, rule)["id"],
        result_of(first, rule)["id"],
    ]
    assert result_of(first, rule)["sanction"] is None  # not yet past the deadline


def test_a_rule_failing_past_the_deadline_climbs_the_sanctions_ladder(monitor: Monitor) -> None:
    payment_in_social(monitor.fake)
    monitor.clock.advance(days=45)  # past 12 April 2024
    assert (
        result_of(monitor.evaluate(), "pasal-21-3.no-payments-in-social")["sanction"] == "warning"
    )
    monitor.clock.advance(days=8)
    assert (
        result_of(monitor.evaluate(), "pasal-21-3.no-payments-in-social")["sanction"]
        == "priority_supervision"
    )


def test_unreachable_evidence_is_insufficient_data_never_a_pass(monitor: Monitor) -> None:
    monitor.fake.pieces["commerce"] = EvidenceUnavailable(
        "commerce /evidence/commerce answered 503"
    )
    evaluation = monitor.evaluate()
    assert monitor.status(evaluation, "pasal-19.cross-border-floor") == "insufficient_data"
    assert "answered 503" in result_of(evaluation, "pasal-19.cross-border-floor")["summary"]
    assert monitor.status(evaluation, "pasal-21-3.no-payments-in-social") == "pass"


def note_and_verifier(client: TestClient) -> tuple[str, Verifier]:
    return client.get("/log/checkpoint").text, Verifier.parse(client.get("/log/key").text)


def test_every_result_is_in_the_signed_log_and_the_log_only_grows(monitor: Monitor) -> None:
    monitor.evaluate()
    old_note, verifier = note_and_verifier(monitor.client)
    old = open_note(old_note, verifier)
    evaluation = monitor.evaluate()
    head = open_note(note_and_verifier(monitor.client)[0], verifier)
    assert head.size == evaluation["checkpoint"]["size"] > old.size
    for result in evaluation["results"]:
        proof = monitor.client.get(
            f"/log/proof/inclusion?index={result['log_index']}&size={head.size}"
        ).json()
        leaf = base64.b64decode(proof["leaf"])
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        verify_inclusion(result["log_index"], head.size, leaf_hash(leaf), hashes, head.root)
        evidence = json.dumps(
            result["evidence"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        assert (
            json.loads(leaf)["evidence_sha256"]
            == hashlib.sha256(evidence.encode()).hexdigest()
            == result["evidence_sha256"]
        )
    proof = monitor.client.get(f"/log/proof/consistency?from={old.size}&to={head.size}").json()
    verify_consistency(
        old.size, head.size, [base64.b64decode(h) for h in proof["hashes"]], old.root, head.root
    )


def test_migration_events_are_logged_once_and_operator_actions_as_such(monitor: Monitor) -> None:
    monitor.evaluate()
    size = monitor.evaluate()["checkpoint"]["size"]
    entries = read_bundle(monitor.client.get(f"/log/tile/entries/000.p/{size}").content)
    kinds = [json.loads(e)["kind"] for e in entries]
    assert kinds.count("migration_event") == 1 and kinds.count("operator_action") == 1
    assert kinds.count("result") == 2 * 14
    level0 = monitor.client.get(f"/log/tile/0/000.p/{size}").content
    assert level0 == b"".join(leaf_hash(e) for e in entries)
    assert monitor.client.get("/log/tile/0/000").status_code == 404  # no full tile yet
    assert monitor.client.get("/log/tile/0/x0/12").status_code == 422


def test_a_regulator_token_reads_but_cannot_write(monitor: Monitor) -> None:
    c = monitor.client
    assert c.post("/api/evaluations", headers=auth(REGULATOR)).status_code == 403
    assert c.post("/api/evaluations").status_code == 401
    monitor.evaluate()
    for path in (
        "/api/results",
        "/api/rules",
        "/api/progress",
        "/api/checkpoint",
        "/reports/latest.json",
        "/reports/latest.csv",
    ):
        assert c.get(path, headers=auth(REGULATOR)).status_code == 200, path
        assert c.get(path).status_code == 401, path
    assert c.get("/api/results", headers=auth("guess")).status_code == 401


def test_progress_and_reports_are_ready_for_the_dashboard(monitor: Monitor) -> None:
    monitor.evaluate()
    progress = monitor.client.get("/api/progress", headers=auth(REGULATOR)).json()
    assert [p["overall"] for p in progress["series"]] == [70.0, 75.0, 87.0, 100.0]
    assert progress["assessment"] == "done" and progress["deadline"].startswith("2024-04-1")
    csv = monitor.client.get("/reports/latest.csv", headers=auth(REGULATOR)).text.splitlines()
    assert csv[0].startswith("rule_id,rule_version,regime,legal_basis") and len(csv) == 15
    report = monitor.client.get("/reports/latest.json", headers=auth(REGULATOR)).json()
    assert report["checkpoint"]["size"] == len(report["results"]) + 2
    assert (
        monitor.client.get("/api/rules/no-such-rule/history", headers=auth(REGULATOR)).status_code
        == 404
    )


def test_a_new_periodic_round_appends_without_duplicating_snapshots(monitor: Monitor) -> None:
    monitor.evaluate()
    monitor.evaluate()
    progress = monitor.client.get("/api/progress", headers=auth(REGULATOR)).json()
    assert len(progress["series"]) == 4
    assert timedelta(seconds=progress["seconds_left"]) > timedelta(days=30)


def test_the_database_itself_refuses_to_change_a_result_or_a_log_entry(monitor: Monitor) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    monitor.evaluate()
    engine = monitor.client.app.state.engine  # type: ignore[attr-defined]
    for statement in (
        "UPDATE results SET status = 'pass'",
        "DELETE FROM log_entries",
        "UPDATE checkpoints SET size = 0",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))

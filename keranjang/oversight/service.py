"""Oversight's use case that writes: an evaluation. Evidence is read first (over HTTP, outside
any transaction), every rule of the regime is evaluated (pure), then one transaction appends
the results, their log entries, the migration's new events and progress, and a new signed
checkpoint. Nothing is ever updated: a result is appended with `since` carried over from the
rule's previous result while its status holds."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.evidence.migration import MigrationEvent, MigrationHistory
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.oversight import log_store
from keranjang.oversight.db import EvaluationRow, ProgressRow, ResultRow
from keranjang.oversight.evidence import EVENT_PAGES, Cursor, EvidenceSource, gather
from keranjang.oversight.log_store import LogKey
from keranjang.oversight.queries import Queries, checkpoint_view, result_view
from keranjang.oversight.regime import Hosts, Regime
from keranjang.oversight.rules.base import Gathered, Missing, Outcome, Rule
from keranjang.oversight.rules.sanctions import step
from keranjang.oversight.views import EvaluationView

MAX_DOCUMENT = 100_000  # evidence documents larger than this are kept by their hash only


@dataclass(frozen=True)
class Setup:
    """Everything an evaluation needs besides the database and the evidence."""

    regime: Regime
    deadline: datetime
    hosts: Hosts
    log: LogKey
    clock: Clock
    event_pages: int = EVENT_PAGES  # pages of the migration's journal read per evaluation


class Monitor(Queries):
    def __init__(
        self, factory: sessionmaker[Session], source: EvidenceSource, setup: Setup
    ) -> None:
        super().__init__(factory, setup.regime, setup.deadline, setup.log)
        self.source = source
        self.setup = setup

    def ensure_checkpoint(self) -> None:
        """A signed checkpoint exists (of the empty log, on the first start)."""
        with transaction(self.factory) as session:
            log_store.lock(session)
            if log_store.latest_checkpoint(session) is None:
                log_store.sign_checkpoint(
                    session, self.log.origin, self.log.key, self.setup.clock.now()
                )

    def evaluate(self, trigger: str = "on_demand") -> EvaluationView:
        now = self.setup.clock.now()
        with transaction(self.factory) as session:
            cursor = Cursor(
                session.scalar(select(func.max(ProgressRow.at))), log_store.last_event_id(session)
            )
        gathered = gather(self.source, now, cursor, self.setup.event_pages)
        params = self.regime.params(now, self.deadline, self.setup.hosts)
        outcomes = [(rule, rule.evaluate(gathered, params)) for rule in self.regime.rules]
        with transaction(self.factory) as session:
            log_store.lock(session)
            run = EvaluationRow(
                regime=self.regime.id,
                trigger=trigger,
                observed_at=now,
                recorded_at=self.setup.clock.now(),
                log_size=0,
            )
            session.add(run)
            session.flush()
            rows = [
                self._append_result(session, run, rule, outcome, gathered)
                for rule, outcome in outcomes
            ]
            events = self._append_events(session, gathered)
            self._keep_progress(session, gathered.history)
            checkpoint = log_store.sign_checkpoint(
                session, self.log.origin, self.log.key, run.recorded_at
            )
            run.log_size = checkpoint.size
            return EvaluationView(
                run.id,
                run.regime,
                trigger,
                now,
                [result_view(r) for r in rows],
                checkpoint_view(checkpoint, self.log),
                events,
            )

    def _append_result(
        self, session: Session, run: EvaluationRow, rule: Rule, outcome: Outcome, gathered: Gathered
    ) -> ResultRow:
        previous = session.scalars(
            select(ResultRow)
            .where(ResultRow.rule_id == rule.id, ResultRow.subject == outcome.subject)
            .order_by(ResultRow.id.desc())
            .limit(1)
        ).first()
        same = previous is not None and previous.status == outcome.status.value
        since = previous.since if same and previous is not None else run.observed_at
        sanction = step(
            outcome.status, since, run.observed_at, self.deadline, self.regime.sanctions
        )
        evidence = evidence_document(rule, outcome, gathered)
        digest = hashlib.sha256(log_store.canonical(evidence)).hexdigest()
        row = ResultRow(
            evaluation_id=run.id,
            rule_id=rule.id,
            rule_version=rule.version,
            regime=self.regime.id,
            legal_basis=rule.article,
            subject=outcome.subject,
            status=outcome.status.value,
            severity=rule.severity.value,
            summary=outcome.summary[:500],
            assessment=outcome.assessment,
            sanction=sanction.value if sanction else None,
            evidence=json.dumps(evidence),
            evidence_sha256=digest,
            observed_at=run.observed_at,
            recorded_at=run.recorded_at,
            since=since,
            log_index=-1,
        )
        row.log_index = log_store.append(session, "result", result_leaf(row), run.recorded_at)
        session.add(row)
        session.flush()
        return row

    def _append_events(self, session: Session, gathered: Gathered) -> int:
        if isinstance(gathered.events, Missing):
            return 0
        seen = log_store.last_event_id(session)
        fresh = [e for e in gathered.events.events if e.id > seen]
        for event in sorted(fresh, key=lambda e: e.id):
            kind = "operator_action" if event.operator else "migration_event"
            log_store.append(session, kind, event_leaf(kind, event), event.at, source_id=event.id)
        return len(fresh)

    def _keep_progress(self, session: Session, history: MigrationHistory | Missing) -> None:
        if isinstance(history, Missing):
            return
        newest = session.scalar(select(func.max(ProgressRow.at)))
        for s in history.snapshots:
            if newest is None or s.at > newest:
                session.add(
                    ProgressRow(
                        at=s.at,
                        payment=s.payment_percent,
                        data=s.data_percent,
                        merchant_operations=s.merchant_operations_percent,
                        overall=s.overall_percent,
                        eta=s.eta,
                    )
                )
                newest = s.at


def evidence_document(rule: Rule, outcome: Outcome, gathered: Gathered) -> dict[str, object]:
    """What the result stands on: its findings and each evidence document it read (by hash
    alone when large), so the evidence hash pins exactly what was seen."""
    read: dict[str, object] = {}
    for name in rule.reads:
        piece = gathered.piece(name)
        if isinstance(piece, Missing):
            read[name] = {"missing": piece.reason}
            continue
        body = piece if isinstance(piece, str) else piece.model_dump_json()  # type: ignore[attr-defined]
        digest = hashlib.sha256(body.encode()).hexdigest()
        kept = body if len(body) <= MAX_DOCUMENT else None
        document = json.loads(kept) if kept and not isinstance(piece, str) else kept
        read[name] = {"sha256": digest, "document": document}
    return {"summary": outcome.summary, "findings": list(outcome.findings), "read": read}


def result_leaf(row: ResultRow) -> bytes:
    return log_store.canonical(
        {
            "kind": "result",
            "rule": row.rule_id,
            "version": row.rule_version,
            "regime": row.regime,
            "subject": row.subject,
            "status": row.status,
            "severity": row.severity,
            "sanction": row.sanction,
            "evidence_sha256": row.evidence_sha256,
            "observed_at": row.observed_at.isoformat(),
            "since": row.since.isoformat(),
        }
    )


def event_leaf(kind: str, event: MigrationEvent) -> bytes:
    """A migration event as logged: who and why by their hash (the monitor's API shows them)."""
    detail = log_store.canonical({"actor": event.actor, "detail": event.detail})
    return log_store.canonical(
        {
            "kind": kind,
            "event": event.id,
            "at": event.at.isoformat(),
            "merchant": event.merchant_id,
            "phase": event.phase,
            "what": event.what,
            "detail_sha256": hashlib.sha256(detail).hexdigest(),
        }
    )

"""Oversight's use cases that read: results now, a rule's history, the migration's progress
against the deadline, the rules, and the audit log (checkpoints, proofs, tiles, entries)."""

import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.oversight import log_store
from keranjang.oversight.auditlog import tiles
from keranjang.oversight.auditlog.checkpoint import verifier_key
from keranjang.oversight.auditlog.merkle import ProofError, consistency_proof, inclusion_proof
from keranjang.oversight.db import CheckpointRow, EvaluationRow, ProgressRow, ResultRow
from keranjang.oversight.errors import InvalidRequest, NotFound
from keranjang.oversight.log_store import LogKey
from keranjang.oversight.regime import Regime
from keranjang.oversight.rules.migration import assess
from keranjang.oversight.views import (
    CheckpointView,
    ProgressPointView,
    ProgressView,
    ProofView,
    ResultView,
    RuleView,
)

MAX_HISTORY = 500


def result_view(row: ResultRow) -> ResultView:
    return ResultView(
        id=row.id,
        rule_id=row.rule_id,
        rule_version=row.rule_version,
        regime=row.regime,
        legal_basis=row.legal_basis,
        subject=row.subject,
        status=row.status,
        severity=row.severity,
        summary=row.summary,
        assessment=row.assessment,
        sanction=row.sanction,
        evidence=json.loads(row.evidence),
        evidence_sha256=row.evidence_sha256,
        observed_at=row.observed_at,
        recorded_at=row.recorded_at,
        since=row.since,
        log_index=row.log_index,
    )


def checkpoint_view(row: CheckpointRow, log: LogKey) -> CheckpointView:
    key = verifier_key(log.origin, log.key.public_key())
    return CheckpointView(log.origin, row.size, bytes(row.root), row.note, row.at, key)


class Queries:
    def __init__(
        self, factory: sessionmaker[Session], regime: Regime, deadline: datetime, log: LogKey
    ) -> None:
        self.factory = factory
        self.regime = regime
        self.deadline = deadline
        self.log = log

    def rules(self) -> list[RuleView]:
        return [
            RuleView(
                r.id,
                r.version,
                r.article,
                r.regime,
                r.text_id,
                r.text_en,
                r.reads,
                r.severity.value,
            )
            for r in self.regime.rules
        ]

    def results_now(self) -> list[ResultView]:
        """The newest evaluation's results (none before the first)."""
        with self.factory() as session:
            newest = session.scalar(select(func.max(EvaluationRow.id)))
            query = (
                select(ResultRow).where(ResultRow.evaluation_id == newest).order_by(ResultRow.id)
            )
            return [result_view(r) for r in session.scalars(query)]

    def history(
        self, rule_id: str, limit: int = 100, before: int | None = None
    ) -> list[ResultView]:
        """A rule's results, newest first (`before`: a result id, for the next page)."""
        if rule_id not in {r.id for r in self.regime.rules}:
            raise NotFound(f"the regime {self.regime.id} has no rule {rule_id!r}")
        query = select(ResultRow).where(ResultRow.rule_id == rule_id)
        if before is not None:
            query = query.where(ResultRow.id < before)
        query = query.order_by(ResultRow.id.desc()).limit(min(limit, MAX_HISTORY))
        with self.factory() as session:
            return [result_view(r) for r in session.scalars(query)]

    def progress(self, now: datetime) -> ProgressView:
        with self.factory() as session:
            rows = list(session.scalars(select(ProgressRow).order_by(ProgressRow.at)))
        series = [
            ProgressPointView(r.at, r.payment, r.data, r.merchant_operations, r.overall)
            for r in rows
        ]
        eta = rows[-1].eta if rows else None
        state = assess(rows[-1].overall, eta, now, self.deadline) if rows else "unknown"
        left = (self.deadline - now).total_seconds()
        return ProgressView(series, self.deadline, eta, state, left)

    def checkpoint(self) -> CheckpointView:
        with self.factory() as session:
            row = log_store.latest_checkpoint(session)
        if row is None:
            raise NotFound("the log has no checkpoint yet")
        return checkpoint_view(row, self.log)

    def verifier_key(self) -> str:
        return verifier_key(self.log.origin, self.log.key.public_key())

    def inclusion(self, index: int, size: int) -> ProofView:
        with self.factory() as session:
            hashes = self._tree(session, size)
            leaf = log_store.entries(session, index, index + 1)
        try:
            proof = inclusion_proof(index, hashes)
        except ProofError as exc:
            raise InvalidRequest(str(exc)) from exc
        return ProofView(index, size, proof, leaf[0] if leaf else None)

    def consistency(self, first: int, second: int) -> ProofView:
        with self.factory() as session:
            hashes = self._tree(session, second)
        try:
            proof = consistency_proof(first, hashes)
        except ProofError as exc:
            raise InvalidRequest(str(exc)) from exc
        return ProofView(first, second, proof)

    def tile(self, level: int, n: int, width: int) -> bytes:
        """Hashes of tile `n` at `level` (its first `width`), from the log as it stands."""
        span = tiles.WIDTH**level
        with self.factory() as session:
            hashes = log_store.leaf_hashes(session, upto=(n * tiles.WIDTH + width) * span)
        level_hashes = tiles.level_hashes(hashes, level)[n * tiles.WIDTH : n * tiles.WIDTH + width]
        if len(level_hashes) != width:
            raise NotFound(f"the log has no tile {n} of width {width} at level {level} yet")
        return b"".join(level_hashes)

    def bundle(self, n: int, width: int) -> bytes:
        with self.factory() as session:
            found = log_store.entries(session, n * tiles.WIDTH, n * tiles.WIDTH + width)
        if len(found) != width:
            raise NotFound(f"the log has no entry bundle {n} of width {width} yet")
        return tiles.bundle(found, 0)

    def _tree(self, session: Session, size: int) -> list[bytes]:
        """The leaf hashes of the tree of `size`, which a signed checkpoint must have covered."""
        signed = session.scalar(select(func.max(CheckpointRow.size))) or 0
        if not 0 <= size <= signed:
            raise InvalidRequest(f"no signed tree of size {size}: the newest is of {signed}")
        return log_store.leaf_hashes(session, upto=size)

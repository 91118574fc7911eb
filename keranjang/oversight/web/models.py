"""The JSON the monitor answers (response models), built from the use cases' dataclasses."""

import base64
from datetime import datetime

from pydantic import BaseModel, Field

from keranjang.oversight.views import (
    CheckpointView,
    EvaluationView,
    ProgressView,
    ProofView,
    ResultView,
    RuleView,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ResultOut(BaseModel):
    id: int
    rule_id: str
    rule_version: int
    regime: str
    legal_basis: str
    subject: str
    status: str = Field(description="pass | fail | not_applicable | insufficient_data")
    severity: str
    summary: str
    assessment: str | None = Field(description="A migration's done / on_track / at_risk / late.")
    sanction: str | None = Field(description="The sanctions ladder's step reached, if any.")
    evidence: dict[str, object]
    evidence_sha256: str
    observed_at: datetime
    recorded_at: datetime
    since: datetime = Field(description="When the rule entered this status.")
    log_index: int = Field(description="The result's entry in the audit log.")

    @classmethod
    def of(cls, view: ResultView) -> "ResultOut":
        return cls(**vars(view))


class CheckpointOut(BaseModel):
    origin: str
    size: int
    root_hash: str = Field(description="Base64 of the tree head.")
    note: str = Field(description="The signed checkpoint (C2SP signed-note).")
    at: datetime
    verifier_key: str

    @classmethod
    def of(cls, view: CheckpointView) -> "CheckpointOut":
        return cls(
            origin=view.origin,
            size=view.size,
            root_hash=b64(view.root),
            note=view.note,
            at=view.at,
            verifier_key=view.verifier_key,
        )


class EvaluationOut(BaseModel):
    id: int
    regime: str
    trigger: str
    observed_at: datetime
    failing: int
    migration_events: int
    results: list[ResultOut]
    checkpoint: CheckpointOut

    @classmethod
    def of(cls, view: EvaluationView) -> "EvaluationOut":
        return cls(
            id=view.id,
            regime=view.regime,
            trigger=view.trigger,
            observed_at=view.observed_at,
            failing=len(view.failing),
            migration_events=view.migration_events,
            results=[ResultOut.of(r) for r in view.results],
            checkpoint=CheckpointOut.of(view.checkpoint),
        )


class ResultsOut(BaseModel):
    regime: str
    results: list[ResultOut]


class RuleOut(BaseModel):
    id: str
    version: int
    article: str
    regime: str
    text_id: str
    text_en: str
    reads: list[str]
    severity: str

    @classmethod
    def of(cls, view: RuleView) -> "RuleOut":
        return cls(**{**vars(view), "reads": list(view.reads)})


class RulesOut(BaseModel):
    regime: str
    name: str
    deadline: datetime
    rules: list[RuleOut]


class ProgressPointOut(BaseModel):
    at: datetime
    payment: float
    data: float
    merchant_operations: float
    overall: float


class ProgressOut(BaseModel):
    series: list[ProgressPointOut] = Field(description="Percent per category, oldest first.")
    deadline: datetime
    eta: datetime | None
    assessment: str = Field(description="done | on_track | at_risk | late | unknown")
    seconds_left: float

    @classmethod
    def of(cls, view: ProgressView) -> "ProgressOut":
        series = [ProgressPointOut(**vars(p)) for p in view.series]
        return cls(
            series=series,
            deadline=view.deadline,
            eta=view.eta,
            assessment=view.assessment,
            seconds_left=view.seconds_left,
        )


class ProofOut(BaseModel):
    index: int = Field(description="The leaf (inclusion) or the older size (consistency).")
    size: int
    hashes: list[str] = Field(description="Base64 SHA-256 hashes, RFC 9162 order.")
    leaf: str | None = Field(default=None, description="Base64 of the entry (inclusion).")

    @classmethod
    def of(cls, view: ProofView) -> "ProofOut":
        leaf = b64(view.leaf) if view.leaf is not None else None
        return cls(
            index=view.index, size=view.size, hashes=[b64(h) for h in view.hashes], leaf=leaf
        )


class ReportOut(BaseModel):
    regime: str
    name: str
    generated_at: datetime
    results: list[ResultOut]
    progress: ProgressOut
    checkpoint: CheckpointOut

"""What oversight's use cases answer: plain dataclasses, ready for a page, the JSON API or a
report (the web layer turns them into response models and builds URLs)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ResultView:
    id: int
    rule_id: str
    rule_version: int
    regime: str
    legal_basis: str
    subject: str
    status: str
    severity: str
    summary: str
    assessment: str | None
    sanction: str | None
    evidence: dict[str, object]
    evidence_sha256: str
    observed_at: datetime
    recorded_at: datetime
    since: datetime
    log_index: int


@dataclass(frozen=True)
class CheckpointView:
    origin: str
    size: int
    root: bytes
    note: str
    at: datetime
    verifier_key: str


@dataclass(frozen=True)
class EvaluationView:
    id: int
    regime: str
    trigger: str
    observed_at: datetime
    results: list[ResultView]
    checkpoint: CheckpointView
    migration_events: int

    @property
    def failing(self) -> list[ResultView]:
        return [r for r in self.results if r.status == "fail"]


@dataclass(frozen=True)
class RuleView:
    id: str
    version: int
    article: str
    regime: str
    text_id: str
    text_en: str
    reads: tuple[str, ...]
    severity: str


@dataclass(frozen=True)
class ProgressPointView:
    at: datetime
    payment: float
    data: float
    merchant_operations: float
    overall: float


@dataclass(frozen=True)
class ProgressView:
    """The migration as the monitor observed it, with the deadline and the outlook."""

    series: list[ProgressPointView]
    deadline: datetime
    eta: datetime | None
    assessment: str  # done | on_track | at_risk | late | unknown
    seconds_left: float


@dataclass(frozen=True)
class ProofView:
    index: int
    size: int
    hashes: list[bytes]
    leaf: bytes | None = None

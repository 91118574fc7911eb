"""What a rule is: data (id, version, article, its text in Indonesian and English, the evidence
it reads, its severity) plus a pure function from the evidence gathered to an outcome. No web,
no database, no clock: the moment of evaluation comes in with the parameters."""

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from keranjang.evidence.commerce import CommerceEvidence
from keranjang.evidence.migration import MigrationEvents, MigrationHistory, MigrationProgress
from keranjang.evidence.payments import PaymentsEvidence
from keranjang.evidence.social import SocialEvidence


class Status(enum.StrEnum):
    PASS = "pass"  # noqa: S105 (a rule's status, not a password)
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    INSUFFICIENT_DATA = "insufficient_data"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


@dataclass(frozen=True)
class Missing:
    """Evidence that could not be read, or not in the agreed shape, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class Gathered:
    """Everything read in one evaluation; a piece that could not be read is `Missing`."""

    observed_at: datetime
    social: SocialEvidence | Missing
    commerce: CommerceEvidence | Missing
    payments: PaymentsEvidence | Missing
    migration: MigrationProgress | Missing
    history: MigrationHistory | Missing
    events: MigrationEvents | Missing
    metrics: Mapping[str, str | Missing] = field(default_factory=dict)  # Prometheus text

    def piece(self, name: str) -> object:
        if name.startswith("metrics:"):
            service = name.removeprefix("metrics:")
            return self.metrics.get(service, Missing(name, "not read"))
        value: object = getattr(self, name)
        return value


@dataclass(frozen=True)
class Params:
    """A regime's parameters (regime files set them; `regime.py` reads them)."""

    now: datetime
    deadline: datetime
    floor_usd_cents: int = 100_00
    # Official rate: US cents for one minor unit of a currency, as a fraction (num, den).
    usd_cents_per_minor: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    positive_list: frozenset[str] = frozenset()
    foreign_documents: tuple[str, ...] = ()
    handoff_sla_ms: float = 500.0
    shop_tab_sla_ms: float = 1_000.0
    handoff_routes: Mapping[str, str] = field(default_factory=dict)  # service -> route
    commerce_host: str = "127.0.0.1:8002"
    social_host: str = "127.0.0.1:8001"


@dataclass(frozen=True)
class Outcome:
    """A rule's verdict on one subject: the findings name the evidence that decided it."""

    status: Status
    subject: str
    summary: str
    findings: tuple[str, ...] = ()
    assessment: str | None = None  # e.g. a migration's on_track / at_risk / late / done


class Evaluate(Protocol):
    def __call__(self, evidence: Gathered, params: Params) -> Outcome: ...


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    article: str
    regime: str
    text_id: str
    text_en: str
    reads: tuple[str, ...]
    severity: Severity
    check: Callable[[Gathered, Params], Outcome]
    subject: str = "platform"

    def evaluate(self, evidence: Gathered, params: Params) -> Outcome:
        """The outcome; any evidence it reads that is missing makes it insufficient data."""
        missing = [p for p in map(evidence.piece, self.reads) if isinstance(p, Missing)]
        if missing:
            return Outcome(
                Status.INSUFFICIENT_DATA,
                self.subject,
                "evidence could not be read: "
                + "; ".join(f"{m.source}: {m.reason}" for m in missing),
                tuple(f"{m.source}: {m.reason}" for m in missing),
            )
        try:
            return self.check(evidence, params)
        except Exception as exc:  # odd evidence must neither stop the run nor pass
            return Outcome(
                Status.INSUFFICIENT_DATA,
                self.subject,
                f"the evidence could not be evaluated: {type(exc).__name__}: {exc}",
            )


def verdict(subject: str, findings: list[str], ok: str, bad: str) -> Outcome:
    """Fail naming every finding, or pass."""
    if findings:
        return Outcome(Status.FAIL, subject, f"{bad} ({len(findings)})", tuple(findings[:50]))
    return Outcome(Status.PASS, subject, ok)

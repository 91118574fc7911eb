"""What the dashboard, a rule's page and the PDF show, gathered from the monitor's use cases
into plain dataclasses (the pages and the report only word and lay them out)."""

from dataclasses import dataclass
from datetime import datetime

from keranjang.oversight.errors import NotFound
from keranjang.oversight.service import Monitor
from keranjang.oversight.views import (
    CheckpointView,
    ProgressPointView,
    ProgressView,
    ResultView,
    RuleView,
)

CATEGORIES = ("payment", "data", "merchant_operations")
FINDINGS_SHOWN = 3
HISTORY_SHOWN = 200


@dataclass(frozen=True)
class RuleLine:
    """A rule's newest result beside the rule's legal text."""

    result: ResultView
    rule: RuleView | None

    @property
    def findings(self) -> list[str]:
        found = self.result.evidence.get("findings")
        return [str(f) for f in found[:FINDINGS_SHOWN]] if isinstance(found, list) else []

    @property
    def more_findings(self) -> int:
        found = self.result.evidence.get("findings")
        return max(0, len(found) - FINDINGS_SHOWN) if isinstance(found, list) else 0


@dataclass(frozen=True)
class Overview:
    regime_id: str
    regime_name: str
    now: datetime
    lines: list[RuleLine]
    progress: ProgressView
    checkpoint: CheckpointView | None

    @property
    def latest(self) -> ProgressPointView | None:
        return self.progress.series[-1] if self.progress.series else None

    @property
    def failing(self) -> int:
        return sum(1 for line in self.lines if line.result.status == "fail")

    @property
    def period(self) -> tuple[datetime | None, datetime | None]:
        """From the first observation of the migration (else of the results) to the newest."""
        observed = [line.result.observed_at for line in self.lines]
        first = self.progress.series[0].at if self.progress.series else min(observed, default=None)
        return first, max(observed, default=None)


@dataclass(frozen=True)
class Period:
    """A stretch of time a rule held one status (`until` None: it still does)."""

    status: str
    since: datetime
    until: datetime | None
    evaluations: int


@dataclass(frozen=True)
class RuleHistory:
    rule: RuleView
    results: list[ResultView]  # newest first
    periods: list[Period]  # newest first

    @property
    def current(self) -> ResultView | None:
        return self.results[0] if self.results else None


def overview(svc: Monitor) -> Overview:
    now = svc.setup.clock.now()
    rules = {r.id: r for r in svc.rules()}
    lines = [RuleLine(r, rules.get(r.rule_id)) for r in svc.results_now()]
    try:
        checkpoint: CheckpointView | None = svc.checkpoint()
    except NotFound:
        checkpoint = None
    return Overview(svc.regime.id, svc.regime.name, now, lines, svc.progress(now), checkpoint)


def rule_history(svc: Monitor, rule_id: str) -> RuleHistory:
    rule = next((r for r in svc.rules() if r.id == rule_id), None)
    if rule is None:
        raise NotFound(f"the regime {svc.regime.id} has no rule {rule_id!r}")
    results = svc.history(rule_id, HISTORY_SHOWN)
    return RuleHistory(rule, results, periods(results))


def periods(newest_first: list[ResultView]) -> list[Period]:
    """The statuses a rule went through, each from when it began until the next began."""
    found: list[Period] = []
    for result in reversed(newest_first):
        if found and found[-1].status == result.status:
            last = found[-1]
            found[-1] = Period(last.status, last.since, None, last.evaluations + 1)
            continue
        if found:
            last = found[-1]
            found[-1] = Period(last.status, last.since, result.observed_at, last.evaluations)
        found.append(Period(result.status, result.since, None, 1))
    return list(reversed(found))


def one_result(svc: Monitor, rule_id: str, result_id: int) -> ResultView:
    """One result of a rule, by its id (its full evidence is linked from the pages)."""
    found = svc.history(rule_id, 1, result_id + 1)
    if not found or found[0].id != result_id:
        raise NotFound(f"rule {rule_id!r} has no result {result_id}")
    return found[0]

"""What a run adds up to: operations by kind and outcome, requests by status, latency
percentiles, and the server errors and failures worth reading."""

import math
from collections import Counter
from dataclasses import dataclass, field

from keranjang.demo.traffic.journal import Entry

MAX_ERRORS_KEPT = 20


@dataclass
class Summary:
    seconds: float
    operations: dict[tuple[str, str], int]  # (kind, outcome) → count
    requests: dict[tuple[str, int], int]  # (action, status) → count
    writes_acknowledged: int
    p50_ms: float
    p99_ms: float
    server_errors: int  # 5xx answers not retried (a retried 503 during a fence is not counted)
    retried: int
    errors: list[str]

    @property
    def request_count(self) -> int:
        return sum(self.requests.values())

    @property
    def operation_count(self) -> int:
        return sum(self.operations.values())


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    operations: Counter[tuple[str, str]] = field(default_factory=Counter)
    acknowledged: int = 0
    server_errors: int = 0
    retried: int = 0
    errors: list[str] = field(default_factory=list)

    def request(self, entry: Entry) -> None:
        if entry.outcome == "stopped":
            return
        self.requests[(entry.action, entry.status)] += 1
        if entry.status:
            self.latencies.append(entry.latency_ms)
        self.acknowledged += entry.acknowledged
        if entry.outcome == "retryable":
            self.retried += 1
            return
        if entry.status >= 500:
            self.server_errors += 1
        if entry.outcome == "error" and len(self.errors) < MAX_ERRORS_KEPT:
            where = f"{entry.method} {entry.service}{entry.path}"
            self.errors.append(f"{entry.status or 'no answer'} {where}: {entry.detail}")

    def operation(self, kind: str, outcome: str) -> None:
        self.operations[(kind, outcome)] += 1

    def summary(self, seconds: float) -> Summary:
        ordered = sorted(self.latencies)
        return Summary(
            seconds=seconds,
            operations=dict(self.operations),
            requests=dict(self.requests),
            writes_acknowledged=self.acknowledged,
            p50_ms=percentile(ordered, 0.50),
            p99_ms=percentile(ordered, 0.99),
            server_errors=self.server_errors,
            retried=self.retried,
            errors=list(self.errors),
        )


def percentile(ordered: list[float], q: float) -> float:
    """The nearest-rank percentile of sorted values (0 for none)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[min(rank, len(ordered)) - 1], 1)

"""The service's answers in the evidence contract's models (`keranjang.evidence.migration`), and
the operator's list of moves left for them, for the HTTP API and the command line's `--json`
alike (no web framework here)."""

import json
from datetime import datetime

from pydantic import BaseModel, Field

from keranjang.evidence import migration as evidence
from keranjang.migration.journal import EventRow, SnapshotRow
from keranjang.migration.service import LeftMove, MoveView, Status, Verification


def percent(bp: int) -> float:
    return bp / 100


def progress_of(status: Status) -> evidence.MigrationProgress:
    p, w, t = status.progress, status.weights, status.throughput
    categories = evidence.Categories(
        payment=evidence.Category(percent=percent(p.payment_bp), weight=w.payment),
        data=evidence.Category(percent=percent(p.data_bp), weight=w.data),
        merchant_operations=evidence.Category(
            percent=percent(p.operations_bp), weight=w.operations
        ),
    )
    return evidence.MigrationProgress(
        at=status.at, overall_percent=percent(p.overall_bp), categories=categories,
        merchants_total=p.merchants_total, merchants_moved=p.merchants_moved,
        merchants_by_phase={phase.value: n for phase, n in status.phases.items()},
        rows_total=p.rows_total, rows_done=p.rows_done,
        rows_per_second=round(t.rows_per_second, 3),
        merchants_per_hour=round(t.merchants_per_hour, 3), eta=t.eta,
    )  # fmt: skip


def snapshot_of(row: SnapshotRow) -> evidence.ProgressSnapshot:
    return evidence.ProgressSnapshot(
        at=row.at, payment_percent=percent(row.payment_bp), data_percent=percent(row.data_bp),
        merchant_operations_percent=percent(row.operations_bp),
        overall_percent=percent(row.overall_bp), merchants_moved=row.merchants_moved,
        merchants_total=row.merchants_total, rows_per_second=max(0.0, row.rows_per_second),
        eta=row.eta,
    )  # fmt: skip


def move_of(m: MoveView) -> evidence.MerchantMove:
    total, copied, verified, purged = m.rows
    return evidence.MerchantMove(
        seller_id=m.seller_id, rank=m.rank, phase=m.phase.value,
        commerce_merchant_id=m.commerce_merchant_id,
        confirmed_by_seller=m.confirmed_by is not None and not m.forced,
        forced_by_operator=m.forced, failing=m.error is not None, attempts=m.attempts,
        sales_idr=m.sales_idr, rows_total=total, rows_copied=copied, rows_verified=verified,
        rows_purged=purged, pause_ms=m.pause_ms, cutover_at=m.cutover_at,
        verified_at=m.verified_at, purge_after=m.purge_after, purged_at=m.purged_at,
    )  # fmt: skip


def moves_of(moves: list[MoveView], limit: int) -> evidence.MerchantMoves:
    after = moves[-1].rank if len(moves) == limit else None
    return evidence.MerchantMoves(merchants=[move_of(m) for m in moves], next_after_rank=after)


def verifications_of(found: list[Verification]) -> evidence.Verifications:
    results = [evidence.VerificationResult(**vars(v)) for v in found]
    passed = sum(1 for v in found if v.passed)
    return evidence.Verifications(results=results, passed=passed, failed=len(found) - passed)


# Events only an operator causes (the engine's own are phases, verifications, abandoned
# cutovers); a purge is an operator's when one asked for it (`operator:` names them).
OPERATOR_EVENTS = frozenset({"forced", "rolled_back"})
OPERATOR_ACTOR = "operator:"


def events_of(rows: list[EventRow], limit: int) -> evidence.MigrationEvents:
    events = [
        evidence.MigrationEvent(
            id=e.id,
            at=e.at,
            merchant_id=e.seller_id,
            phase=e.phase,
            what=e.what,
            actor=e.actor,
            operator=e.what in OPERATOR_EVENTS or e.actor.startswith(OPERATOR_ACTOR),
            detail=_counted(e.detail),
        )
        for e in rows
    ]
    return evidence.MigrationEvents(
        events=events, next_after=rows[-1].id if len(rows) == limit else None
    )


def _counted(detail: str) -> dict[str, evidence.Scalar]:
    """An event's detail for the regulator: scalars as they are, a list or a mapping (the rows
    a verification found different) by its length, so no row's content leaves the journal."""
    loaded = json.loads(detail or "{}")
    return {
        str(k): len(v) if isinstance(v, (list, dict)) else v
        for k, v in (loaded.items() if isinstance(loaded, dict) else ())
    }


class LeftForOperator(BaseModel):
    """A move a run stopped trying: its cutover abandoned again and again with the merchant
    alone under the fence; `command` tries it again with a budget its pause fits."""

    seller_id: int
    phase: str
    abandons: int = Field(ge=0, description="Cutovers abandoned in a row.")
    predicted_pause_ms: int | None = Field(description="The pause the last one expected.")
    budget_ms: int | None = Field(description="The budget it missed.")
    suggested_budget_ms: int = Field(ge=1)
    since: datetime
    command: str


class LeftForOperatorList(BaseModel):
    moves: list[LeftForOperator] = Field(description="In the plan's order.")


def retry_command(left: LeftMove) -> str:
    """What the operator runs to try the move again (`migrate run`'s own options)."""
    return (
        f"keranjang migrate run --only {left.seller_id} "
        f"--pause-budget-ms {left.suggested_budget_ms}"
    )


def left_of(moves: list[LeftMove]) -> LeftForOperatorList:
    return LeftForOperatorList(
        moves=[
            LeftForOperator(
                seller_id=m.seller_id, phase=m.phase.value, abandons=m.abandons,
                predicted_pause_ms=m.predicted_ms, budget_ms=m.budget_ms,
                suggested_budget_ms=m.suggested_budget_ms, since=m.since,
                command=retry_command(m),
            )
            for m in moves
        ]
    )  # fmt: skip

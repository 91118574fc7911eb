"""The migration service's JSON: the operator's API (`/api/…`, operator token: plan, status,
merchants, the moves left for the operator, force a move with a reason, roll back, purge) and the regulator's read-only evidence
(`/evidence/migration/…`, regulator or operator token). Entry points only translate HTTP to the
service's use cases and its answers to the evidence contract's models."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from keranjang.evidence import migration as evidence
from keranjang.evidence.tokens import is_regulator
from keranjang.infra.auth import bearer, is_operator
from keranjang.infra.http_errors import PathId
from keranjang.migration import errors
from keranjang.migration.phases import Phase
from keranjang.migration.reports import (
    LeftForOperatorList,
    events_of,
    left_of,
    move_of,
    moves_of,
    progress_of,
    snapshot_of,
    verifications_of,
)
from keranjang.migration.service import MAX_PAGE, MigrationService

Token = Annotated[str | None, Depends(bearer)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
AfterId = Annotated[int, Query(ge=0, le=2**63 - 1, description="The last event id seen.")]
AfterRank = Annotated[int, Query(ge=0, le=2**31 - 1, description="The last rank seen.")]
UNAUTHENTICATED = {"WWW-Authenticate": 'Bearer realm="migration"'}
# The error tree's HTTP statuses (errors.py draws the tree); anything else it refuses is 422.
STATUS: dict[type[errors.MigrationError], int] = {
    errors.NotFound: 404,
    errors.IllegalPhase: 409,
    errors.NotConfirmed: 409,
    errors.OverBudget: 409,
    errors.Mismatch: 409,
    errors.WindowClosed: 409,
    errors.Unsettled: 409,
    errors.Claimed: 409,
}


def status_of(exc: errors.MigrationError) -> int:
    return next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 422)


def service(request: Request) -> MigrationService:
    svc: MigrationService = request.app.state.service
    return svc


Service = Annotated[MigrationService, Depends(service)]


def operator(request: Request, token: Token) -> str:
    """The operator's token, or 401 (none or wrong) / 403 (the regulator's: it reads only)."""
    settings = request.app.state.settings
    if is_operator(token, settings.admin_token):
        return "operator:api"
    if is_regulator(token, request.app.state.regulator_token()):
        raise HTTPException(403, "the regulator's token reads evidence only")
    raise HTTPException(401, "an operator token is needed", headers=UNAUTHENTICATED)


def reader(request: Request, token: Token) -> str:
    """The regulator's token, or an operator's; anyone else 401."""
    if is_regulator(token, request.app.state.regulator_token()):
        return "regulator"
    return operator(request, token)


Operator = Annotated[str, Depends(operator)]
Reader = Annotated[str, Depends(reader)]
api = APIRouter(prefix="/api", tags=["operator"])
regulator = APIRouter(prefix="/evidence/migration", tags=["evidence"])


# -- the regulator's evidence ----------------------------------------------------------------


@regulator.get("/progress", response_model=evidence.MigrationProgress)
def progress(svc: Service, _who: Reader) -> evidence.MigrationProgress:
    """Progress per category and overall, throughput and the ETA, now."""
    return progress_of(svc.status())


@regulator.get("/history", response_model=evidence.MigrationHistory)
def history(
    svc: Service, _who: Reader, since: datetime | None = None, limit: Limit = MAX_PAGE
) -> evidence.MigrationHistory:
    """Progress snapshots, oldest first (the newest `limit` since `since`)."""
    return evidence.MigrationHistory(snapshots=[snapshot_of(r) for r in svc.history(since, limit)])


@regulator.get("/merchants", response_model=evidence.MerchantMoves)
def merchants(
    svc: Service,
    _who: Reader,
    phase: Phase | None = None,
    after_rank: AfterRank = 0,
    limit: Limit = MAX_PAGE,
) -> evidence.MerchantMoves:
    """Each merchant's move in the plan's order, a page at a time."""
    return moves_of(svc.merchants(phase, after_rank, limit), limit)


@regulator.get("/events", response_model=evidence.MigrationEvents)
def events(
    svc: Service, _who: Reader, after: AfterId = 0, limit: Limit = MAX_PAGE
) -> evidence.MigrationEvents:
    """Every merchant's journal events after `after`, oldest first: phases, verifications,
    abandoned cutovers and operators' actions, in counts and reasons."""
    return events_of(svc.events_after(after, limit), limit)


@regulator.get("/verifications", response_model=evidence.Verifications)
def verifications(
    svc: Service,
    _who: Reader,
    seller_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Limit = MAX_PAGE,
) -> evidence.Verifications:
    """Verification results, newest first, in counts."""
    return verifications_of(svc.verifications(seller_id, limit))


# -- the operator's API ----------------------------------------------------------------------


class PlanOut(BaseModel):
    added: int
    refreshed: int
    total: int
    dry_run: bool
    first: list[int] = Field(description="The first sellers added, in the plan's order.")


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Kept in the journal.")


@api.get("/status", response_model=evidence.MigrationProgress)
def status(svc: Service, _who: Operator) -> evidence.MigrationProgress:
    return progress_of(svc.status())


@api.post("/plan", response_model=PlanOut)
def plan(svc: Service, _who: Operator, dry_run: bool = False) -> PlanOut:
    """Plan every legacy seller not planned yet (largest sales first)."""
    report = svc.plan(dry_run)
    first = [m.seller_id for m in report.added[:20]]
    return PlanOut(added=len(report.added), refreshed=report.refreshed, total=report.total,
                   dry_run=report.dry_run, first=first)  # fmt: skip


@api.get("/left-for-operator", response_model=LeftForOperatorList)
def left_for_operator(svc: Service, _who: Operator, limit: Limit = MAX_PAGE) -> LeftForOperatorList:
    """Moves a run stopped trying (their cutover abandoned again and again, the merchant alone
    under the fence), with the pause each expected and the command that tries it again."""
    return left_of(svc.left_for_operator(limit))


@api.get("/merchants/{seller_id}", response_model=evidence.MerchantMove)
def merchant(seller_id: PathId, svc: Service, _who: Operator) -> evidence.MerchantMove:
    return move_of(svc.merchant(seller_id))


@api.post("/merchants/{seller_id}/force", response_model=evidence.MerchantMove)
def force(seller_id: PathId, body: ReasonIn, svc: Service, who: Operator) -> evidence.MerchantMove:
    """Move a seller who has not confirmed: an operator's decision, with its reason."""
    return move_of(svc.force(seller_id, who, body.reason))


@api.post("/merchants/{seller_id}/rollback", response_model=evidence.MerchantMove)
def rollback(
    seller_id: PathId, body: ReasonIn, svc: Service, who: Operator
) -> evidence.MerchantMove:
    """Send a moved merchant back to the app, within its rollback window."""
    return move_of(svc.rollback(seller_id, who, body.reason))


@api.post("/merchants/{seller_id}/purge", response_model=evidence.MerchantMove)
def purge(seller_id: PathId, svc: Service, who: Operator) -> evidence.MerchantMove:
    """Delete a verified merchant's shop data from social, once its window has closed."""
    return move_of(svc.purge(seller_id, who))

"""The dashboard's JSON API: evaluate on demand (operator), results now, each rule's history,
the rules, the migration's progress against the deadline, the latest checkpoint."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from keranjang.infra.http_errors import MAX_ID
from keranjang.oversight.service import Monitor
from keranjang.oversight.web.auth import Operator, Reader
from keranjang.oversight.web.errors import ApiRoute
from keranjang.oversight.web.models import (
    CheckpointOut,
    EvaluationOut,
    ProgressOut,
    ResultOut,
    ResultsOut,
    RuleOut,
    RulesOut,
)

router = APIRouter(prefix="/api", tags=["oversight"], route_class=ApiRoute)
RuleId = Annotated[str, Path(max_length=80, pattern=r"^[a-z0-9.\-_]+$")]


def monitor(request: Request) -> Monitor:
    found: Monitor = request.app.state.service
    return found


Service = Annotated[Monitor, Depends(monitor)]


@router.post("/evaluations", response_model=EvaluationOut, status_code=201)
def evaluate(svc: Service, _who: Operator) -> EvaluationOut:
    """Read the evidence now, evaluate every rule, append the results to the log."""
    view = svc.evaluate("on_demand")  # reads evidence over HTTP: a worker thread, not the loop
    return EvaluationOut.of(view)


@router.get("/results", response_model=ResultsOut)
def results(svc: Service, _who: Reader) -> ResultsOut:
    """Every rule's newest result (the newest evaluation)."""
    return ResultsOut(regime=svc.regime.id, results=[ResultOut.of(r) for r in svc.results_now()])


@router.get("/rules", response_model=RulesOut)
def rules(svc: Service, _who: Reader) -> RulesOut:
    return RulesOut(
        regime=svc.regime.id,
        name=svc.regime.name,
        deadline=svc.deadline,
        rules=[RuleOut.of(r) for r in svc.rules()],
    )


@router.get("/rules/{rule_id}/history", response_model=list[ResultOut])
def history(
    rule_id: RuleId,
    svc: Service,
    _who: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[ResultOut]:
    """A rule's results, newest first; pass the last id as `before` for the next page."""
    return [ResultOut.of(r) for r in svc.history(rule_id, limit, before)]


@router.get("/progress", response_model=ProgressOut)
def progress(svc: Service, _who: Reader) -> ProgressOut:
    """The migration's progress per category as observed, the deadline, the ETA and outlook."""
    return ProgressOut.of(svc.progress(svc.setup.clock.now()))


@router.get("/checkpoint", response_model=CheckpointOut)
def checkpoint(svc: Service, _who: Reader) -> CheckpointOut:
    return CheckpointOut.of(svc.checkpoint())

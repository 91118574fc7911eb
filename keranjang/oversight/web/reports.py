"""Reports a ministry can file: the newest results with progress and the signed checkpoint, as
JSON and as CSV (the PDF is rendered from the same use cases)."""

import csv
import io

from fastapi import APIRouter
from fastapi.responses import Response

from keranjang.oversight.views import ResultView
from keranjang.oversight.web.api import Service
from keranjang.oversight.web.auth import Reader
from keranjang.oversight.web.errors import ApiRoute
from keranjang.oversight.web.models import CheckpointOut, ProgressOut, ReportOut, ResultOut

router = APIRouter(prefix="/reports", tags=["reports"], route_class=ApiRoute)
COLUMNS = (
    "rule_id", "rule_version", "regime", "legal_basis", "subject", "status", "severity",
    "assessment", "sanction", "summary", "since", "observed_at", "evidence_sha256", "log_index",
)  # fmt: skip


@router.get("/latest.json", response_model=ReportOut)
def latest_json(svc: Service, _who: Reader) -> ReportOut:
    now = svc.setup.clock.now()
    return ReportOut(
        regime=svc.regime.id,
        name=svc.regime.name,
        generated_at=now,
        results=[ResultOut.of(r) for r in svc.results_now()],
        progress=ProgressOut.of(svc.progress(now)),
        checkpoint=CheckpointOut.of(svc.checkpoint()),
    )


def csv_text(results: list[ResultView]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in results:
        writer.writerow([_cell(getattr(r, c)) for c in COLUMNS])
    return out.getvalue()


def _cell(value: object) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else "" if value is None else str(value)
    # A cell a spreadsheet would run as a formula is quoted as text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@router.get("/latest.csv", response_class=Response)
def latest_csv(svc: Service, _who: Reader) -> Response:
    headers = {"Content-Disposition": 'attachment; filename="oversight-latest.csv"'}
    return Response(csv_text(svc.results_now()), media_type="text/csv", headers=headers)

"""The regulator's dashboard (Indonesian first, `?lang=en` or Accept-Language for English): the
migration's progress as a chart and a bar per category, the deadline and the ETA, the rule
table, each rule's history, each result's full evidence as JSON, the latest checkpoint with how
to verify it offline, the PDF report, and signing in and out."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from keranjang.infra.throttle import login_attempt
from keranjang.oversight.web.api import Service
from keranjang.oversight.web.models import ResultOut
from keranjang.oversight.web.pages import pdf, reading
from keranjang.oversight.web.pages.rendering import PageRoute, render, words_of
from keranjang.oversight.web.pages.session import (
    COOKIE,
    SESSION_SECONDS,
    Checked,
    Form,
    Reader,
    role_of,
    safe_next,
    session_cookie,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
reports = APIRouter(route_class=PageRoute, tags=["reports"])
RuleId = Annotated[str, Path(max_length=80)]
REFRESH_SECONDS = 30


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, svc: Service, _who: Reader) -> HTMLResponse:
    view = reading.overview(svc)
    return render(request, "dashboard.html", view=view, refresh=REFRESH_SECONDS,
                  public_url=svc_url(request))  # fmt: skip


@router.get("/aturan/{rule_id}", response_class=HTMLResponse)
def rule_page(request: Request, rule_id: RuleId, svc: Service, _who: Reader) -> HTMLResponse:
    return render(request, "rule.html", history=reading.rule_history(svc, rule_id))


@router.get("/aturan/{rule_id}/hasil/{result_id:int}.json", response_class=JSONResponse)
def evidence_json(rule_id: RuleId, result_id: int, svc: Service, _who: Reader) -> JSONResponse:
    """One result with its full evidence, as the JSON API gives it."""
    found = reading.one_result(svc, rule_id, result_id)
    return JSONResponse(ResultOut.of(found).model_dump(mode="json"))


@reports.get(
    "/reports/latest.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The report as PDF."}},
)
def latest_pdf(request: Request, svc: Service, _who: Reader) -> Response:
    """The report a ministry can file: progress against the deadline, every rule with its status,
    legal basis and evidence, and the checkpoint that lets the report be checked against the log
    (Indonesian; `?lang=en` for English)."""
    document = pdf.render_pdf(reading.overview(svc), words_of(request))
    name = f"laporan-pengawasan-{svc.regime.id}.pdf"
    headers = {"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"}
    return Response(document, media_type="application/pdf", headers=headers)


@router.get("/masuk", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "signin.html", next=safe_next(next))


@router.post("/masuk", dependencies=[Checked])
def sign_in(request: Request, fields: Form) -> Response:
    token = fields.get("token", "").strip()
    attempt = login_attempt(request, token)
    role = role_of(request, token)
    target = safe_next(fields.get("next"))
    if role is None:
        attempt.failed()
        words = words_of(request)
        error = words._("Token tidak dikenal: tempel token regulator atau token operator.")
        return render(request, "signin.html", 401, next=target, error=error)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, session_cookie(request, role, token), max_age=SESSION_SECONDS,
                        httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/keluar", dependencies=[Checked])
def sign_out() -> Response:
    response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def svc_url(request: Request) -> str:
    """The monitor's public URL, as `keranjang audit` is told it."""
    configured: str = request.app.state.settings.public_url
    return configured.rstrip("/")

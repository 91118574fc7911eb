"""The oversight service (:8004): the regulator's monitor, its JSON API, reports and the audit
log, with every rule evaluated periodically (by one process at a time)."""

from fastapi import FastAPI

from keranjang.evidence.access import RegulatorReadsOnly
from keranjang.evidence.tokens import regulator_token
from keranjang.infra.clock import Clock
from keranjang.infra.runtime import PeriodicJob
from keranjang.infra.webapp import ServiceShell, service_app
from keranjang.oversight.bootstrap import build
from keranjang.oversight.config import OversightSettings
from keranjang.oversight.evidence import EvidenceSource
from keranjang.oversight.web import api, log, pages, reports


def create_app(
    settings: OversightSettings | None = None,
    *,
    source: EvidenceSource | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
) -> FastAPI:
    settings = settings or OversightSettings()
    monitor = build(settings, source=source, clock=clock, migrate=migrate)
    engine = monitor.factory.kw["bind"]
    job = PeriodicJob("evaluate", settings.evaluate_every_seconds, lambda: _periodic(monitor))
    shell = ServiceShell(
        name="oversight",
        title="Keranjang oversight",
        description="The regulator's monitor: every checkable rule evaluated on live evidence, "
        "results appended to a Merkle-tree audit log with signed checkpoints (C2SP "
        "tlog-checkpoint, tlog-tiles) that anyone can verify offline.",
        engine=engine,
        settings=settings,
        service=monitor,
        jobs=(job,),
        own_docs=True,  # in the dashboard's frame and languages (`web.pages.assets`)
    )
    app = service_app(shell, api.router, log.router, reports.router)
    pages.mount(app)  # the dashboard, the PDF report, favicon, offline /docs
    app.add_middleware(
        RegulatorReadsOnly, token=lambda: regulator_token("oversight", settings.data_dir)
    )
    return app


def _periodic(monitor: object) -> str:
    from keranjang.oversight.service import Monitor

    assert isinstance(monitor, Monitor)
    view = monitor.evaluate("periodic")
    return f"{len(view.results)} results, {len(view.failing)} failing, log {view.checkpoint.size}"

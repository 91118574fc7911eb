"""The regulator's dashboard and the PDF report (Indonesian first, English second)."""

from fastapi import FastAPI

from keranjang.oversight.web.pages import assets, routes


def mount(app: FastAPI) -> None:
    """The pages, the PDF report, the favicon and the offline `/docs` on the monitor's app."""
    assets.without_cdn_docs(app)
    app.include_router(assets.router)
    app.include_router(routes.reports)
    app.include_router(routes.router)

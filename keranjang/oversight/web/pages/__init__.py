"""The regulator's dashboard and the PDF report (Indonesian first, English second)."""

from fastapi import FastAPI

from keranjang.infra.error_pages import use_error_page
from keranjang.oversight.web.pages import assets, routes
from keranjang.oversight.web.pages.rendering import error_page


def mount(app: FastAPI) -> None:
    """The pages, the PDF report, the favicon and the offline `/docs` on the monitor's app."""
    assets.without_cdn_docs(app)
    use_error_page(
        app, lambda request, status, _heading, message: error_page(request, status, message)
    )
    app.include_router(assets.router)
    app.include_router(routes.reports)
    app.include_router(routes.router)

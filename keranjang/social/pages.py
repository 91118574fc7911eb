"""Social's HTML pages: the feed and the watch pages, each pin with its yellow cart."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from keranjang.infra.http_errors import PathId
from keranjang.social import domain
from keranjang.social.api import Service

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False  # templates ship with the package; never re-stat them
router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    context.setdefault("commerce_url", request.app.state.settings.commerce_url)
    context.setdefault("active", None)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def feed(request: Request, svc: Service, kind: domain.ContentKind | None = None) -> HTMLResponse:
    heading = "Live now" if kind is domain.ContentKind.LIVE else "For You"
    active = "live" if kind is domain.ContentKind.LIVE else "feed"
    return render(request, "feed.html", items=svc.feed(60, kind), heading=heading, active=active)


@router.get("/live/{content_id}", response_class=HTMLResponse)
def live(request: Request, content_id: PathId, svc: Service) -> HTMLResponse:
    content = svc.content(content_id)
    if content.kind is not domain.ContentKind.LIVE:
        raise domain.NotFound(f"content {content_id} is a video, not a live session")
    return render(request, "watch.html", c=content, active="live")


@router.get("/videos/{content_id}", response_class=HTMLResponse)
def video(request: Request, content_id: PathId, svc: Service) -> HTMLResponse:
    return render(request, "watch.html", c=svc.content(content_id), active="feed")


def error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status, heading=heading, message=message)

"""Social's HTML pages: the feed and the watch pages, each pin with its yellow cart."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from keranjang.infra.http_errors import PathId
from keranjang.social import domain
from keranjang.social.api import Service
from keranjang.social.i18n import N_, page_words, remember, reworded, rupiah, words_of
from keranjang.social.viewers.api import viewer_or_none
from keranjang.social.viewers.personalisation import Personalisation

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.auto_reload = False  # templates ship with the package; never re-stat them
templates.env.globals["rupiah"] = rupiah
router = APIRouter(include_in_schema=False)
FOR_YOU, LIVE_NOW = N_("Untuk Anda"), N_("Live sekarang")


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """A page in the reader's language (`?lang=`, the remembered switch, or the browser's)."""
    words = words_of(request)
    context.setdefault("commerce_url", request.app.state.settings.commerce_url)
    context.setdefault("active", None)
    context |= page_words(request, words)
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    remember(request, response, words)
    return response


def personalisation(request: Request) -> Personalisation:
    found: Personalisation = request.app.state.personalisation
    return found


@router.get("/", response_class=HTMLResponse)
def feed(request: Request, svc: Service, kind: domain.ContentKind | None = None) -> HTMLResponse:
    """The feed: ordered by what the signed-in viewer watched while personalisation is on,
    newest first otherwise."""
    heading = LIVE_NOW if kind is domain.ContentKind.LIVE else FOR_YOU
    active = "live" if kind is domain.ContentKind.LIVE else "feed"
    viewer = viewer_or_none(request)
    viewer_id = None if viewer is None else viewer.id
    items = personalisation(request).feed(viewer_id, svc.feed(60, kind))
    return render(request, "feed.html", items=items, heading=heading, active=active)


@router.get("/live/{content_id}", response_class=HTMLResponse)
def live(request: Request, content_id: PathId, svc: Service) -> HTMLResponse:
    content = svc.content(content_id)
    if content.kind is not domain.ContentKind.LIVE:
        raise domain.NotFound(
            f"content {content_id} is a video, not a live session", "not_a_live", id=content_id
        )
    _watched(request, content)
    return render(request, "watch.html", c=content, active="live")


@router.get("/videos/{content_id}", response_class=HTMLResponse)
def video(request: Request, content_id: PathId, svc: Service) -> HTMLResponse:
    content = svc.content(content_id)
    _watched(request, content)
    return render(request, "watch.html", c=content, active="feed")


def _watched(request: Request, content: domain.Content) -> None:
    viewer = viewer_or_none(request)
    if viewer is not None:
        personalisation(request).watched(viewer.id, content.creator.id)


def error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    """`heading` and `message` in Indonesian (catalog texts are worded in the reader's locale)."""
    words = words_of(request)
    heading, message = reworded(words, heading), reworded(words, message)
    return render(request, "error.html", status_code=status, heading=heading, message=message)

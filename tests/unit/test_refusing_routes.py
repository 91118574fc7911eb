"""The one route class every part answers its refusals with (`infra.refusals`): a refusal gets
the status of the part's own table in the router's own shape, a library exception is translated
first (never a 500), a 503 says when to retry, and a route class that wraps it (a sign-in
redirect) still sees its own exceptions. Oversight's dashboard and API, built on it, answer a
database that stays away in the reader's language (pages) or as JSON (API)."""

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from keranjang.infra.refusals import Refusals, RefusingRoute
from keranjang.oversight.errors import NotFound, Unauthenticated
from keranjang.oversight.web.errors import ApiRoute
from keranjang.oversight.web.pages.rendering import PageRoute
from keranjang.oversight.web.pages.session import SignInNeeded


class ShopError(Exception):
    """A toy part's error tree."""


class Missing(ShopError):
    pass


class Away(ShopError):
    pass


class LostRace(Exception):
    """A toy library's exception."""


STATUS = {Missing: 404, Away: 503, ShopError: 400}


def status_of(exc: ShopError) -> int:
    return next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)


def as_json(_request: Request, exc: ShopError, status: int) -> Response:
    return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=status)


REFUSALS = Refusals(ShopError, status_of, as_json, lambda _r, _e: Away("try again"), (LostRace,))


class JsonRoute(RefusingRoute):
    refusals = REFUSALS


class TextRoute(RefusingRoute):
    refusals = REFUSALS.rendered_by(
        lambda _request, exc, status: PlainTextResponse(f"page: {exc}", status_code=status)
    )


def client_of(route_class: type[RefusingRoute]) -> TestClient:
    router = APIRouter(route_class=route_class)

    @router.get("/missing")
    def missing() -> None:
        raise Missing("no such thing")

    @router.get("/plain")
    def plain() -> None:
        raise ShopError("refused")

    @router.get("/race")
    def race() -> None:
        raise LostRace

    @router.get("/fine")
    def fine() -> dict[str, bool]:
        return {"ok": True}

    app = FastAPI()
    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


def test_a_refusal_gets_the_status_of_the_parts_table_in_the_routers_shape() -> None:
    api, pages = client_of(JsonRoute), client_of(TextRoute)
    r = api.get("/missing")
    assert (r.status_code, r.json()) == (404, {"error": "Missing", "detail": "no such thing"})
    assert api.get("/plain").status_code == 400  # the root's status, from the same table
    page = pages.get("/missing")
    assert (page.status_code, page.text) == (404, "page: no such thing")
    assert api.get("/fine").json() == {"ok": True}
    assert "retry-after" not in r.headers


def test_a_library_exception_is_translated_and_its_503_says_when_to_retry() -> None:
    for client in (client_of(JsonRoute), client_of(TextRoute)):
        r = client.get("/race")
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert "try again" in r.text


def dead_database() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("connection refused"))


def oversight_client() -> TestClient:
    pages = APIRouter(route_class=PageRoute)
    api = APIRouter(prefix="/api", route_class=ApiRoute)

    @pages.get("/dasbor")
    def dashboard(who: str = "") -> None:
        if who == "nobody":
            raise SignInNeeded
        if who == "ghost":
            raise NotFound("aturan ini tidak ada")
        raise dead_database()

    @api.get("/rules")
    def rules(who: str = "") -> None:
        if who == "nobody":
            raise Unauthenticated("a regulator token is needed")
        raise dead_database()

    app = FastAPI()
    app.include_router(pages)
    app.include_router(api)
    return TestClient(app, raise_server_exceptions=False)


def test_oversight_pages_answer_a_database_away_in_the_readers_language() -> None:
    client = oversight_client()
    away = client.get("/dasbor")
    assert away.status_code == 503 and away.headers["retry-after"] == "5"
    assert "Basis data pemantau tidak dapat dihubungi" in away.text
    english = client.get("/dasbor?lang=en")
    assert english.status_code == 503 and "Basis data pemantau" not in english.text
    missing = client.get("/dasbor?who=ghost")
    assert missing.status_code == 404 and "aturan ini tidak ada" in missing.text
    signing_in = client.get("/dasbor?who=nobody", follow_redirects=False)
    assert signing_in.status_code == 303
    assert signing_in.headers["location"] == "/masuk?next=%2Fdasbor%3Fwho%3Dnobody"


def test_oversight_api_answers_json_with_its_tables_status() -> None:
    client = oversight_client()
    away = client.get("/api/rules")
    assert away.status_code == 503 and away.headers["retry-after"] == "5"
    assert away.json()["error"] == "Unavailable"
    refused = client.get("/api/rules?who=nobody")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"

"""Commerce's errors as HTTP: the one table of status codes, what library exceptions become, and
the route classes (`infra.refusals.RefusingRoute`) that answer every refusal in the router's own
shape (JSON for the API, a page for the shop and the buyer, the seller center's frame for the
seller).

A JSON refusal is `{"error", "detail", "code", "params", "message"}`: the class, the English
developer message, the stable code and its parameters, and the message in the request's locale
(`web.wording`).

A library exception never reaches a client as a 500: a unique key lost to a concurrent request
is a 409 (`Taken`), a database or partner that stays away a 503 with `Retry-After`."""

import json
from collections.abc import Callable

import httpx
import structlog
from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from keranjang.commerce.errors import (
    CommerceError,
    Conflict,
    Gone,
    HandoffRefused,
    Invalid,
    NotFound,
    NotPermitted,
    PaymentUnavailable,
    RefundRefused,
    Taken,
    Unauthenticated,
    Unavailable,
)
from keranjang.commerce.web.i18n import words_of
from keranjang.commerce.web.wording import say
from keranjang.infra.http_errors import error_json
from keranjang.infra.refusals import RETRY_AFTER_SECONDS, Refusals, RefusingRoute

log = structlog.get_logger(__name__)
# The one table: the first class of an error's MRO found here gives its status.
STATUS: dict[type[CommerceError], int] = {
    NotFound: 404,
    Invalid: 422,
    Conflict: 409,
    NotPermitted: 403,
    Unauthenticated: 401,
    Gone: 410,
    HandoffRefused: 400,
    PaymentUnavailable: 503,
    RefundRefused: 502,
    Unavailable: 503,
    CommerceError: 400,
}
# A refused hand-off's status by its reason: not signed by social 401, gone 410.
HANDOFF_STATUS = {
    "expired": 410,
    "replayed": 410,
    "unknown_key": 401,
    "bad_signature": 401,
    "unknown_product": 404,
}


def status_of(exc: CommerceError) -> int:
    if isinstance(exc, HandoffRefused):
        return HANDOFF_STATUS.get(exc.reason, 400)
    return next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)


def from_library(exc: Exception) -> CommerceError:
    """What a database or HTTP library exception means to the person who sent the request."""
    if isinstance(exc, IntegrityError):
        return Taken(
            "another request changed the same thing at the same moment and won; "
            "reload and try again (if you were creating it, it exists now)"
        )
    if isinstance(exc, httpx.HTTPError):
        return PaymentUnavailable(
            "a partner service did not answer; try again in a moment", code="partner_down"
        )
    log.warning("database_unavailable", error=type(exc).__name__)
    return Unavailable("the shop's database is not reachable right now; try again in a moment")


def api_error(request: Request, exc: CommerceError) -> Response:
    """The JSON refusal, its message in the request's locale."""
    status = status_of(exc)
    extra = {"reason": exc.reason} if isinstance(exc, HandoffRefused) else {}
    shaped = error_json(type(exc).__name__, str(exc), status, **extra)
    body = json.loads(bytes(shaped.body)) | {
        "code": exc.code,
        "params": jsonable_encoder(exc.params),
        "message": say(exc, words_of(request)),
    }
    response = JSONResponse(body, status_code=status)
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


LIBRARY_ERRORS = (SQLAlchemyError, DBAPIError, PoolTimeout, httpx.HTTPError)
Render = Callable[[Request, CommerceError, int], Response]
API_REFUSALS = Refusals(
    CommerceError,
    status_of,
    lambda request, exc, _status: api_error(request, exc),
    lambda _request, exc: from_library(exc),
    LIBRARY_ERRORS,
    RETRY_AFTER_SECONDS,
)


class ApiRoute(RefusingRoute):
    """JSON routes: `{"error", "detail"}` (and a hand-off's `reason`)."""

    refusals = API_REFUSALS


def wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def page_route(page: Render) -> type[RefusingRoute]:
    """Routes of pages: a browser gets `page`, any other client the API's JSON."""

    def refuse(request: Request, exc: CommerceError, status: int) -> Response:
        return page(request, exc, status) if wants_page(request) else api_error(request, exc)

    class PageRoute(RefusingRoute):
        refusals = API_REFUSALS.rendered_by(refuse)

    return PageRoute

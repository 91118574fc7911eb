"""Oversight's errors as HTTP, in one table; library exceptions never reach a client as a 500
(a database that stays away is a 503 with Retry-After). The routes answering them are
`infra.refusals.RefusingRoute`s: JSON here, the dashboard's error page in `pages.rendering`."""

import structlog
from fastapi import Request, Response
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from keranjang.infra.http_errors import error_json
from keranjang.infra.refusals import RETRY_AFTER_SECONDS, Refusals, RefusingRoute
from keranjang.oversight.errors import (
    EvidenceUnavailable,
    InvalidRequest,
    NotFound,
    NotPermitted,
    OversightError,
    RegimeInvalid,
    Unauthenticated,
    Unavailable,
)

log = structlog.get_logger(__name__)
STATUS: dict[type[OversightError], int] = {
    NotFound: 404,
    InvalidRequest: 422,
    NotPermitted: 403,
    Unauthenticated: 401,
    Unavailable: 503,
    RegimeInvalid: 500,
    EvidenceUnavailable: 502,
    OversightError: 400,
}
LIBRARY_ERRORS = (SQLAlchemyError, DBAPIError, PoolTimeout)


def status_of(exc: OversightError) -> int:
    return next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)


def refusal(exc: OversightError) -> Response:
    status = status_of(exc)
    response = error_json(type(exc).__name__, str(exc), status)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def from_library(_request: Request, exc: Exception) -> OversightError:
    log.warning("database_unavailable", error=type(exc).__name__)
    return Unavailable("the monitor's database is not reachable; try again")


API_REFUSALS = Refusals(
    OversightError,
    status_of,
    lambda _request, exc, _status: refusal(exc),
    from_library,
    LIBRARY_ERRORS,
    RETRY_AFTER_SECONDS,
)


class ApiRoute(RefusingRoute):
    """Every oversight route: its refusals as `{"error", "detail"}` with the table's status."""

    refusals = API_REFUSALS

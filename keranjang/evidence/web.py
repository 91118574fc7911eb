"""The evidence endpoints' FastAPI pieces the services share (`serving` holds what needs no web
framework): the window a request asks about, and the regulator's token as a dependency."""

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from keranjang.evidence import serving
from keranjang.infra.auth import bearer

Window = Annotated[
    int,
    Query(
        ge=serving.MIN_WINDOW_SECONDS,
        le=serving.MAX_WINDOW_SECONDS,
        description="How far back the window goes from now, in seconds.",
    ),
]


def regulator(request: Request, token: Annotated[str | None, Depends(bearer)]) -> None:
    """The regulator's token (the app's `state.regulator_token()`), or 401 (none) / 403 (any
    other token). Commerce answers with its own error tree instead (`web/api/evidence.py`)."""
    admission = serving.admit(token, request.app.state.regulator_token())
    if admission is serving.Admission.NO_TOKEN:
        raise HTTPException(
            401, "the regulator's token is needed", {"WWW-Authenticate": 'Bearer realm="evidence"'}
        )
    if admission is serving.Admission.NOT_REGULATOR:
        raise HTTPException(403, "evidence is for the regulator's token only")

"""One JSON shape for every refused API request, whichever service refuses it."""

from typing import Annotated

from fastapi import Path
from fastapi.responses import JSONResponse


def error_json(kind: str, message: str, status: int, **extra: str) -> JSONResponse:
    """`{"error", "detail"}`; a 422 uses FastAPI's documented validation shape for `detail`,
    so clients read one format for every 422, whether the schema or a business rule refused."""
    if status == 422:
        detail: object = [{"loc": ["body"], "msg": message, "type": "value_error"}]
    else:
        detail = message
    return JSONResponse({"error": kind, "detail": detail, **extra}, status_code=status)


# Ids in paths: anything outside a 64-bit row id is refused with a 422 before touching a database.
MAX_ID = 2**63 - 1
PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="A positive 64-bit id.")]

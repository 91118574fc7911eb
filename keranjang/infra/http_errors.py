"""One JSON shape for every refused API request, whichever service refuses it."""

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response


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


# What a 422 shows of the input it refused: a short preview, never the whole of a large input.
INPUT_PREVIEW_CHARS = 100
INPUT_KEPT_CHARS = 400


def short_input(value: Any) -> tuple[bool, Any]:
    """Whether to keep an error's `input`, and as what: small inputs whole, a long string as its
    first characters followed by an ellipsis, anything else large not at all."""
    encoded = jsonable_encoder(value)
    if len(json.dumps(encoded, default=str)) <= INPUT_KEPT_CHARS:
        return True, encoded
    if isinstance(value, str | bytes):
        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
        return True, text[:INPUT_PREVIEW_CHARS] + "…"
    return False, None


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    shown = []
    for error in errors:
        entry = {k: v for k, v in dict(error).items() if k not in ("input", "ctx")}
        if "input" in error:
            keep, preview = short_input(error["input"])
            if keep:
                entry["input"] = preview
        if "ctx" in error:
            keep, context = short_input(error["ctx"])
            if keep:
                entry["ctx"] = context
        shown.append(jsonable_encoder(entry))
    return shown


async def refused_input(request: Request, exc: Exception) -> Response:
    """FastAPI's documented 422 (`{"detail": [{"type", "loc", "msg", "input", …}]}`), with each
    `input` cut to a preview: a 5 MB string is not sent back to whoever sent it."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_errors(exc.errors())}, status_code=422)

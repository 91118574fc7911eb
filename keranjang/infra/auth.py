"""Bearer tokens from the Authorization header, for every service's API."""

import secrets
from typing import Annotated

from fastapi import Header


async def bearer(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None. Async: no threadpool hop."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


def is_operator(token: str | None, expected: str | None) -> bool:
    """Constant-time check of an operator token; no configured token means nobody is one."""
    return bool(token and expected and secrets.compare_digest(token, expected))

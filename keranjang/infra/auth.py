"""Bearer tokens from the Authorization header, for every service's API."""

import hashlib
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


def token_digest(token: str) -> str:
    """What is stored of a bearer token: its SHA-256. The tokens are 256-bit random values, so a
    fast digest is enough (a password hasher is for low-entropy secrets)."""
    return hashlib.sha256(token.encode()).hexdigest()

"""Bearer tokens from the Authorization header, for every service's API."""

from typing import Annotated

from fastapi import Header

from keranjang.infra.credentials import is_operator, token_digest

__all__ = ["bearer", "is_operator", "token_digest"]


async def bearer(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None. Async: no threadpool hop."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None

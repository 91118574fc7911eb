"""A regulator token can write nothing, anywhere: every request that presents it with a method
other than GET or HEAD is refused with 403 before it reaches any route, whatever the route.

Pure ASGI middleware, like the metrics middleware every service has, so that this package needs
no web framework and the check runs ahead of routing, authentication and body parsing."""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from keranjang.evidence.tokens import bearer_of, is_regulator

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

READS = frozenset({"GET", "HEAD"})
REFUSAL = "a regulator token reads evidence only: it can change nothing"


class RegulatorReadsOnly:
    """`token` answers the service's regulator token now (it may be configured after start)."""

    def __init__(self, app: ASGIApp, token: Callable[[], str | None]) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS:
            await self.app(scope, receive, send)
            return
        if not is_regulator(_authorization(scope), self.token()):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "RegulatorReadsOnly", "detail": REFUSAL}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return bearer_of(value.decode("latin-1"))
    return None

"""One route class for every part's refusals: a route whose handler catches the part's error tree
(and the library exceptions the part translates into it) and answers with the status of the
part's one table, in the shape its renderer gives (JSON for an API, an error page for a
browser). A status of 503 always carries `Retry-After`.

Each part keeps its own error tree, its own status table and its own renderers (its
`web/errors.py`); it only says which they are, once, in a `Refusals`, and its route classes are
`RefusingRoute` subclasses that name it. A subclass that needs more (a sign-in redirect, headers
on every page) wraps `get_route_handler` as usual: the refusals are answered inside it."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Generic, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

E = TypeVar("E", bound=Exception)
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class Refusals(Generic[E]):
    """How a part answers a refusal: the root of its error tree, its status table (an error ->
    its status), how a refusal is rendered, and what a library exception (one of `library`:
    a database or a partner away, a lost race) becomes in its tree."""

    error: type[E]
    status_of: Callable[[E], int]
    render: Callable[[Request, E, int], Response]
    from_library: Callable[[Request, Exception], E]
    library: tuple[type[Exception], ...] = ()
    retry_after_seconds: int = RETRY_AFTER_SECONDS

    def rendered_by(self, render: Callable[[Request, E, int], Response]) -> "Refusals[E]":
        """The same refusals in another shape (the same statuses, another renderer)."""
        return replace(self, render=render)

    def answer(self, request: Request, exc: Exception) -> Response:
        """The response to `exc`, which is of the part's tree or one of `library`."""
        error = exc if isinstance(exc, self.error) else self.from_library(request, exc)
        response = self.render(request, error, self.status_of(error))
        if response.status_code == 503:
            response.headers["Retry-After"] = str(self.retry_after_seconds)
        return response


class RefusingRoute(APIRoute):
    """A route answering its part's refusals (`refusals`, set by each subclass)."""

    refusals: ClassVar[Refusals[Any]]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        refusals = self.refusals
        caught = (refusals.error, *refusals.library)

        async def refusing_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except caught as exc:
                return refusals.answer(request, exc)

        return refusing_handler

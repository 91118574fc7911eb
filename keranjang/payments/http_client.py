"""The HTTP every payment-partner adapter speaks through: one httpx client with explicit timeouts
(its transport injectable, so tests use `httpx.MockTransport`), retries of the calls that are safe
to repeat (`retries`), and every lower-level error raised again as one of the payments error tree
(`errors`), always `from` the original, at this edge:

    httpx.HTTPError (not reached, timed out, broken, undecodable)  → PartnerUnavailable
    httpx.InvalidURL (the request cannot even be made)              → PartnerRefused, status 0
    an answer its adapter's judge refuses, by the status that counts:
        404 → UnknownPayment;  409 → the call's conflict (DuplicateOrder on a create);
        other 4xx → PartnerRefused;  anything else → PartnerUnavailable
        (unless the judge knows better from the partner's own error code)
    a body that is not JSON, or not of the expected shape (pydantic)  → PartnerUnavailable
    a value that cannot be read (ValueError: amounts, times, statuses) → PartnerUnavailable

Each adapter keeps only what is its partner's own: its URLs, its bodies, and its judge (how an
answer says it failed: Midtrans puts its real status code in the body, Xendit an error code).

`within(seconds)` gives every call made inside it, all together, that much time: no retries, each
request's timeouts cut to what is left, and `PartnerUnavailable` once nothing is. A caller that
must answer a person quickly (a buyer's cancel) asks a partner that way, whatever the adapter.
httpx bounds each read, not a whole answer: a partner trickling bytes slowly can overrun by one
read's wait, never more.
"""

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from keranjang.payments.contract import NewPayment
from keranjang.payments.errors import (
    DuplicateOrder,
    PartnerRefused,
    PartnerUnavailable,
    PaymentError,
    UnknownPayment,
)
from keranjang.payments.retries import with_retries

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
RETRY_DELAYS = (0.2, 0.5)
# When the calls now being made must be done by (time.monotonic()), if they must: `within`.
_DEADLINE: ContextVar[float | None] = ContextVar("partner_deadline", default=None)
Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")
P = ParamSpec("P")


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Every partner call made in this block, all together, takes at most `seconds` (a deadline
    already set and sooner stays): tried once each, and `PartnerUnavailable` when time is up."""
    now, outer = time.monotonic(), _DEADLINE.get()
    deadline = now + max(seconds, 0.0)
    token = _DEADLINE.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _time_left() -> float | None:
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


@dataclass(frozen=True)
class Call:
    """One request to a partner. `what` names it in errors ("order ORD-1"); `safe` says that
    repeating it cannot do anything twice (a lookup, or a write carrying a key), so it is retried;
    `conflict` is what a duplicate means for this call."""

    method: str
    url: str
    what: str
    body: object = None
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    safe: bool = False
    conflict: type[PartnerRefused] = PartnerRefused


@dataclass(frozen=True)
class Refusal:
    """An answer that is not a success, as the partner meant it: the status that counts (HTTP's,
    or the partner's own code in the body), the partner's message, and which error it is."""

    status: int
    message: str
    error: type[PartnerRefused] | type[PartnerUnavailable]


# A partner's judge: None for a success, else the refusal; given the call's conflict error.
Judge = Callable[[httpx.Response, type[PartnerRefused]], Refusal | None]


def by_status(
    status: int, conflict: type[PartnerRefused] = PartnerRefused
) -> type[PartnerRefused] | type[PartnerUnavailable]:
    """The error an unsuccessful status means when the partner says nothing more precise."""
    if status == 404:
        return UnknownPayment
    if status == 409:
        return conflict
    if 400 <= status < 500:
        return PartnerRefused
    return PartnerUnavailable


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it has none (garbage, truncated, nested beyond reason)."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def excerpt(response: httpx.Response) -> str:
    """The start of an answer that is not the JSON expected, to say what came instead."""
    return (response.text[:200] or response.reason_phrase).strip()


def first_error(exc: ValidationError) -> str:
    """The first thing pydantic found wrong, as `where: what`."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"


def payment_for(new: NewPayment) -> str:
    """A create, named with our own fields, so a refusal says which of the caller's values to fix."""
    return f"the payment for order {new.order_id} (gross_amount {new.gross_amount})"


class PartnerHttp:
    """One partner's HTTP: its name (for messages), its basic-auth credentials, its judge."""

    def __init__(
        self,
        partner: str,
        auth: tuple[str, str],
        judge: Judge,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.partner = partner
        self.auth = auth
        self.judge = judge
        self.client = client or httpx.Client(timeout=TIMEOUT, transport=transport)
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep

    def answer(self, call: Call, shape: type[Model]) -> Model:
        """The judged answer to `call`, read as `shape`."""
        return self.parse(self.checked(call), shape, call.what)

    def checked(self, call: Call) -> httpx.Response:
        response = self.send(call)
        self.check(call, response)
        return response

    def send(self, call: Call) -> httpx.Response:
        """The answer to `call`, not yet judged: one try, or (a safe call) one more after each
        delay while the partner cannot be reached or says the trouble is its own (5xx)."""
        hurried = _DEADLINE.get() is not None
        return with_retries(
            lambda: self._once(call),
            self.retry_delays if call.safe and not hurried else (),
            lambda response: self._in_trouble(response, call),
            self.sleep,
        )

    def check(self, call: Call, response: httpx.Response) -> None:
        """Raises the payments error the answer amounts to, if it is not a success."""
        refusal = self.judge(response, call.conflict)
        if refusal is not None:
            raise self._error(refusal, call.what)

    def parse(self, response: httpx.Response, shape: type[Model], what: str) -> Model:
        try:
            return shape.model_validate_json(response.content)
        except ValidationError as exc:
            raise PartnerUnavailable(
                f"{self.partner} answered unreadably for {what}: {first_error(exc)}"
            ) from exc

    def readable(self, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`read` an answer whose fields parsed but whose values may not (amounts, times,
        statuses): its ValueError means the partner answered unreadably."""
        try:
            return read(*args, **kwargs)
        except ValueError as exc:
            raise PartnerUnavailable(f"{self.partner} answered unreadably: {exc}") from exc

    def _once(self, call: Call) -> httpx.Response:
        left = _time_left()
        if left is not None and left <= 0:
            raise PartnerUnavailable(f"{self.partner} was not asked for {call.what}: out of time")
        timeout = httpx.USE_CLIENT_DEFAULT if left is None else _cut(self.client.timeout, left)
        try:
            request = self.client.build_request(
                call.method,
                call.url,
                json=call.body,
                params=call.params,
                headers={"accept": "application/json", **(call.headers or {})},
                timeout=timeout,
            )
            return self.client.send(request, auth=self.auth)
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(
                f"{self.partner} could not be reached for {call.what} ({type(exc).__name__}: {exc})"
            ) from exc
        except httpx.InvalidURL as exc:
            raise PartnerRefused(
                f"{call.what} cannot be asked of {self.partner}: {exc}", 0
            ) from exc

    def _in_trouble(self, response: httpx.Response, call: Call) -> bool:
        refusal = self.judge(response, call.conflict)
        return refusal is not None and refusal.status >= 500

    def _error(self, refusal: Refusal, what: str) -> PaymentError:
        status, message, error = refusal.status, refusal.message, refusal.error
        if not issubclass(error, PartnerRefused):
            return PartnerUnavailable(f"{self.partner} answered {status} for {what}: {message}")
        if issubclass(error, UnknownPayment):
            verb = "does not know"
        elif issubclass(error, DuplicateOrder) or status == 409:
            verb = "already has"
        else:
            verb = "refused"
        return error(f"{self.partner} {verb} {what} ({status}): {message}", status)


def _cut(timeout: httpx.Timeout, left: float) -> httpx.Timeout:
    """The client's timeouts, none longer than `left` seconds."""

    def cut(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(
        connect=cut(timeout.connect),
        read=cut(timeout.read),
        write=cut(timeout.write),
        pool=cut(timeout.pool),
    )

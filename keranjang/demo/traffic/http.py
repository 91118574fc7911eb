"""The driver's one way to make a request: explicit timeouts, a request id, the body's digest,
a retry after `Retry-After` when a merchant is fenced during its move (503), one more try after
no answer at all for a request that is safe to repeat, and a journal line for every attempt."""

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from keranjang.demo.traffic.journal import Entry, Journal
from keranjang.demo.traffic.stats import Stats

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
MAX_ATTEMPTS = 6  # a fence is bounded (milliseconds); six tries cover a slow move and more
MAX_RETRY_AFTER_S = 10.0
Keys = Callable[["Answer"], dict[str, Any]]


@dataclass
class Call:
    actor: str
    action: str
    method: str
    url: str
    write: bool = False
    json: Any = None
    form: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    merchant: int | None = None
    idempotency_key: str | None = None
    op: int = 0

    @property
    def safe_to_repeat(self) -> bool:
        return self.method in {"GET", "PUT", "PATCH"} or self.idempotency_key is not None


@dataclass
class Answer:
    status: int
    body: Any
    headers: httpx.Headers
    entry: Entry

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    @property
    def error_kind(self) -> str:
        return str(self.body.get("error", "")) if isinstance(self.body, dict) else ""

    @property
    def moved(self) -> bool:
        """The legacy shop's answer for a seller that now sells in commerce."""
        return self.status == 409 and self.error_kind == "SellerMoved"


@dataclass
class Http:
    client: httpx.AsyncClient
    journal: Journal
    stats: Stats
    services: dict[str, str]  # base URL → service name, for the journal

    async def send(self, call: Call, keys: Keys | None = None) -> Answer:
        attempt = 1
        while True:
            answer = await self._once(call, attempt)
            wait = self._retry_in(call, answer, attempt)
            if wait is None:
                answer.entry.keys = keys(answer) if keys and answer.ok else {}
                self._record(answer.entry)
                return answer
            answer.entry.outcome, answer.entry.retry_after_s = "retryable", wait
            self._record(answer.entry)
            await asyncio.sleep(wait)
            attempt += 1

    def _retry_in(self, call: Call, answer: Answer, attempt: int) -> float | None:
        if attempt >= MAX_ATTEMPTS:
            return None
        if answer.status == 503 and "retry-after" in answer.headers:
            return retry_after(answer.headers["retry-after"])
        if answer.status == 0 and call.safe_to_repeat and attempt == 1:
            return 0.5
        return None

    async def _once(self, call: Call, attempt: int) -> Answer:
        body = None if call.json is None else canonical(call.json)
        headers = {"X-Request-ID": uuid.uuid4().hex, **call.headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if call.idempotency_key:
            headers["Idempotency-Key"] = call.idempotency_key
        entry = self._entry(call, headers["X-Request-ID"], body, attempt)
        started = time.perf_counter()
        try:
            response = await self.client.request(
                call.method, call.url, content=body, data=call.form, headers=headers
            )
        except httpx.HTTPError as exc:
            entry.latency_ms = (time.perf_counter() - started) * 1000
            entry.outcome, entry.detail = "error", f"{type(exc).__name__}: {exc}"[:300]
            return Answer(0, None, httpx.Headers(), entry)
        entry.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        entry.status, parsed = response.status_code, parse(response)
        entry.outcome = outcome(response.status_code, parsed)
        if response.status_code >= 400:
            entry.detail = str(parsed.get("detail") if isinstance(parsed, dict) else parsed)[:300]
        return Answer(response.status_code, parsed, response.headers, entry)

    def _entry(self, call: Call, request_id: str, body: bytes | None, attempt: int) -> Entry:
        parts = urlsplit(call.url)
        base = f"{parts.scheme}://{parts.netloc}"
        digest = hashlib.sha256(body).hexdigest() if body is not None else None
        if call.form is not None:
            digest = hashlib.sha256(canonical(call.form)).hexdigest()
        path = parts.path + (
            f"?{parts.query}" if parts.query and "token=" not in parts.query else ""
        )
        return Entry(
            actor=call.actor,
            action=call.action,
            method=call.method,
            service=self.services.get(base, base),
            path=path,
            write=call.write,
            merchant=call.merchant,
            request_id=request_id,
            idempotency_key=call.idempotency_key,
            body_sha256=digest,
            attempt=attempt,
            op=call.op,
        )

    def _record(self, entry: Entry) -> None:
        self.journal.write(entry)
        self.stats.request(entry)


def canonical(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def parse(response: httpx.Response) -> Any:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def outcome(status: int, body: Any) -> str:
    if status < 400:
        return "ok"
    if status == 409 and isinstance(body, dict) and body.get("error") == "SellerMoved":
        return "moved"
    return "error" if status >= 500 else "refused"


def retry_after(value: str) -> float:
    """Retry-After in seconds (an HTTP date is not sent by Keranjang: one second then)."""
    try:
        return min(max(float(value), 0.05), MAX_RETRY_AFTER_S)
    except ValueError:
        return 1.0

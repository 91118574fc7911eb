"""Where the monitor reads evidence: an `EvidenceSource` (the services' read-only endpoints over
HTTP with the regulator's token, or a fake in tests), and `gather`, which reads every piece and
turns each one that cannot be read into `Missing` (so a rule that needs it says
`insufficient_data`, never pass). Every failure of a source is raised as `EvidenceUnavailable`
(or `EvidenceMalformed`), from its cause."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from keranjang.evidence.commerce import CommerceEvidence
from keranjang.evidence.migration import MigrationEvents, MigrationHistory, MigrationProgress
from keranjang.evidence.payments import PaymentsEvidence
from keranjang.evidence.social import SocialEvidence
from keranjang.oversight.errors import EvidenceMalformed, EvidenceUnavailable
from keranjang.oversight.rules.base import Gathered, Missing

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
MAX_BODY = 8 * 1024 * 1024
EVENTS_PAGE = 500
# Pages of the migration's journal read in one evaluation at most; the rest, the next time.
EVENT_PAGES = 20
METRICS_OF = ("social", "commerce")


class EvidenceSource(Protocol):
    def social(self) -> SocialEvidence: ...
    def commerce(self) -> CommerceEvidence: ...
    def payments(self) -> PaymentsEvidence: ...
    def migration_progress(self) -> MigrationProgress: ...
    def migration_history(self, since: datetime | None) -> MigrationHistory: ...
    def migration_events(self, after: int) -> MigrationEvents: ...
    def metrics(self, service: str) -> str: ...


@dataclass(frozen=True)
class Endpoints:
    social: str
    commerce: str
    payments: str
    migration: str

    def base(self, service: str) -> str:
        return str(getattr(self, service)).rstrip("/")


class HttpEvidence:
    """The services' evidence endpoints; `transport` is injectable (tests: MockTransport)."""

    def __init__(
        self,
        endpoints: Endpoints,
        tokens: Mapping[str, str | None],
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        window_seconds: int = 3600,
    ) -> None:
        self.endpoints = endpoints
        self.window = {"window_seconds": window_seconds}
        self._tokens = dict(tokens)  # the regulator's token for each service
        self._client = httpx.Client(transport=transport, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _body(
        self, service: str, path: str, params: Mapping[str, str | int] | None = None
    ) -> bytes:
        url = self.endpoints.base(service) + path
        try:
            token = self._tokens.get(service)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = self._client.get(url, params=params, headers=headers)
        except (httpx.HTTPError, ValueError) as exc:  # ValueError: a URL httpx cannot use
            raise EvidenceUnavailable(f"{service} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise EvidenceUnavailable(f"{service} {path} answered {response.status_code}")
        if len(response.content) > MAX_BODY:
            raise EvidenceMalformed(f"{service} {path}: more than {MAX_BODY} bytes")
        return response.content

    def _model(self, model: type[M], service: str, path: str, **params: str | int) -> M:
        body = self._body(service, path, params or None)
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise EvidenceMalformed(f"{service} {path}: {where}: {first['msg']}") from exc

    def social(self) -> SocialEvidence:
        return self._model(SocialEvidence, "social", "/evidence/social", **self.window)

    def commerce(self) -> CommerceEvidence:
        return self._model(CommerceEvidence, "commerce", "/evidence/commerce", **self.window)

    def payments(self) -> PaymentsEvidence:
        return self._model(PaymentsEvidence, "payments", "/evidence/payments", **self.window)

    def migration_progress(self) -> MigrationProgress:
        return self._model(MigrationProgress, "migration", "/evidence/migration/progress")

    def migration_history(self, since: datetime | None) -> MigrationHistory:
        params = {"since": since.isoformat()} if since else {}
        return self._model(MigrationHistory, "migration", "/evidence/migration/history", **params)

    def migration_events(self, after: int) -> MigrationEvents:
        return self._model(
            MigrationEvents,
            "migration",
            "/evidence/migration/events",
            after=after,
            limit=EVENTS_PAGE,
        )

    def metrics(self, service: str) -> str:
        body = self._body(service, "/metrics")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EvidenceMalformed(f"{service} /metrics is not UTF-8 text") from exc


@dataclass(frozen=True)
class Cursor:
    """Where the monitor's own records stand: the newest snapshot and event it holds."""

    snapshots_since: datetime | None = None
    events_after: int = 0


def _read(source: str, read: Callable[[], T]) -> T | Missing:
    try:
        return read()
    except EvidenceUnavailable as exc:
        return Missing(source, str(exc))


def journal(source: EvidenceSource, after: int, pages: int = EVENT_PAGES) -> MigrationEvents:
    """The journal's events after `after`, page by page as the service hands them out, until
    it says there are no more or `pages` were read. A page that cannot be read after the first
    ends the reading with what came before it (those are logged now, the rest next time)."""
    page = source.migration_events(after)
    events = list(page.events)
    for _ in range(pages - 1):
        if page.next_after is None or not page.events:
            break
        try:
            page = source.migration_events(page.next_after)
        except EvidenceUnavailable:
            return MigrationEvents(events=events, next_after=events[-1].id)
        events += page.events
    return MigrationEvents(events=events, next_after=page.next_after)


def gather(
    source: EvidenceSource, now: datetime, cursor: Cursor = Cursor(), event_pages: int = EVENT_PAGES
) -> Gathered:
    """Read every piece once (the journal's events up to `event_pages` pages); what cannot be
    read is `Missing`, with the reason."""
    return Gathered(
        observed_at=now,
        social=_read("social", source.social),
        commerce=_read("commerce", source.commerce),
        payments=_read("payments", source.payments),
        migration=_read("migration", source.migration_progress),
        history=_read(
            "migration history", lambda: source.migration_history(cursor.snapshots_since)
        ),
        events=_read("migration events", lambda: journal(source, cursor.events_after, event_pages)),
        metrics={s: _read(f"{s} metrics", partial(source.metrics, s)) for s in METRICS_OF},
    )


@dataclass
class FakeEvidence:
    """Evidence held in memory, for tests and demos: set a piece to a model, or to an
    `EvidenceUnavailable` to make it unreachable. The journal's events are handed out
    `events_page` at a time, as the migration service pages them."""

    pieces: dict[str, object] = field(default_factory=dict)
    events_page: int = EVENTS_PAGE

    def _get(self, name: str) -> object:
        value = self.pieces.get(name)
        if value is None:
            raise EvidenceUnavailable(f"{name}: nothing answered")
        if isinstance(value, EvidenceUnavailable):
            raise value
        return value

    def social(self) -> SocialEvidence:
        return self._typed("social", SocialEvidence)

    def commerce(self) -> CommerceEvidence:
        return self._typed("commerce", CommerceEvidence)

    def payments(self) -> PaymentsEvidence:
        return self._typed("payments", PaymentsEvidence)

    def migration_progress(self) -> MigrationProgress:
        return self._typed("migration", MigrationProgress)

    def migration_history(self, since: datetime | None) -> MigrationHistory:
        history = self._typed("history", MigrationHistory)
        kept = [s for s in history.snapshots if since is None or s.at > since]
        return MigrationHistory(snapshots=kept)

    def migration_events(self, after: int) -> MigrationEvents:
        events = self._typed("events", MigrationEvents)
        later = [e for e in events.events if e.id > after]
        page = later[: self.events_page]
        more = len(later) > len(page)
        return MigrationEvents(events=page, next_after=page[-1].id if more else None)

    def metrics(self, service: str) -> str:
        value = self._get(f"metrics:{service}")
        assert isinstance(value, str)
        return value

    def _typed(self, name: str, model: type[M]) -> M:
        value = self._get(name)
        if not isinstance(value, model):
            raise EvidenceMalformed(f"{name} is not a {model.__name__}")
        return value

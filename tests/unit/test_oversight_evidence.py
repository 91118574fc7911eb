"""Reading evidence over HTTP (httpx with MockTransport, no network): each service's regulator
token is sent, the agreed shapes are read, and anything else (refused, unreachable, malformed,
not JSON) becomes `Missing` with the reason, so rules say insufficient data."""

from datetime import UTC, datetime

import httpx

from keranjang.evidence.migration import MigrationEvent, MigrationEvents
from keranjang.oversight import sample_evidence
from keranjang.oversight.evidence import EVENT_PAGES, Cursor, Endpoints, HttpEvidence, gather
from keranjang.oversight.rules.base import Missing

NOW = datetime(2024, 3, 1, tzinfo=UTC)
ENDPOINTS = Endpoints(
    "http://social.test", "http://commerce.test", "http://pay.test", "http://mig.test"
)


def source(handler: httpx.MockTransport) -> HttpEvidence:
    tokens = {
        "social": "t-social",
        "commerce": "t-commerce",
        "payments": None,
        "migration": "t-mig",
    }
    return HttpEvidence(ENDPOINTS, tokens, transport=handler)


def test_the_agreed_shapes_are_read_with_each_services_token() -> None:
    seen: dict[str, str | None] = {}
    bodies = {
        "/evidence/social": sample_evidence.social(NOW).model_dump_json(),
        "/evidence/commerce": sample_evidence.commerce(NOW).model_dump_json(),
        "/evidence/payments": sample_evidence.payments(NOW).model_dump_json(),
        "/evidence/migration/progress": sample_evidence.progress(NOW).model_dump_json(),
        "/evidence/migration/history": sample_evidence.history(NOW).model_dump_json(),
        "/evidence/migration/events": sample_evidence.events(NOW).model_dump_json(),
        "/metrics": sample_evidence.HISTOGRAM.format(route="/handoff", service="x"),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen[f"{request.url.host}{request.url.path}"] = request.headers.get("authorization")
        return httpx.Response(200, text=bodies[request.url.path])

    gathered = gather(source(httpx.MockTransport(handler)), NOW)
    assert not any(
        isinstance(p, Missing)
        for p in (
            gathered.social,
            gathered.commerce,
            gathered.payments,
            gathered.migration,
            gathered.history,
            gathered.events,
        )
    )
    assert gathered.social == sample_evidence.social(NOW)
    assert seen["social.test/evidence/social"] == "Bearer t-social"
    assert seen["pay.test/evidence/payments"] is None
    assert seen["mig.test/evidence/migration/events"] == "Bearer t-mig"


def test_refused_unreachable_and_malformed_evidence_is_missing_with_the_reason() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "social.test":
            return httpx.Response(403, json={"error": "NotPermitted"})
        if request.url.host == "commerce.test":
            raise httpx.ConnectError("connection refused")
        if request.url.host == "pay.test":
            return httpx.Response(200, json={"observed_at": "yesterday"})
        return httpx.Response(200, content=b"\xff not json")

    gathered = gather(source(httpx.MockTransport(handler)), NOW)
    assert isinstance(gathered.social, Missing) and "answered 403" in gathered.social.reason
    assert (
        isinstance(gathered.commerce, Missing) and "connection refused" in gathered.commerce.reason
    )
    assert isinstance(gathered.payments, Missing) and "observed_at" in gathered.payments.reason
    assert isinstance(gathered.migration, Missing)
    assert isinstance(gathered.metrics["social"], Missing)


def journal_over_http(pages: dict[int, httpx.Response]) -> tuple[list[int], object]:
    """Serve the migration's events page by page (keyed by `after`); answer what was asked."""
    asked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/evidence/migration/events":
            return httpx.Response(404)
        after = int(request.url.params["after"])
        asked.append(after)
        assert request.url.params["limit"] == "500"
        return pages[after]

    events = gather(source(httpx.MockTransport(handler)), NOW, Cursor(events_after=10)).events
    return asked, events


def page(ids: range, next_after: int | None) -> httpx.Response:
    body = MigrationEvents(
        events=[
            MigrationEvent(
                id=i,
                at=NOW,
                merchant_id=1,
                phase="bound",
                what="bound",
                actor="w",
                operator=False,
                detail={},
            )
            for i in ids
        ],
        next_after=next_after,
    )
    return httpx.Response(200, text=body.model_dump_json())


def test_the_journal_is_read_page_after_page_from_where_the_monitor_stands() -> None:
    asked, events = journal_over_http(
        {10: page(range(11, 14), 13), 13: page(range(14, 16), 15), 15: page(range(0), None)}
    )
    assert asked == [10, 13, 15]
    assert isinstance(events, MigrationEvents)
    assert [e.id for e in events.events] == [11, 12, 13, 14, 15]


def test_reading_stops_after_twenty_pages_and_at_a_page_that_fails() -> None:
    endless = {after: page(range(after + 1, after + 2), after + 1) for after in range(10, 40)}
    asked, events = journal_over_http(endless)
    assert len(asked) == EVENT_PAGES == 20
    assert isinstance(events, MigrationEvents) and events.next_after == 30
    asked, events = journal_over_http(
        {10: page(range(11, 13), 12), 12: httpx.Response(503, text="busy")}
    )
    assert asked == [10, 12]  # what came before the failing page is kept, logged now
    assert isinstance(events, MigrationEvents) and [e.id for e in events.events] == [11, 12]
    asked, events = journal_over_http({10: httpx.Response(503, text="busy")})
    assert isinstance(events, Missing) and "503" in events.reason

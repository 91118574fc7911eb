"""Reading evidence over HTTP (httpx with MockTransport, no network): each service's regulator
token is sent, the agreed shapes are read, and anything else (refused, unreachable, malformed,
not JSON) becomes `Missing` with the reason, so rules say insufficient data."""

from datetime import UTC, datetime

import httpx

from keranjang.oversight import sample_evidence
from keranjang.oversight.evidence import Endpoints, HttpEvidence, gather
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

"""The traffic driver's requests: a 503 with Retry-After (a merchant fenced during its move) is
retried after the delay and journaled as such; a 409 "moved" is journaled as moved; no answer is
an error, tried once more only when repeating is safe."""

from pathlib import Path

import httpx

from keranjang.demo.traffic.http import Call, Http
from keranjang.demo.traffic.journal import Journal, read
from keranjang.demo.traffic.stats import Stats
from tests.event_loops import run_apart


def send(tmp_path: Path, handler: httpx.MockTransport, call: Call) -> tuple[int, Stats]:
    async def go() -> tuple[int, Stats]:
        stats = Stats()
        async with httpx.AsyncClient(transport=handler) as client:
            with Journal(tmp_path / "j.jsonl") as journal:
                http = Http(client, journal, stats, {"http://social.test": "social"})
                answer = await http.send(call, keys=lambda a: {"id": a.body["id"]})
        return answer.status, stats

    return run_apart(go())


def checkout() -> Call:
    return Call("viewer:0", "checkout", "POST", "http://social.test/legacy/api/checkout",
                write=True, json={"a": 1}, idempotency_key="trf-x-1")  # fmt: skip


def test_a_fenced_merchant_is_asked_again_after_retry_after(tmp_path: Path) -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("idempotency-key"))
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "0.1"}, json={"error": "Fenced"})
        return httpx.Response(201, json={"id": 7})

    status, stats = send(tmp_path, httpx.MockTransport(handler), checkout())
    assert status == 201 and seen == ["trf-x-1", "trf-x-1"]
    lines = list(read(tmp_path / "j.jsonl"))
    assert [(e.status, e.outcome, e.attempt) for e in lines] == [
        (503, "retryable", 1),
        (201, "ok", 2),
    ]
    assert lines[0].retry_after_s == 0.1 and lines[1].keys == {"id": 7}
    assert stats.retried == 1 and stats.server_errors == 0


def test_a_seller_moved_answer_is_journaled_as_moved(tmp_path: Path) -> None:
    moved = httpx.Response(409, json={"error": "SellerMoved", "detail": "sells in commerce now"})
    status, _ = send(tmp_path, httpx.MockTransport(lambda _: moved), checkout())
    [entry] = read(tmp_path / "j.jsonl")
    assert status == 409 and entry.outcome == "moved" and entry.keys == {}


def test_no_answer_is_an_error_tried_again_once_when_safe(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    status, stats = send(tmp_path, httpx.MockTransport(handler), checkout())
    lines = list(read(tmp_path / "j.jsonl"))
    assert status == 0 and [e.outcome for e in lines] == ["retryable", "error"]
    assert stats.errors and stats.server_errors == 0

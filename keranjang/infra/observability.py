"""Health, Prometheus metrics and structured logs, the same for every service; and, for a route
a service reports on in its own evidence, its recent serving times (`Metrics.watch`)."""

import math
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from keranjang.infra.counters import PART_METRICS

# Set (by `keranjang serve --workers N`) when several processes serve one service: each worker
# keeps its counts in files in this folder, and /metrics reports the sum over all of them.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Timing:
    samples: int
    p95_ms: float | None  # None: nothing served in the window


class RouteTimes:
    """How long one route took to serve, request by request, for the last `capacity` requests
    (in memory, per process): the Prometheus histogram counts since start and in buckets, while
    a service's evidence reports a window and a percentile of the times themselves."""

    def __init__(self, now: Callable[[], datetime], capacity: int = 10_000) -> None:
        self._now = now
        self._ring: deque[tuple[datetime, float]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def record(self, seconds: float) -> None:
        with self._lock:
            self._ring.append((self._now(), seconds))

    def since(self, start: datetime) -> Timing:
        """The requests served at or after `start`: how many, and the 95th percentile of their
        times in milliseconds (nearest rank: a time that one of them really took)."""
        with self._lock:
            times = sorted(s for at, s in self._ring if at >= start)
        if not times:
            return Timing(0, None)
        rank = math.ceil(0.95 * len(times))
        return Timing(len(times), round(times[rank - 1] * 1000, 3))


class Metrics:
    """Request counts and latencies for one service, in a registry of its own."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "keranjang_http_requests",
            "HTTP requests served",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "keranjang_http_request_duration_seconds",
            "HTTP request latency",
            ["service", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.service = service
        self.watched: dict[str, RouteTimes] = {}

    def watch(self, route: str, now: Callable[[], datetime]) -> RouteTimes:
        """Keep the serving times of `route` (its template, e.g. `/cart/{pin_id}`) as well."""
        return self.watched.setdefault(route, RouteTimes(now))


class MetricsMiddleware:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on hot paths)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            m = self.metrics
            m.requests.labels(m.service, scope["method"], route, str(status)).inc()
            took = time.perf_counter() - started
            m.latency.labels(m.service, route).observe(took)
            watched = m.watched.get(route)
            if watched is not None:
                watched.record(took)


def install(app: FastAPI, service: str, ready: Callable[[], Awaitable[None]]) -> Metrics:
    """Add `/healthz` and `/metrics`; `ready` raises if the service cannot serve."""
    metrics = Metrics(service)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/healthz", tags=["operations"], summary="Liveness and database reachability")
    async def healthz() -> JSONResponse:
        try:
            await ready()
        except Exception as exc:  # any failure means "not healthy"; report it, do not crash
            # The kind of failure only: the driver's message can name hosts and users.
            body = {"status": "unavailable", "error": type(exc).__name__}
            return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"status": "ok", "service": service})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def prometheus() -> Response:
        if os.environ.get(MULTIPROCESS_DIR):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
        text = generate_latest(metrics.registry) + generate_latest(PART_METRICS)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return metrics

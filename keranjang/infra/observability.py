"""Health, Prometheus metrics and structured logs, the same for every service."""

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
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
            m.latency.labels(m.service, route).observe(time.perf_counter() - started)


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

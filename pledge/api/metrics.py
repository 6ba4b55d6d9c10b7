"""The API's own metrics: request latency by route, Prometheus call latency and errors.

One registry per app, so several apps in one process (tests, the demo) never collide.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram("pledge_api_request_duration_seconds", "API request latency",
                                  ["method", "route", "status"], registry=self.registry)
        self.queries = Histogram("pledge_api_prometheus_request_duration_seconds",
                                 "Prometheus API call latency (retries included)", ["path"], registry=self.registry)
        self.background = Histogram("pledge_api_background_prometheus_request_duration_seconds",
                                    "Prometheus API call latency of the background snapshots and predictions",
                                    ["path"], registry=self.registry)
        self.query_errors = Counter("pledge_api_prometheus_errors_total", "failed Prometheus API calls",
                                    ["path", "error"], registry=self.registry)

    def observe_prometheus(self, path: str, seconds: float, outcome: str) -> None:
        self.queries.labels(path).observe(seconds)
        if outcome != "ok":
            self.query_errors.labels(path, outcome).inc()

    def observe_background(self, path: str, seconds: float, outcome: str) -> None:
        """Kept apart from the requests' calls: snapshots and predictions refresh whenever they like."""
        self.background.labels(path).observe(seconds)
        if outcome != "ok":
            self.query_errors.labels(path, outcome).inc()

    def render(self, *more: CollectorRegistry) -> Response:
        """This registry's exposition, followed by those of ``more``."""
        body = b"".join(generate_latest(r) for r in (self.registry, *more))
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    def install(self, app: FastAPI) -> None:
        app.add_middleware(Timed, metrics=self)


class Timed:
    """Request latency by route, as plain ASGI middleware: Starlette's BaseHTTPMiddleware
    (``@app.middleware``) runs each request through an extra task and memory stream."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), "500"

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, status).observe(time.perf_counter() - started)

"""The API's own metrics: request latency by route, Prometheus call latency and errors.

One registry per app, so several apps in one process (tests, the demo) never collide.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram("pledge_api_request_duration_seconds", "API request latency",
                                  ["method", "route", "status"], registry=self.registry)
        self.queries = Histogram("pledge_api_prometheus_request_duration_seconds",
                                 "Prometheus API call latency (retries included)", ["path"], registry=self.registry)
        self.query_errors = Counter("pledge_api_prometheus_errors_total", "failed Prometheus API calls",
                                    ["path", "error"], registry=self.registry)

    def observe_prometheus(self, path: str, seconds: float, outcome: str) -> None:
        self.queries.labels(path).observe(seconds)
        if outcome != "ok":
            self.query_errors.labels(path, outcome).inc()

    def render(self, *more: CollectorRegistry) -> Response:
        """This registry's exposition, followed by those of ``more``."""
        body = b"".join(generate_latest(r) for r in (self.registry, *more))
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    def install(self, app: FastAPI) -> None:
        @app.middleware("http")
        async def timed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            route = getattr(request.scope.get("route"), "path", "unmatched")
            self.requests.labels(request.method, route, str(response.status_code)).observe(time.perf_counter() - started)
            return response

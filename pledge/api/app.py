"""The FastAPI application: routes, problem+json errors, metrics, and the lifespan that owns the
Prometheus client and the SLA source."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from starlette.middleware.gzip import GZipMiddleware

from pledge import console
from pledge.api import burndown, definition, predictions, record, reports, routes
from pledge.api import review, revisions
from pledge.api.auth import Caller, TokenStore
from pledge.api.draining import Draining
from pledge.api.forecasts import PredictionCache
from pledge.api.metrics import ApiMetrics
from pledge.api.models import Health
from pledge.api.problems import PROBLEM_RESPONSES, install, problem
from pledge.api.settings import Settings
from pledge.api.snapshot import Snapshots
from pledge.api.in_force import InForce
from pledge.api.sources import Background, SLASource
from pledge.api.state import ApiState, api_state
from pledge.clock import Clock, system
from pledge.prom import PrometheusClient
from pledge.prom.client import Observer

GZIP_FROM = 32 * 1024  # answers this big go gzipped to clients that accept it: the console's /v1/details of 1,000 SLAs is 1.4 MB

DESCRIPTION = """SLA status, error-budget burn, period reports and service credits, computed from the series
pledge's generated rules record in Prometheus. Every route needs a bearer token except /healthz, /readyz and
this description (/docs, /redoc, /openapi.json), which is public: it is the same for every installation."""


def _client(settings: Settings, observer: Observer, transport: httpx.AsyncBaseTransport | None,
            cache_seconds: float) -> PrometheusClient:
    return PrometheusClient(settings.prometheus_url, timeout=settings.prometheus_timeout,
                            max_concurrency=settings.prometheus_concurrency, retries=settings.prometheus_retries,
                            observer=observer, transport=transport, cache_seconds=cache_seconds)


@asynccontextmanager
async def _refreshing(*loops: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """The background rounds (predictions, snapshots), for the life of the app."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def create_app(source: SLASource, tokens: TokenStore, settings: Settings,
               transport: httpx.AsyncBaseTransport | None = None, token_source: Background | None = None,
               clock: Clock = system) -> FastAPI:
    """``transport`` replaces the network to Prometheus (tests of answers no real server gives);
    ``token_source`` keeps ``tokens`` up to date (a Kubernetes Secret); ``clock`` is "now" for
    every answer that is not asked ``at`` a moment (a replay, a test world)."""
    metrics = ApiMetrics()
    judged = InForce(source, clock)
    started = [source, judged] + ([token_source] if token_source is not None else [])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for each in started:
            await each.start()
        # background rounds have a client of their own: no answer cache (a prediction round's 30 days
        # of tiles would sit in it), and their calls do not count as the requests' in /metrics
        async with _client(settings, metrics.observe_prometheus, transport, settings.prometheus_cache_seconds) as client, \
                _client(settings, metrics.observe_background, transport, 0) as background:
            cache = PredictionCache(background, judged, settings.predictions_interval, clock)
            snapshots = Snapshots(background, judged, settings.snapshot_seconds, clock,
                                  settings.prometheus_cache_seconds)
            app.state.api = ApiState(source, tokens, settings, metrics, client, cache, snapshots, clock, judged)
            async with _refreshing(cache.run(), snapshots.run()):
                try:
                    yield
                finally:
                    for each in started:
                        await each.stop()

    app = FastAPI(title="pledge", version="1", description=DESCRIPTION, lifespan=lifespan)
    install(app)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_FROM)
    app.add_middleware(Draining)
    metrics.install(app)
    app.include_router(routes.router)
    app.include_router(reports.router)
    app.include_router(review.router)
    app.include_router(burndown.router)
    app.include_router(record.router)
    app.include_router(predictions.router)
    app.include_router(definition.router)
    app.include_router(revisions.router)
    _ops(app)
    console.install(app)
    return app


def _ops(app: FastAPI) -> None:
    @app.get("/healthz", response_model=Health, summary="The process is up")
    async def healthz() -> Health:
        return Health()

    @app.get("/readyz", response_model=Health, responses={503: PROBLEM_RESPONSES[503]},
             summary="Prometheus answers: 503 with Retry-After until it does")
    async def readyz(request: Request) -> Health | Response:
        api = api_state(request)
        if await api.client.ready():
            return Health()
        return problem(request, 503, f"Prometheus at {api.settings.prometheus_url} is not ready",
                       {"Retry-After": str(api.settings.retry_after)})

    @app.get("/metrics", response_class=Response,
             responses={200: {"content": {"text/plain": {}}}, 401: PROBLEM_RESPONSES[401]},
             summary="The API's own Prometheus metrics (any valid token); pledge_breach_probability for read:all")
    async def metrics(request: Request, caller: Caller) -> Response:
        api = api_state(request)
        return api.metrics.render(*([api.predictions.registry] if caller.everything else []))

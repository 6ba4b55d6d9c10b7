"""Breach predictions for the default horizon, computed in the background and cached.

A forecast round reads 30 days of history and runs the model, which is too costly per request:
the API refreshes one round every ``interval`` seconds, serves it for the default horizon, and
exports it as the gauge ``pledge_breach_probability`` for an SLABreachPredicted alert.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from pledge.api.background import refresh_forever
from pledge.api.sources import SLASource
from pledge.clock import Clock, system
from pledge.predictions import Prediction, predict
from pledge.prom import PrometheusClient

GAUGE = "pledge_breach_probability"
IDENTITY = ("sla", "namespace", "objective")


class PredictionCache:
    """The latest round of default-horizon predictions of every SLA the source knows."""

    def __init__(self, client: PrometheusClient, source: SLASource, interval: float,
                 clock: Clock = system) -> None:
        self.client = client
        self.source = source
        self.interval = interval
        self.clock = clock
        self.computed_at: float | None = None
        self._latest: list[Prediction] | None = None
        self._lock = asyncio.Lock()
        self.registry = CollectorRegistry()  # apart from the API's own metrics: read:all callers only
        self.registry.register(BreachGauge(self))

    async def current(self) -> tuple[list[Prediction], float]:
        """The cached round, never waiting for a refresh; computed now if there is none yet
        (then Prometheus errors propagate)."""
        if self._latest is None:
            async with self._lock:
                if self._latest is None:
                    await self._compute()
        assert self._latest is not None and self.computed_at is not None
        return self._latest, self.computed_at

    async def refresh(self) -> None:
        async with self._lock:
            await self._compute()

    async def _compute(self) -> None:
        at = self.clock()
        self._latest, self.computed_at = await predict(self.client, self.source.slas(), at), at

    async def run(self) -> None:
        """Refresh forever; a failed round keeps the previous one (served with its computed_at)."""
        await refresh_forever(self.refresh, self.interval, "breach predictions")

    def cached(self) -> list[Prediction]:
        return self._latest or []


def gauge_labels(p: Prediction) -> dict[str, str]:
    """sla, namespace, objective, then the SLA's grouping labels (a clashing group label is dropped)."""
    ident = {"sla": p.sla.metadata.name, "namespace": p.sla.metadata.namespace, "objective": p.objective.name}
    return ident | {k: v for k, v in p.group.items() if k not in IDENTITY}


class BreachGauge(Collector):
    """Collected at scrape time from the cache; label sets differ per SLA (its grouping labels),
    which prometheus_client's fixed-label Gauge cannot express."""

    def __init__(self, cache: PredictionCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[Metric]:
        metric = Metric(GAUGE, "probability that the SLA objective is breached within the default horizon", "gauge")
        for p in self.cache.cached():
            metric.add_sample(GAUGE, gauge_labels(p), p.probability)
        yield metric

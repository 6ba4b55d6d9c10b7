"""Breach predictions for the default horizon, computed in the background and cached.

A forecast round reads 30 days of history and runs the model, which is too costly per request:
the API refreshes one round every ``interval`` seconds, serves it for the default horizon, and
exports it as the gauge ``pledge_breach_probability`` for an SLABreachPredicted alert.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from pledge.rules import names
from pledge.sla.identity import OBJECTIVE_LABEL
from pledge.api.sources import SLASource
from pledge.clock import Clock, system
from pledge.predictions import Prediction, Rounds
from pledge.prom import PrometheusClient



class PredictionCache(Rounds):
    """The shared prediction rounds (pledge.predictions.Rounds) over the source's SLAs, with their gauge."""

    def __init__(self, client: PrometheusClient, source: SLASource, interval: float,
                 clock: Clock = system) -> None:
        super().__init__(client, source.slas, clock, interval)
        self.registry = CollectorRegistry()  # apart from the API's own metrics: read:all callers only
        self.registry.register(BreachGauge(self))


def gauge_labels(p: Prediction) -> dict[str, str]:
    """The identity labels of every recorded series (sla, sla_namespace, objective), then the SLA's grouping
    labels: the gauge joins the recorded series on them."""
    return {**p.sla.ref.labels(), OBJECTIVE_LABEL: p.objective, **p.group}


class BreachGauge(Collector):
    """Collected at scrape time from the cache; label sets differ per SLA (its grouping labels),
    which prometheus_client's fixed-label Gauge cannot express."""

    def __init__(self, cache: PredictionCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[Metric]:
        metric = Metric(names.BREACH_PROBABILITY, "probability that the SLA objective is breached within the default horizon", "gauge")
        for p in self.cache.cached():
            metric.add_sample(names.BREACH_PROBABILITY, gauge_labels(p), p.probability)
        yield metric

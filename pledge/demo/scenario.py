"""The demo's synthetic world: which series exist, and what happened to them over the period.

- checkout, per customer: acme within its tolerance band but worsening over the last day, to four
  times the budget rate by now (the at-risk list's top entry: a breach is forecast, none happened),
  with errors during its weekly Sunday maintenance (excluded in its monthly SLA, not elsewhere);
  globex had a 90-minute incident six days ago (a breach); initech is quiet and healthy.
- public-api runs inside its tolerance band (AtRisk); search latency too.
- edge probes failed for 20 minutes; the ingest queue was stale for two hours.
"""

from __future__ import annotations

import random

from pledge.slo.exclusions import intervals
from pledge.sla.model import Exclusion
from pledge.sla.units import DAY, HOUR
from pledge.testing.synthetic import (
    ErrorRatio,
    Metric,
    Timeline,
    combine,
    http_counters,
    latency_histogram,
    request_counts,
    split_errors,
    steady,
    window,
)

CUSTOMERS = {"acme": 20.0, "globex": 8.0, "initech": 3.0}  # peak requests per second
SUNDAY_MAINTENANCE = Exclusion.model_validate(
    {"schedule": "weekly", "day": "sunday", "at": "02:00", "duration": "2h", "timezone": "Europe/Berlin"}
)


def worsening(start: float, end: float, low: float, high: float) -> ErrorRatio:
    """Error ratio climbing linearly from ``low`` to ``high`` between start and end."""
    return lambda t: 0.0 if t < start else low + (high - low) * min(1.0, (t - start) / (end - start))


def during_maintenance(timeline: Timeline, ratio: float) -> ErrorRatio:
    spans = intervals([SUNDAY_MAINTENANCE], timeline.start, timeline.end)
    return lambda t: ratio if any(a <= t < b for a, b in spans) else 0.0


def afternoon(days_ago: int, end: float) -> float:
    """13:00 UTC ``days_ago`` days before ``end``: incidents hit busy hours whenever the demo runs."""
    return end - end % DAY - days_ago * DAY + 13 * HOUR


def checkout(timeline: Timeline, rng: random.Random) -> list[Metric]:
    now = timeline.end
    incident = afternoon(6, now)
    errors = {
        "acme": combine(steady(0.0002), worsening(now - DAY, now, 0.0, 0.004), during_maintenance(timeline, 0.1)),
        "globex": combine(steady(0.0002), window(incident, incident + 90 * 60, 0.4)),
        "initech": steady(0.0001),
    }
    metrics: list[Metric] = []
    for customer, peak in CUSTOMERS.items():
        labels = {"service": "checkout", "customer": customer}
        requests = request_counts(timeline, peak, rng)
        metrics += http_counters(labels, requests, split_errors(requests, timeline, errors[customer], rng))
        slow = split_errors(requests, timeline, combine(steady(0.004), errors[customer]), rng)
        metrics += latency_histogram(labels, requests, slow)
    return metrics


def platform(timeline: Timeline, rng: random.Random) -> list[Metric]:
    api_requests = request_counts(timeline, 30.0, rng)
    search_requests = request_counts(timeline, 12.0, rng)
    return [
        *http_counters({"service": "public-api"}, api_requests, split_errors(api_requests, timeline, steady(0.0006), rng)),
        *latency_histogram({"service": "search"}, search_requests, split_errors(search_requests, timeline, steady(0.006), rng)),
    ]


def gauges(timeline: Timeline) -> list[Metric]:
    now, stamps = timeline.end, timeline.timestamps
    probe_down = window(afternoon(2, now), afternoon(2, now) + 20 * 60, 1.0)
    stale = window(afternoon(4, now), afternoon(4, now) + 2 * HOUR, 1.0)
    return [
        Metric("probe_success", {"job": "blackbox", "service": "edge"}, [1.0 - probe_down(t) for t in stamps], "gauge"),
        Metric("queue_oldest_message_age_seconds", {"queue": "ingest"},
               [900.0 if stale(t) else 45.0 + (t % 600) / 10 for t in stamps], "gauge"),
    ]


def demo_metrics(end: float, days: int = 30, step: int = 60, seed: int = 2026) -> tuple[Timeline, list[Metric]]:
    """Every raw series the example SLAs read, ``days`` of history ending at ``end``."""
    timeline = Timeline(end - days * DAY, end, step)
    rng = random.Random(seed)
    return timeline, [*checkout(timeline, rng), *platform(timeline, rng), *gauges(timeline)]

"""Synthetic metric history with known ground truth, for the demo, tests and benchmarks.

Traffic is bursty on purpose (peaks ten times the night-time rate) because that is where averaging
short-window ratios goes wrong: a quiet night minute would weigh as much as a peak-hour minute.
Pure: returns counters as numbers; pledge.prom writes them into a Prometheus.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Callable

from pledge.sla.units import DAY, HOUR

ErrorRatio = Callable[[float], float]


@dataclass
class Metric:
    """One series: cumulative counter values (or gauge values) at each step of ``timestamps``."""

    name: str
    labels: dict[str, str]
    values: list[float] = field(default_factory=list)
    kind: str = "counter"


@dataclass(frozen=True)
class Timeline:
    start: float
    end: float
    step: int

    @property
    def timestamps(self) -> list[float]:
        count = int((self.end - self.start) // self.step) + 1
        return [self.start + i * self.step for i in range(count)]


def diurnal(t: float, peak_hour: float = 14.0) -> float:
    """Traffic shape over a UTC day: 1.0 at the peak, 0.1 in the dead of night (10x swing)."""
    phase = math.cos(2 * math.pi * ((t % DAY) / HOUR - peak_hour) / 24)
    return 0.1 + 0.9 * ((1 + phase) / 2) ** 3


def window(start: float, end: float, ratio: float) -> ErrorRatio:
    """``ratio`` of requests fail inside [start, end), none outside."""
    return lambda t: ratio if start <= t < end else 0.0


def combine(*parts: ErrorRatio) -> ErrorRatio:
    return lambda t: min(1.0, sum(p(t) for p in parts))


def steady(ratio: float) -> ErrorRatio:
    return lambda t: ratio


def request_counts(timeline: Timeline, peak_rps: float, rng: random.Random) -> list[int]:
    """Requests in each step, bursty and noisy but reproducible for a given seed."""
    counts = []
    for t in timeline.timestamps[1:]:
        expected = peak_rps * timeline.step * diurnal(t)
        counts.append(max(0, round(rng.gauss(expected, math.sqrt(expected) + 0.5))))
    return counts


def split_errors(requests: list[int], timeline: Timeline, errors: ErrorRatio, rng: random.Random) -> list[int]:
    """Failed requests per step: the expected share, with binomial-like rounding noise."""
    bad = []
    for n, t in zip(requests, timeline.timestamps[1:]):
        expected = n * errors(t)
        bad.append(min(n, max(0, int(expected) + (1 if rng.random() < expected - int(expected) else 0))))
    return bad


def cumulative(increments: list[int | float]) -> list[float]:
    total, values = 0.0, [0.0]
    for increment in increments:
        total += increment
        values.append(total)
    return values


def http_counters(labels: dict[str, str], requests: list[int], bad: list[int]) -> list[Metric]:
    """http_requests_total split into code="200" and code="500" series."""
    good = [n - b for n, b in zip(requests, bad)]
    return [
        Metric("http_requests_total", {**labels, "code": "200"}, cumulative(list(good))),
        Metric("http_requests_total", {**labels, "code": "500"}, cumulative(list(bad))),
    ]


def latency_histogram(labels: dict[str, str], requests: list[int], slow: list[int]) -> list[Metric]:
    """A classic histogram where ``slow[i]`` of ``requests[i]`` took longer than 0.3 s."""
    below: dict[str, Callable[[int, int], int]] = {
        "0.05": lambda n, s: round(0.6 * (n - s)),
        "0.1": lambda n, s: round(0.9 * (n - s)),
        "0.3": lambda n, s: n - s,
        "1": lambda n, s: n - s // 2,
        "3": lambda n, s: n,
        "+Inf": lambda n, s: n,
    }
    metrics = [
        Metric("http_request_duration_seconds_bucket", {**labels, "le": le},
               cumulative([count(n, s) for n, s in zip(requests, slow)]))
        for le, count in below.items()
    ]
    metrics.append(Metric("http_request_duration_seconds_count", dict(labels), cumulative(list(requests))))
    return metrics

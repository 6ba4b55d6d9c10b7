"""The SLI that the generated rules record on a real Prometheus equals the exact SLI, to the tile.

History (30 days of bursty traffic: 10x daytime peaks, idle nights, incidents straddling the start
of the 30-day period and of the 1-day window, one at night mid-period) is written with `promtool
tsdb create-blocks-from openmetrics`, at 60 s and at 30 s scrape, the rules' tiles with
`create-blocks-from rules`, and the figures are read back from the server with the moment each was
recorded. The exact figures are computed here in Python from the raw counts over the span the tiles
of that moment cover (pledge.rules.tiles: whole 5 m tiles, dropped whole where they touch
maintenance). An average of 5-minute ratios (what Sloth records) over the same data is shown to be off.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest

from pledge.prom import PrometheusClient
from pledge.rules import generate
from pledge.rules.names import TILE
from pledge.slo.exclusions import intervals
from pledge.sla.units import DAY, HOUR, MINUTE
from pledge.testing import LocalPrometheus
from pledge.testing.history import load_history
from tests.support.events import Truth
from pledge.testing.synthetic import (
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
from tests.support.slas import ratio_sli, sla

pytestmark = pytest.mark.integration

END = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.timezone.utc).timestamp()
MONTH_START = dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.timezone.utc).timestamp()  # Nov 1st, Berlin
INCIDENT = (END - 10 * DAY - 10 * HOUR, END - 10 * DAY - 7 * HOUR)  # 02:00-05:00 UTC: the quiet hours
PERIOD_EDGE = (END - 30 * DAY - 40 * MINUTE, END - 30 * DAY + 40 * MINUTE)  # straddles the period's start
DAY_EDGE = (END - DAY - 20 * MINUTE, END - DAY + 20 * MINUTE)  # straddles the 1 d window's start
SUNDAYS = {"schedule": "weekly", "day": "sunday", "at": "02:00", "duration": "2h", "timezone": "Europe/Berlin"}
PERIOD_BOUND, DAY_BOUND = 1e-6, 1e-5  # the goals; measured: within float rounding (1e-15)


SLAS = [
    sla("bursty", "accuracy", objective="main", window={"rolling": "30d"}, sli=ratio_sli("bursty")),
    sla("edges", "accuracy", objective="main", window={"rolling": "30d"}, sli=ratio_sli("edges")),
    sla("spelled", "accuracy", objective="main", window={"rolling": "30d"},
        sli={"latency": {"histogram": "http_request_duration_seconds", "selector": '{service="spelled"}', "threshold": 0.3}}),
    sla("monthly", "accuracy", objective="main", window={"calendar": "month", "timezone": "Europe/Berlin"},
        sli=ratio_sli("monthly"), exclusions=[SUNDAYS]),
]
MAINTENANCE = intervals(SLAS[3].spec.exclusions, END - 31 * DAY, END)


def history(timeline: Timeline) -> tuple[list[Metric], dict[str, Truth]]:
    rng = random.Random(7)
    metrics: list[Metric] = []
    truth: dict[str, Truth] = {}
    errors = {
        "bursty": combine(steady(0.0005), window(*INCIDENT, 0.2)),
        "edges": combine(steady(0.0005), window(*PERIOD_EDGE, 0.5), window(*DAY_EDGE, 0.5)),
        "spelled": combine(steady(0.002), window(*INCIDENT, 0.3)),
        "monthly": combine(steady(0.0004), lambda t: 0.3 if any(a < t <= b for a, b in MAINTENANCE) else 0.0),
    }
    for service, error_ratio in errors.items():
        requests = request_counts(timeline, 20.0, rng)
        bad = split_errors(requests, timeline, error_ratio, rng)
        truth[service] = Truth(timeline.timestamps[1:], requests, bad)
        if service == "spelled":  # exported as le="0.30", the spelling trap
            for metric in latency_histogram({"service": service}, requests, bad):
                metric.labels = {k: ("0.30" if v == "0.3" else v) for k, v in metric.labels.items()}
                metrics.append(metric)
        else:
            metrics += http_counters({"service": service}, requests, bad)
    return metrics, truth


Found = dict[str, dict[str, tuple[float, float]]]  # figure -> sla -> (value, when it was recorded)
QUERIES = {
    "ratio": "pledge:sli_error_ratio:period",
    "budget": "pledge:error_budget_remaining:ratio",
    "requests": "pledge:sli_requests:period_increase",
    "day": "pledge:sli_error_ratio:rate1d",
    "averaged": "avg_over_time((pledge:sli_errors:increase5m / pledge:sli_requests:increase5m)[30d:5m])",
}


async def read(url: str) -> Found:
    """Each figure at END, with the moment of the sample it comes from."""
    found: Found = {}
    async with PrometheusClient(url, timeout=120) as client:
        for name, query in QUERIES.items():
            stamps = {s.labels["sla"]: s.value for s in await client.query(f"timestamp({query})", at=END)}
            found[name] = {s.labels["sla"]: (s.value, stamps[s.labels["sla"]]) for s in await client.query(query, at=END)}
    return found


@pytest.fixture(scope="module", params=[60, 30], ids=["scrape-60s", "scrape-30s"])
def recorded(request: pytest.FixtureRequest) -> Iterator[tuple[Found, dict[str, Truth]]]:
    timeline = Timeline(END - 31 * DAY, END, request.param)
    metrics, truth = history(timeline)
    groups = [g for s in SLAS for g in generate(s)]
    with LocalPrometheus() as prom:
        asyncio.run(load_history(prom, timeline, metrics, groups))
        yield asyncio.run(read(prom.url)), truth


@pytest.mark.parametrize("service", ["bursty", "edges"])
def test_rolling_period_is_exact_to_the_tile(recorded: Any, service: str) -> None:
    found, truth = recorded
    ratio, at = found["ratio"][service]
    exact, requests = truth[service].tiled(at - 30 * DAY, at)
    print(f"{service}: exact {exact:.9f}, pledge {ratio:.9f}, off by {abs(ratio - exact):.1e}")
    assert abs(ratio - exact) <= PERIOD_BOUND
    assert found["requests"][service] == (requests, at)
    assert found["budget"][service][0] == pytest.approx(1 - exact / 0.001, abs=PERIOD_BOUND / 0.001)


@pytest.mark.parametrize("service", ["bursty", "edges"])
def test_day_window_is_exact_to_the_tile(recorded: Any, service: str) -> None:
    found, truth = recorded
    day, at = found["day"][service]
    exact, _ = truth[service].tiled(at - DAY, at)
    print(f"{service} 1d: exact {exact:.9f}, pledge {day:.9f}, off by {abs(day - exact):.1e}")
    assert abs(day - exact) <= DAY_BOUND


def test_the_edges_matter(recorded: Any) -> None:
    """The incidents straddle the period's and the window's start: one tile too many or too few at
    the old end would move the figures by far more than the bounds."""
    found, truth = recorded
    ratio, at = found["ratio"]["edges"]
    assert abs(truth["edges"].tiled(at - 30 * DAY - TILE, at)[0] - ratio) > 100 * PERIOD_BOUND
    day, at = found["day"]["edges"]
    assert abs(truth["edges"].tiled(at - DAY + TILE, at)[0] - day) > 10 * DAY_BOUND


def test_request_weighted_not_an_average_of_ratios(recorded: Any) -> None:
    found, truth = recorded
    ratio, at = found["ratio"]["bursty"]
    exact, _ = truth["bursty"].tiled(at - 30 * DAY, at)
    averaged = found["averaged"]["bursty"][0]
    print(f"bursty: exact {exact:.6f}, pledge {ratio:.6f}, average of 5m ratios {averaged:.6f}")
    assert abs(averaged - exact) > 4e-4  # the night-time incident weighs ten times too much


def test_latency_sli_matches_buckets_spelled_differently(recorded: Any) -> None:
    found, truth = recorded
    ratio, at = found["ratio"]["spelled"]
    exact, _ = truth["spelled"].tiled(at - 30 * DAY, at)
    print(f"spelled: exact {exact:.9f}, pledge {ratio:.9f}")
    assert abs(ratio - exact) <= PERIOD_BOUND


def test_calendar_month_with_exclusions(recorded: Any) -> None:
    found, truth = recorded
    ratio, at = found["ratio"]["monthly"]
    excluded = [(a, b) for a, b in MAINTENANCE if b > MONTH_START]
    assert excluded, "the month so far should contain Sunday maintenance windows"
    exact, _ = truth["monthly"].tiled(MONTH_START, at, excluded)
    with_maintenance, _ = truth["monthly"].tiled(MONTH_START, at)
    print(f"monthly: exact {exact:.9f} (with maintenance {with_maintenance:.6f}), pledge {ratio:.9f}")
    assert abs(ratio - exact) <= PERIOD_BOUND
    assert with_maintenance - exact > 1e-3, "maintenance errors should have mattered had they counted"

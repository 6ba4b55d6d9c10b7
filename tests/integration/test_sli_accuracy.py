"""The period SLI that the generated rules record on a real Prometheus equals the exact SLI.

History (30 days of bursty traffic: 10x daytime peaks, idle nights, one night-time incident) is
written with `promtool tsdb create-blocks-from openmetrics`, the rules' base rates with
`create-blocks-from rules`, and the figures are read back from the server. The exact SLI is computed
here in Python from the raw counts. An average of 5-minute ratios (what Sloth records) over the same
data is shown to be off, which is why pledge sums counts instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pledge.prom import PrometheusClient
from pledge.testing import LocalPrometheus
from pledge.testing.history import load_history
from pledge.rules import generate, rule_file, to_yaml
from pledge.slo.exclusions import intervals
from pledge.sla import ServiceLevelAgreement, parse_sla
from pledge.sla.units import DAY, HOUR
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

pytestmark = pytest.mark.integration

END = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.timezone.utc).timestamp()
MONTH_START = dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.timezone.utc).timestamp()  # Nov 1st, Berlin
TIMELINE = Timeline(END - 31 * DAY, END, 60)
INCIDENT = (END - 10 * DAY - 10 * HOUR, END - 10 * DAY - 7 * HOUR)  # 02:00-05:00 UTC: the quiet hours
SUNDAYS = {"schedule": "weekly", "day": "sunday", "at": "02:00", "duration": "2h", "timezone": "Europe/Berlin"}


def sla(name: str, window_spec: dict[str, str], sli: dict[str, Any], **spec: Any) -> ServiceLevelAgreement:
    return parse_sla({
        "apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement",
        "metadata": {"name": name, "namespace": "accuracy"},
        "spec": {"service": name, "window": window_spec,
                 "objectives": [{"name": "main", "target": "99.9", "sli": sli}], **spec},
    })


def ratio_sli(service: str) -> dict[str, Any]:
    return {"ratio": {"errors": f'http_requests_total{{service="{service}",code="500"}}',
                      "total": f'http_requests_total{{service="{service}"}}'}}


SLAS = [
    sla("bursty", {"rolling": "30d"}, ratio_sli("bursty")),
    sla("spelled", {"rolling": "30d"}, {"latency": {"histogram": "http_request_duration_seconds",
                                                   "selector": '{service="spelled"}', "threshold": 0.3}}),
    sla("monthly", {"calendar": "month", "timezone": "Europe/Berlin"}, ratio_sli("monthly"), exclusions=[SUNDAYS]),
]


@dataclass
class Truth:
    requests: list[int]
    bad: list[int]

    def ratio(self, start: float, end: float, excluded: list[tuple[float, float]] = []) -> tuple[float, int]:
        """Exact error ratio and valid events for steps ending in (start, end], outside ``excluded``."""
        total = errors = 0
        for n, b, t in zip(self.requests, self.bad, TIMELINE.timestamps[1:]):
            if start < t <= end and not any(a <= t - 60 and t <= e for a, e in excluded):
                total, errors = total + n, errors + b
        return errors / total, total


def history() -> tuple[list[Metric], dict[str, Truth]]:
    rng = random.Random(7)
    metrics: list[Metric] = []
    truth: dict[str, Truth] = {}
    maintenance = intervals(SLAS[2].spec.exclusions, TIMELINE.start, TIMELINE.end)
    errors = {
        "bursty": combine(steady(0.0005), window(*INCIDENT, 0.2)),
        "spelled": combine(steady(0.002), window(*INCIDENT, 0.3)),
        "monthly": combine(steady(0.0004), lambda t: 0.3 if any(a < t <= b for a, b in maintenance) else 0.0),
    }
    for service, error_ratio in errors.items():
        requests = request_counts(TIMELINE, 20.0, rng)
        bad = split_errors(requests, TIMELINE, error_ratio, rng)
        truth[service] = Truth(requests, bad)
        if service == "spelled":  # exported as le="0.30", the spelling trap
            for metric in latency_histogram({"service": service}, requests, bad):
                metric.labels = {k: ("0.30" if v == "0.3" else v) for k, v in metric.labels.items()}
                metrics.append(metric)
        else:
            metrics += http_counters({"service": service}, requests, bad)
    return metrics, truth


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, dict[str, float]], dict[str, Truth]]]:
    metrics, truth = history()
    groups = [g for s in SLAS for g in generate(s)]
    rules = Path(tmp_path_factory.mktemp("rules")) / "rules.yaml"
    rules.write_text(to_yaml(rule_file(groups)))
    with LocalPrometheus() as prom:
        asyncio.run(load_history(prom, TIMELINE, metrics, groups))
        yield asyncio.run(read(prom.url)), truth


QUERIES = {
    "ratio": "pledge:sli_error_ratio:period",
    "budget": "pledge:error_budget_remaining:ratio",
    "requests": "pledge:sli_requests:period_increase",
    "averaged": "avg_over_time((pledge:sli_errors:rate5m / pledge:sli_requests:rate5m)[30d:1m])",
}


async def read(url: str) -> dict[str, dict[str, float]]:
    async with PrometheusClient(url, timeout=120) as client:
        return {name: {s.labels["sla"]: s.value for s in await client.query(q, at=END)} for name, q in QUERIES.items()}


def test_rolling_period_sli_is_exact_and_request_weighted(recorded: Any) -> None:
    found, truth = recorded
    exact, _ = truth["bursty"].ratio(END - 30 * DAY, END)
    averaged = found["averaged"]["bursty"]
    print(f"bursty: exact {exact:.6f}, pledge {found['ratio']['bursty']:.6f}, average of 5m ratios {averaged:.6f}")
    assert abs(found["ratio"]["bursty"] - exact) <= 1e-4
    # the night-time incident weighs ten times too much when 5m ratios are averaged
    assert abs(averaged - exact) > 4e-4
    assert abs(averaged - exact) > 10 * abs(found["ratio"]["bursty"] - exact)


def test_budget_and_event_counts(recorded: Any) -> None:
    found, truth = recorded
    exact, requests = truth["bursty"].ratio(END - 30 * DAY, END)
    assert found["budget"]["bursty"] == pytest.approx(1 - exact / 0.001, abs=0.1)
    assert found["requests"]["bursty"] == pytest.approx(requests, rel=0.005)


def test_latency_sli_matches_buckets_spelled_differently(recorded: Any) -> None:
    found, truth = recorded
    exact, _ = truth["spelled"].ratio(END - 30 * DAY, END)
    print(f"spelled: exact {exact:.6f}, pledge {found['ratio'].get('spelled')}")
    assert abs(found["ratio"]["spelled"] - exact) <= 1e-4


def test_calendar_month_with_exclusions(recorded: Any) -> None:
    found, truth = recorded
    excluded = intervals(SLAS[2].spec.exclusions, MONTH_START, END)
    assert excluded, "the month so far should contain Sunday maintenance windows"
    exact, _ = truth["monthly"].ratio(MONTH_START, END, excluded)
    with_maintenance, _ = truth["monthly"].ratio(MONTH_START, END)
    print(f"monthly: exact {exact:.6f} (with maintenance {with_maintenance:.6f}), pledge {found['ratio'].get('monthly')}")
    assert abs(found["ratio"]["monthly"] - exact) <= 1e-4
    assert with_maintenance - exact > 1e-3, "maintenance errors should have mattered had they counted"

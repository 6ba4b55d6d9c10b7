"""Whole periods through `promtool test rules`: a 30 d rolling SLA over 35 days and a calendar
quarter (Asia/Tokyo) over 93 days, counters scraped every minute.

The tiles are exact only when promtool evaluates them every 5 minutes (it evaluates every group at
the test's evaluation_interval), so both runs use 5m. The recorded period events must equal the
counters' growth computed here over the tiles the period holds, and SLABudgetExhausted must change
state exactly at the evaluations where that growth crosses the budget (never before the incident).
A run also fails if any query, a rule's included, hits promtool's 10,000-sample cap.

Measured on 2 shared cores: the rolling run takes about 2 minutes, the quarter 15 (14 of promtool
CPU; its evaluations grow dearer as the hour tiles fill the quarter). The quarter is in Tokyo
because a zone with daylight saving makes every evaluation dearer still (the local time spells out
each future change): Europe/Berlin took 69 s for the first 2 days, Tokyo 9 s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import pytest

from pledge.rules import generate, rule_file, to_yaml
from pledge.rules.names import ERRORS_PERIOD, REQUESTS_PERIOD, TILE
from pledge.sla import parse_sla
from pledge.slo.periods import calendar_period
from pledge.sla.units import DAY, HOUR, MINUTE
from tests.support.promtool_unit import Sample, counter_values, probe
from tests.support.slas import document

pytestmark = pytest.mark.integration

BUDGET = 0.001  # 99.9 %
ZONE = "Asia/Tokyo"  # 9 h ahead of UTC, no daylight saving
EXHAUSTED = 'ALERTS{alertname="SLABudgetExhausted"}'
Incident = tuple[int, int, float]  # start, end (unix seconds), share of requests failing


@dataclass(frozen=True)
class Traffic:
    """Counters sampled every minute: requests vary by the hour, a few hours carry one error a
    minute (about 0.02 %), incidents fail a share of the requests. Both counters start above zero:
    their first value is history the tiles must not count."""

    requests: list[int]  # cumulative, index i = the value at i minutes
    errors: list[int]

    @classmethod
    def of(cls, end: int, incidents: list[Incident]) -> Traffic:
        requests, errors = [], []
        for minute in range(end // MINUTE):
            t, hour = (minute + 1) * MINUTE, minute // 60
            total = 600 + 60 * (hour * 7 % 11)
            share = next((s for start, stop, s in incidents if start < t <= stop), 0.0)
            errors.append(int(total * share) if share else int(hour % 5 == 2))
            requests.append(total)
        return cls(list(accumulate(requests, initial=40_000)), list(accumulate(errors, initial=70)))

    def series(self, name: str) -> dict[str, str]:
        good = [r - e for r, e in zip(_steps(self.requests), _steps(self.errors))]
        return {f'http_requests_total{{service="{name}",code="200"}}': counter_values(good, self.requests[0] - self.errors[0]),
                f'http_requests_total{{service="{name}",code="500"}}': counter_values(_steps(self.errors), self.errors[0])}

    def growth(self, since: int, at: int) -> tuple[int, int] | None:
        """(errors, requests) in the tiles recorded up to ``at`` that started at ``since`` or later;
        the first tile ends 5 m after the first sample. None: no such tile, so nothing recorded."""
        first = max(since, 0)
        if at - TILE < first:
            return None
        return (self.errors[at // MINUTE] - self.errors[first // MINUTE],
                self.requests[at // MINUTE] - self.requests[first // MINUTE])


def _steps(cumulative: list[int]) -> list[float]:
    return [float(b - a) for a, b in zip(cumulative, cumulative[1:])]


def exhausted(events: tuple[int, int] | None) -> bool:
    return events is not None and events[1] > 0 and events[0] / events[1] > BUDGET


def run(tmp_path: Path, document: dict[str, Any], traffic: Traffic, end: int, since: Callable[[int], int],
        times: list[int]) -> list[int]:
    """Probe the period events at ``times`` and the alert around each change of state; assert both
    against ``traffic``. ``since(t)``: where the period holding ``t`` starts. Returns the changes."""
    name = document["metadata"]["name"]
    path = tmp_path / "rules.yaml"
    path.write_text(to_yaml(rule_file(generate(parse_sla(document)))))
    evaluations = range(0, end + 1, TILE)
    state = {t: exhausted(traffic.growth(since(t), t)) for t in evaluations}
    changes = [t for t in evaluations[1:] if state[t] != state[t - TILE]]
    probed = sorted({*times, *changes, *(t - TILE for t in changes)})
    exprs = [ERRORS_PERIOD, REQUESTS_PERIOD, EXHAUSTED]
    found = probe([path], traffic.series(name), [(e, t) for e in exprs for t in probed], interval=TILE, scrape=MINUTE,
                  timeout=1200)
    for t in probed:
        events = traffic.growth(since(t), t)
        assert [_value(found[(e, t)]) for e in exprs[:2]] == (list(events) if events else [None, None]), t
        assert bool(found[(EXHAUSTED, t)]) == state[t], t
    return changes


def _value(samples: list[Sample]) -> float | None:
    assert len(samples) <= 1, samples
    return samples[0].value if samples else None


def test_rolling_30d_over_35_days(tmp_path: Path) -> None:
    end = 35 * DAY
    first, second = (DAY, DAY + 3 * HOUR, 0.3), (33 * DAY, 33 * DAY + 3 * HOUR, 0.3)
    traffic = Traffic.of(end, [first, second])
    times = [DAY, 29 * DAY + 23 * HOUR + 55 * MINUTE, 30 * DAY, 30 * DAY + TILE, 31 * DAY + HOUR + 35 * MINUTE, end]
    fired, resolved, fired_again = run(tmp_path, document("rolling", "long", window={"rolling": "30d"}), traffic, end,
                                       lambda t: t - 30 * DAY, times)
    # the first incident spends the budget, and leaves it when it leaves the window
    assert first[0] < fired <= first[1] and 30 * DAY + first[0] < resolved <= 30 * DAY + first[1]
    assert second[0] < fired_again <= second[1]


@pytest.mark.long
def test_calendar_quarter_over_93_days(tmp_path: Path) -> None:
    end = 93 * DAY
    q2 = int(calendar_period("quarter", ZONE, end).start)
    assert q2 == 90 * DAY - 9 * HOUR  # 1970-04-01 00:00 in Tokyo
    first, second = (60 * DAY, 60 * DAY + 6 * HOUR, 0.4), (q2 + DAY, q2 + DAY + HOUR, 0.4)
    traffic = Traffic.of(end, [first, second])
    times = [DAY, 45 * DAY + 35 * MINUTE, q2 - TILE, q2, q2 + TILE, q2 + HOUR + TILE, q2 + HOUR + 2 * TILE, end]
    fired, reset, fired_again = run(tmp_path, document("quarter", "long", window={"calendar": "quarter", "timezone": ZONE}), traffic,
                                    end, lambda t: int(calendar_period("quarter", ZONE, t).start), times)
    # the budget spent in Q1 stays spent until Q2 begins with a budget of its own
    assert first[0] < fired <= first[1] and reset == q2 and second[0] < fired_again <= second[1]

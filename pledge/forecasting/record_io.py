"""The track record's inputs from Prometheus: the served predictions and the periods' outcomes.

Two range queries per time chunk for every SLA at once (chunks as pledge.forecasting.fetch cuts them):

- ``last_over_time(pledge_breach_probability[1h])`` at every whole UTC hour: the last prediction the
  API exported in the hour up to it, so a daily decision at 00:00 UTC reads the point at 00:00;
- the period's error ratio (``pledge:sli_error_ratio:period``) at one second before every whole UTC
  hour: the calendar rules split periods at whole UTC hours, so the point one second before a period's
  end holds its final ratio, and the first point where ratio x elapsed share > budget places the
  breach moment to the hour (it lies in the hour before that point).

Only calendar windows are judged: a rolling window's prediction is about the next 7 days, not about a
period that closes. Several series of one row (API replicas scraped apart, with their own ``job`` and
``instance``) count as one: the highest value, as the SLABreachPredicted alert reads them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from pledge.forecasting.fetch import MAX_POINTS
from pledge.forecasting.record import Judged, outcome
from pledge.prom.client import PrometheusClient, RangeSeries
from pledge.rules.names import BREACH_PROBABILITY, ERROR_RATIO_PERIOD
from pledge.rules.queries import any_sla_matchers
from pledge.sla import ServiceLevelAgreement
from pledge.sla.identity import IDENTITY_LABELS, OBJECTIVE_LABEL, Group, group_of
from pledge.sla.percent import budget_ratio
from pledge.sla.units import HOUR
from pledge.slo.periods import Period, calendar_period

Key = tuple[tuple[str, str], ...]  # identity and grouping labels, sorted


@dataclass(frozen=True)
class RowPeriod:
    """One judged (SLA, objective, group, closed period)."""

    sla: ServiceLevelAgreement
    objective: str
    group: Group
    period: Judged


def closed_periods(sla: ServiceLevelAgreement, at: float, count: int) -> list[Period]:
    """The ``count`` calendar periods of the SLA that closed at or before ``at``, oldest first."""
    window = sla.spec.window
    assert window.calendar is not None
    found = [calendar_period(window.calendar, window.timezone, at)]
    if found[0].end > at:
        found = [calendar_period(window.calendar, window.timezone, found[0].start - 1)]
    while len(found) < count:
        found.append(calendar_period(window.calendar, window.timezone, found[-1].start - 1))
    return found[::-1]


def _key(labels: dict[str, str], grouping: list[str]) -> Key:
    return tuple(sorted({**{k: labels.get(k, "") for k in IDENTITY_LABELS}, **dict(group_of(labels, grouping))}.items()))


async def _range(client: PrometheusClient, expr: str, grid: np.ndarray) -> list[RangeSeries]:
    found: list[RangeSeries] = []
    for first in range(0, grid.size, MAX_POINTS):
        chunk = grid[first:first + MAX_POINTS]
        found += await client.query_range(expr, float(chunk[0]), float(chunk[-1]), HOUR)
    return found


def _by_key(found: list[RangeSeries], grouping: dict[tuple[str, str], list[str]]) -> dict[Key, tuple[np.ndarray, np.ndarray]]:
    """(times, values) per row key; several series of a row merged by their highest value at each time."""
    merged: dict[Key, dict[float, float]] = defaultdict(dict)
    for item in found:
        ref = (item.labels.get("sla_namespace", ""), item.labels.get("sla", ""))
        if ref not in grouping:
            continue
        points = merged[_key(item.labels, grouping[ref])]
        for t, v in zip(item.times.tolist(), item.numbers.tolist()):
            if np.isfinite(v):
                points[t] = max(v, points.get(t, -np.inf))
    return {k: (np.array(sorted(p)), np.array([p[t] for t in sorted(p)])) for k, p in merged.items()}


async def judged_periods(client: PrometheusClient, slas: list[ServiceLevelAgreement], at: float,
                         count: int) -> list[RowPeriod]:
    """Every row of the calendar SLAs in ``slas`` with its ``count`` last closed periods, each with the
    predictions served during it and its outcome; a period without a recorded ratio (unknown) is left out."""
    calendar = [s for s in slas if s.spec.window.calendar is not None]
    periods = {s.ref: closed_periods(s, at, count) for s in calendar}
    if not calendar:
        return []
    start = min(p[0].start for p in periods.values())
    end = max(p[-1].end for p in periods.values())
    hours = np.arange(int(start) // HOUR * HOUR, int(end) + HOUR, HOUR, dtype=np.int64)
    matcher = any_sla_matchers([s.metadata.name for s in calendar])
    grouping = {(s.metadata.namespace, s.metadata.name): list(s.spec.grouping) for s in calendar}
    served = _by_key(await _range(client, f"last_over_time({BREACH_PROBABILITY}{matcher}[1h])", hours), grouping)
    ratios = _by_key(await _range(client, f"{ERROR_RATIO_PERIOD}{matcher}", hours + HOUR - 1), grouping)
    found: list[RowPeriod] = []
    empty = (np.zeros(0), np.zeros(0))
    for sla in calendar:
        ident = sla.ref.labels().items()
        for objective in sla.spec.objectives:
            budget = float(budget_ratio(objective.target))
            mine = {k for k in (*served, *ratios) if ident <= dict(k).items() and dict(k)[OBJECTIVE_LABEL] == objective.name}
            for key in sorted(mine):
                group = group_of(dict(key), sla.spec.grouping)
                times, values = served.get(key, empty)
                for period in periods[sla.ref]:
                    settled = outcome(*ratios.get(key, empty), period.start, period.end, budget)
                    if settled is None:
                        continue
                    inside = (times > period.start) & (times < period.end)
                    found.append(RowPeriod(sla, objective.name, group, Judged(
                        period.start, period.end, times[inside], values[inside], settled[0], settled[1], period.label)))
    return found

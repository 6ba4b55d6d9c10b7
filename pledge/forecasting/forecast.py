"""The serving entry point: history arrays in, a Forecast per series out. Pure, so the API, the
operator's status timer and `pledge forecast` all call this one function."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from pledge.forecasting.counts import Counts, burn, counts, future_traffic, kept_history, now
from pledge.forecasting.goal import Goal
from pledge.forecasting.analogs import Pledge
from pledge.forecasting.fleet import FleetIncidents, as_slices, time_slices
from pledge.forecasting.methods import RowPredictions
from pledge.forecasting.series import Floats, Ints, StepCounts
from pledge.slo.budget import Compliance, compliance, error_ratio
from pledge.slo.periods import calendar_elapsed, current_period
from pledge.sla.tiers import period_seconds

ROLLING_HORIZON = 7 * 86_400
CURRENT_BURN = 3_600
CHUNK = 1_000  # series per batch: bounds memory at (chunk x horizon steps) floats


@dataclass(frozen=True)
class Forecast:
    at: int
    horizon: int
    probability: float
    breach_at: int | None
    breach_earliest: int | None
    breach_latest: int | None
    projected_sli: float | None
    exhaustion_at: int | None
    current: Compliance


class Outlook(Protocol):
    """A serving method: the rows' predictions and their expected burn to the horizon."""

    def outlook(self, c: Counts, s: Ints, i: Ints, horizon: int) -> tuple[RowPredictions, Floats]: ...


def default_horizon(goal: Goal, at: int) -> int:
    """Until the end of the current calendar period, or 7 days for rolling windows."""
    if goal.window.calendar is None:
        return ROLLING_HORIZON
    return int(current_period(goal.window, float(at)).end) - at


def _to_period_end(goal: Goal, at: int, horizon: int) -> bool:
    """Whether the horizon ends with the calendar period: then the question is the period's end."""
    return goal.window.calendar is not None and int(current_period(goal.window, float(at)).end) == at + horizon


def forecast(series: StepCounts, goal: Goal, horizon: int | None = None) -> list[Forecast]:
    """One forecast per row of ``series`` (1-D: one series) at its last step."""
    rows = np.atleast_2d(series.errors).shape[0]
    out: list[Forecast] = []
    for start in range(0, rows, CHUNK):
        part = StepCounts(series.timestamps, np.atleast_2d(series.errors)[start:start + CHUNK],
                      np.atleast_2d(series.total)[start:start + CHUNK], series.step)
        out += _chunk(part, goal, horizon)
    return out


def _chunk(series: StepCounts, goal: Goal, horizon: int | None) -> list[Forecast]:
    at = int(series.timestamps[-1])
    h = horizon or default_horizon(goal, at)
    slices = time_slices(series, goal.objective.sli.kind == "bool_gauge") if goal.window.calendar is not None \
        else np.zeros(np.atleast_2d(series.total).shape[0], dtype=bool)
    out: list[Forecast | None] = [None] * slices.size
    for rows, part, method in ((np.flatnonzero(slices), as_slices(series), FleetIncidents()),
                               (np.flatnonzero(~slices), series, Pledge(period_end=_to_period_end(goal, at, h)))):
        if rows.size:
            taken = part if rows.size == slices.size else \
                StepCounts(part.timestamps, np.atleast_2d(part.errors)[rows], np.atleast_2d(part.total)[rows], part.step)
            for r, f in zip(rows.tolist(), _forecasts(taken, goal, at, h, method)):
                out[r] = f
    return [f for f in out if f is not None]


def _forecasts(series: StepCounts, goal: Goal, at: int, h: int, method: Outlook) -> list[Forecast]:
    c = counts(series, goal)
    rows = c.errors.shape[0]
    s, i = np.arange(rows, dtype=np.int64), np.full(rows, series.timestamps.size - 1, dtype=np.int64)
    p, median = method.outlook(c, s, i, h)
    bad, valid = now(c, s, i)
    elapsed = calendar_elapsed(goal.window, float(at))  # an open calendar period below target is Behind, not Breached
    current = [compliance(None if math.isnan(v) else error_ratio(b, v), goal.objective, elapsed=elapsed)
               for b, v in zip(bad.tolist(), valid.tolist())]
    rate = burn(c, s, i, CURRENT_BURN)
    sli = _projected_sli(c, s, i, h, median)

    def when(k: int) -> int | None:
        return at + k * series.step if k else None

    return [Forecast(at, h, float(p.probability[r]), when(int(p.expected[r])), when(int(p.earliest[r])),
                     when(int(p.latest[r])), sli[r], _exhaustion(at, current[r], float(rate[r]), goal), current[r])
            for r in range(rows)]


def _projected_sli(c: Counts, s: Ints, i: Ints, horizon: int, future_burn: Floats) -> list[float | None]:
    """The window's SLI at the horizon if the median projected burn holds."""
    steps = max(1, horizon // c.step)
    last = np.array([steps])
    bad, valid = (a[:, 0] for a in kept_history(c, s, i, last))
    traffic = future_traffic(c, s, i, last)[:, 0]
    errors = bad + future_burn * c.goal.budget * traffic
    return [1.0 - e / v if v > 0 else None for e, v in zip(errors.tolist(), (valid + traffic).tolist())]


def _exhaustion(at: int, current: Compliance, rate: float, goal: Goal) -> int | None:
    """When the remaining budget runs out at the last hour's burn (what time-to-exhaustion widgets show)."""
    if current.budget_remaining is None or rate <= 0:
        return None
    left = max(current.budget_remaining, 0.0)
    return at + int(left * period_seconds(goal.window) / rate)

"""Window sums from prefix sums: the compliance window now and at every future step of a horizon.

Rolling windows age old steps out; calendar windows restart at each period boundary. A "row" is one
(series, decision step) pair, so the same code serves a backtest (one series, many decisions) and a
fleet forecast (many series, one decision).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pledge.forecasting.goal import Goal
from pledge.forecasting.series import Floats, Ints, StepCounts, SeriesError, check_window
from pledge.slo.periods import period_starts
from pledge.sla.model import Window
from pledge.sla.units import DAY, HOUR


@dataclass(frozen=True)
class Counts:
    """Prefix sums (one row per series, a leading zero column) and each step's window start."""

    series: StepCounts
    goal: Goal
    errors: Floats
    total: Floats
    window_start: Ints  # first step index inside the window that ends at each step; -1: before the data

    @property
    def step(self) -> int:
        return self.series.step

    @property
    def day(self) -> int:
        return max(1, DAY // self.series.step)


def prefix(values: Floats) -> Floats:
    rows = np.atleast_2d(values)
    out = np.zeros((rows.shape[0], rows.shape[1] + 1))
    np.cumsum(rows, axis=1, out=out[:, 1:])
    return out


def boundaries(window: Window, start: float, end: float) -> Ints:
    """Calendar period starts (pledge.slo.periods) as an array, for vectorised period lookups."""
    assert window.calendar is not None
    return np.array(period_starts(window.calendar, window.timezone, start, end), dtype=np.int64)


def period_index(bounds: Ints, times: Ints) -> Ints:
    """Which period each step belongs to: a step ending exactly at a boundary closes the old period."""
    return np.searchsorted(bounds, times, side="left").astype(np.int64) - 1


def counts(series: StepCounts, goal: Goal) -> Counts:
    n = series.timestamps.size
    if goal.window.rolling is not None:
        check_window(series.step, int(goal.window.rolling))
        start = np.arange(n, dtype=np.int64) + 1 - int(goal.window.rolling) // series.step
    else:
        bounds = boundaries(goal.window, float(series.timestamps[0] - series.step), float(series.timestamps[-1]))
        period = period_index(bounds, series.timestamps)
        first = np.searchsorted(period, period, side="left").astype(np.int64)
        complete = bounds[period] >= series.timestamps[0] - series.step
        start = np.where(complete, first, -1)
    if n * series.step < DAY:
        raise SeriesError(f"need at least one day of history, got {n * series.step / HOUR:g} h")
    return Counts(series, goal, prefix(series.errors), prefix(series.total), np.where(start < 0, -1, start))


def now(c: Counts, s: Ints, i: Ints) -> tuple[Floats, Floats]:
    """Bad and valid events in the window ending at step i (rows whose window start is unknown: NaN)."""
    start = np.maximum(c.window_start[i], 0)
    bad, valid = c.errors[s, i + 1] - c.errors[s, start], c.total[s, i + 1] - c.total[s, start]
    unknown = c.window_start[i] < 0
    return np.where(unknown, np.nan, bad), np.where(unknown, np.nan, valid)


def breached(c: Counts) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth per series and step: breached (ratio above budget) and known (window complete)."""
    rows, n = c.errors.shape[0], c.errors.shape[1] - 1
    s, i = np.repeat(np.arange(rows), n), np.tile(np.arange(n), rows)
    bad, valid = now(c, s, i)
    known = ~np.isnan(valid)
    hit = known & (np.nan_to_num(bad) > c.goal.budget * np.nan_to_num(valid))
    return hit.reshape(rows, n), known.reshape(rows, n)


def recent(c: Counts, s: Ints, i: Ints, seconds: int) -> tuple[Floats, Floats]:
    """Bad and valid events over the last ``seconds`` (at least one step) ending at step i."""
    start = np.maximum(i + 1 - max(1, seconds // c.step), 0)
    return c.errors[s, i + 1] - c.errors[s, start], c.total[s, i + 1] - c.total[s, start]


def burn(c: Counts, s: Ints, i: Ints, seconds: int) -> Floats:
    """Burn rate over the last ``seconds``; 0 without traffic (no traffic spends no budget)."""
    bad, valid = recent(c, s, i, seconds)
    return np.where(valid > 0, bad / np.maximum(valid, 1e-12), 0.0) * c.goal.burn_per_ratio


def ahead(steps: int) -> Ints:
    """Offsets 1..steps: every future step of a horizon."""
    return np.arange(1, steps + 1, dtype=np.int64)


def future_traffic(c: Counts, s: Ints, i: Ints, k: Ints) -> Floats:
    """Valid events expected in (i, i+k] for each offset k: yesterday's traffic repeated (daily shape).

    After a day without data (a collection gap, not a quiet service) the last week's mean day is
    spread evenly instead: "no traffic, so nothing can breach" was wrong on every real series with gaps."""
    d = c.day
    whole, rest = k // d, k % d
    base = np.maximum(i + 1 - d, 0)[:, None]
    daily = (c.total[s, i + 1] - c.total[s, np.maximum(i + 1 - d, 0)])[:, None]
    shaped = whole * daily + c.total[s[:, None], base + rest] - c.total[s[:, None], base]
    week = np.minimum(i + 1, 7 * d)[:, None]
    mean_day = (c.total[s, i + 1][:, None] - c.total[s[:, None], i[:, None] + 1 - week]) / np.maximum(week, 1) * d
    flat: Floats = np.where(daily > 0, shaped, mean_day * k / d)
    return flat


def kept_history(c: Counts, s: Ints, i: Ints, k: Ints) -> tuple[Floats, Floats]:
    """Bad and valid events of today's window still inside the window at i+k, for each offset k."""
    if c.goal.window.rolling is not None:
        width = int(c.goal.window.rolling) // c.step
        start = np.clip(i[:, None] + k - width + 1, 0, None)
        start = np.minimum(start, i[:, None] + 1)
    else:
        stamps = c.series.timestamps[i]
        future = stamps[:, None] + k * c.step
        bounds = boundaries(c.goal.window, float(stamps.min()), float(future.max()))
        same = period_index(bounds, future) == period_index(bounds, stamps)[:, None]
        start = np.where(same, np.maximum(c.window_start[i], 0)[:, None], i[:, None] + 1)
    rows = s[:, None]
    return c.errors[rows, i[:, None] + 1] - c.errors[rows, start], c.total[rows, i[:, None] + 1] - c.total[rows, start]


def required_burn(c: Counts, s: Ints, i: Ints, steps: int) -> Floats:
    """Smallest constant future burn rate that breaches at i+k, for k = 1..steps (inf: cannot).

    Breach at i+k iff kept_bad + b*budget*F > budget*(kept_valid + F), F the future traffic, so
    b > 1 + (budget*kept_valid - kept_bad) / (budget*F).
    """
    bad, valid = kept_history(c, s, i, ahead(steps))
    traffic = future_traffic(c, s, i, ahead(steps))
    budget = c.goal.budget
    with np.errstate(divide="ignore", invalid="ignore"):
        need = 1.0 + (budget * valid - bad) / (budget * traffic)
    return np.where(traffic > 0, need, np.inf)


def first_crossing(need: Floats, rate: Floats) -> Ints:
    """First k (1-based steps) where a constant burn ``rate`` per row exceeds ``need``; 0 if never."""
    over = rate[:, None] > need
    return np.where(over.any(axis=1), over.argmax(axis=1) + 1, 0)

"""Synthetic event histories with known ground truth, built from pledge.testing.synthetic's blocks.

Error ratios are written as multiples of the error budget (burn rates), so one scenario means the
same for any target. The truth is not assumed: the backtest computes it from the generated counts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from pledge.forecasting.goal import Goal, goal_for
from pledge.forecasting.series import StepCounts, exclude
from pledge.sla.duration import Duration
from pledge.sla.model import Exclusion, Window
from pledge.sla.units import DAY, HOUR
from pledge.testing.synthetic import ErrorRatio, Timeline, combine, diurnal, request_counts, split_errors, steady, window

START = 1_767_225_600  # 2026-01-01T00:00:00Z, a Thursday: calendar months start inside the data
STEP = 300
MAINTENANCE = Exclusion.model_validate({"schedule": "weekly", "day": "sunday", "at": "02:00", "duration": "2h"})


@dataclass(frozen=True)
class Scenario:
    name: str
    series: StepCounts
    goal: Goal
    notes: dict[str, float] = field(default_factory=dict)


def ramp(start: float, end: float, low: float, high: float) -> ErrorRatio:
    """Error ratio climbing from ``low`` at ``start`` to ``high`` at ``end``, then holding."""
    return lambda t: 0.0 if t < start else low + (high - low) * min(1.0, (t - start) / (end - start))


def peak_hours(ratio: float, weekdays_only: bool = True) -> ErrorRatio:
    """Errors that follow the load: worst at the daily peak, absent at weekends if asked."""
    def at(t: float) -> float:
        weekend = int((t // DAY + 3) % 7) >= 5  # 1970-01-01 was a Thursday
        return 0.0 if weekdays_only and weekend else ratio * max(0.0, diurnal(t) - 0.5) * 2
    return at


Builder = Callable[[random.Random, float, float], tuple[ErrorRatio, dict[str, float]]]


def _steady(rng: random.Random, b: float, t0: float) -> tuple[ErrorRatio, dict[str, float]]:
    return steady(b * rng.uniform(0.2, 0.6)), {}


def _degradation(rng: random.Random, b: float, t0: float) -> tuple[ErrorRatio, dict[str, float]]:
    start = t0 + rng.uniform(-6, 4) * DAY
    return combine(steady(0.3 * b), ramp(start, start + rng.uniform(3, 8) * DAY, 0.0, b * rng.uniform(2, 5))), {"start": start}


def _seasonal(rng: random.Random, b: float, t0: float) -> tuple[ErrorRatio, dict[str, float]]:
    boost = t0 + rng.uniform(0, 6) * DAY
    before, after = peak_hours(b * rng.uniform(0.4, 1.0)), peak_hours(b * rng.uniform(6, 16))
    return combine(steady(0.2 * b), lambda t: after(t) if t >= boost else before(t)), {"start": boost}


def _outage(rng: random.Random, b: float, t0: float) -> tuple[ErrorRatio, dict[str, float]]:
    start = t0 + rng.uniform(0, 10) * DAY
    length = rng.uniform(40, 150) * 60
    return combine(steady(b * rng.uniform(0.2, 0.5)), window(start, start + length, rng.uniform(0.5, 1.0))), {"start": start}


def _recovering(rng: random.Random, b: float, t0: float) -> tuple[ErrorRatio, dict[str, float]]:
    start = t0 + rng.uniform(0, 10) * DAY
    tau, level = rng.uniform(3, 10) * HOUR, b * rng.uniform(30, 120)
    decay: ErrorRatio = lambda t: level * math.exp(-(t - start) / tau) if t >= start else 0.0
    return combine(steady(b * rng.uniform(0.2, 0.4)), decay), {"start": start}


def _maintenance(rng: random.Random, b: float, t0: float) -> tuple[ErrorRatio, dict[str, float]]:
    return combine(steady(b * rng.uniform(0.2, 0.5)), _in_maintenance(rng.uniform(0.2, 0.8))), {}


def _in_maintenance(ratio: float) -> ErrorRatio:
    """Heavy errors inside the weekly window: excluded, so they must never look like a breach."""
    return lambda t: ratio if 2 * HOUR < (t + 4 * DAY) % (7 * DAY) <= 4 * HOUR else 0.0  # steps ending in Sun 02:00-04:00 UTC


KINDS: dict[str, Builder] = {
    "steady": _steady, "degradation": _degradation, "seasonal": _seasonal, "outage": _outage,
    "recovering": _recovering, "low-traffic": _steady, "maintenance": _maintenance,
}


def scenario(kind: str, seed: int, *, days: int = 45, target: str = "99.9", window_spec: Window | None = None) -> Scenario:
    """One history of ``kind``; events start after the first 30 days so a 30-day window is warm."""
    rng = random.Random(f"{kind}-{seed}")
    win = window_spec or Window(rolling=Duration(30 * DAY))
    exclusions = [MAINTENANCE] if kind == "maintenance" else []
    goal = goal_for(Decimal(target), win, exclusions)
    timeline = Timeline(START, START + days * DAY, STEP)
    errors, notes = KINDS[kind](rng, goal.budget, START + (days - 14) * DAY)
    if kind == "low-traffic":
        errors = combine(errors, _outage(rng, goal.budget, START + (days - 14) * DAY)[0] if seed % 2 else steady(0.0))
    requests = request_counts(timeline, 0.05 if kind == "low-traffic" else rng.uniform(2, 40), rng)
    bad = split_errors(requests, timeline, errors, rng)
    stamps = np.array(timeline.timestamps[1:], dtype=np.int64)
    series = StepCounts(stamps, np.array(bad, dtype=np.float64), np.array(requests, dtype=np.float64), STEP)
    return Scenario(kind, exclude(series, exclusions), goal, notes)


def suite(seeds: range, kinds: tuple[str, ...] = tuple(KINDS), *, days: int = 45, target: str = "99.9",
          window_spec: Window | None = None) -> list[Scenario]:
    return [scenario(kind, seed, days=days, target=target, window_spec=window_spec) for kind in kinds for seed in seeds]

"""Event history at a regular step: the one input every forecaster and the backtest share.

``errors[i]`` and ``total[i]`` are the events in the step that ends at ``timestamps[i]``, i.e. in
(t - step, t]. Validation lives here so a CSV, a Prometheus fetch and a scenario fail the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pledge.slo.exclusions import intervals
from pledge.sla.model import Exclusion

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


class SeriesError(ValueError):
    """Input history that cannot be forecast or backtested, with the reason in plain words."""


@dataclass(frozen=True)
class StepCounts:
    """Counts per step; ``errors`` and ``total`` may be 2-D (one row per series) sharing timestamps."""

    timestamps: Ints
    errors: Floats
    total: Floats
    step: int


def build(timestamps: Ints, errors: Floats, total: Floats, *, gaps: str = "error") -> StepCounts:
    """Validate and regularise; ``gaps="zero"`` fills missing steps with no events (documented choice:
    no data spends no budget, as in the rules), ``gaps="error"`` rejects them."""
    if timestamps.size < 2:
        raise SeriesError(f"need at least two samples to know the step, got {timestamps.size}")
    if np.any(np.diff(timestamps) < 0):
        first = int(np.argmax(np.diff(timestamps) < 0)) + 1
        raise SeriesError(f"timestamps are not sorted (row {first + 1} goes back in time)")
    if np.any(np.diff(timestamps) == 0):
        first = int(np.argmax(np.diff(timestamps) == 0)) + 1
        raise SeriesError(f"duplicate timestamp {int(timestamps[first])} (row {first + 1})")
    _check_counts(errors, total)
    step = int(np.min(np.diff(timestamps)))
    if np.any(np.diff(timestamps) % step):
        raise SeriesError(f"timestamps are not on a regular {step}s grid")
    if np.any(np.diff(timestamps) != step):
        if gaps != "zero":
            missing = int(np.sum(np.diff(timestamps) // step - 1))
            raise SeriesError(f"{missing} missing step(s) of {step}s; pass gaps='zero' (CLI --fill-gaps) to count them as no traffic")
        return _fill(timestamps, errors, total, step)
    return StepCounts(timestamps, errors, total, step)


def _check_counts(errors: Floats, total: Floats) -> None:
    if not (np.all(np.isfinite(errors)) and np.all(np.isfinite(total))):
        raise SeriesError("counts must be finite numbers (found NaN or infinity)")
    if np.any(errors < 0) or np.any(total < 0):
        raise SeriesError("counts must not be negative (pass per-step increments, not counter resets)")
    if np.any(errors > total):
        row = int(np.argmax(errors > total))
        raise SeriesError(f"more bad than valid events at row {row + 1} (good > total, or errors > total)")


def _fill(timestamps: Ints, errors: Floats, total: Floats, step: int) -> StepCounts:
    grid = np.arange(timestamps[0], timestamps[-1] + 1, step, dtype=np.int64)
    at = (timestamps - timestamps[0]) // step
    full_errors, full_total = np.zeros(grid.size), np.zeros(grid.size)
    full_errors[at], full_total[at] = errors, total
    return StepCounts(grid, full_errors, full_total, step)


def check_window(step: int, window_seconds: int) -> None:
    """A window must hold a whole number of steps, else the window sums would be off by a fraction."""
    if window_seconds % step:
        raise SeriesError(f"the step ({step}s) does not divide the window ({window_seconds}s); resample the input")


def exclude(series: StepCounts, exclusions: list[Exclusion]) -> StepCounts:
    """Planned maintenance counts neither as good nor as bad: zero the steps that end inside it."""
    if not exclusions:
        return series
    start, end = float(series.timestamps[0] - series.step), float(series.timestamps[-1] + 1)
    keep = np.ones(series.timestamps.size, dtype=bool)
    for a, b in intervals(exclusions, start, end):
        keep &= ~((series.timestamps > a) & (series.timestamps <= b))
    return StepCounts(series.timestamps, series.errors * keep, series.total * keep, series.step)

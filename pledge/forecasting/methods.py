"""Forecast methods share one shape: rows in, breach probability and breach time out.

Baselines: ``linear`` (remaining budget / current burn, with old errors ageing out of a rolling
window and calendar resets) and ``burnrate`` (the SRE-workbook alert conditions read as predictions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from pledge.forecasting.counts import Counts, burn, first_crossing, required_burn
from pledge.forecasting.series import Floats, Ints

LINEAR_WINDOW = 3_600  # "current" burn: the last hour, as time-to-exhaustion widgets show it
WARN_AT = 0.5
FLOOR = 1e-3  # a period that can still end either way is never given p below FLOOR or above 1 - FLOOR


@dataclass(frozen=True)
class RowPredictions:
    """Per row: P(breach within the horizon), expected breach offset and its interval, in steps (0: none).

    A method's raw arrays; pledge.predictions.Prediction is one objective's forecast as the API shows it.
    """

    probability: Floats
    expected: Ints
    earliest: Ints
    latest: Ints
    threshold: float | Floats = WARN_AT  # a warning is probability >= threshold (one per row, or for all)

    @property
    def warning(self) -> np.ndarray:
        return self.probability >= self.threshold


class Method(Protocol):
    name: str

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions: ...


def _certain(hit: Ints, horizon_steps: int, extra: np.ndarray | None = None) -> RowPredictions:
    inside = (hit > 0) & (hit <= horizon_steps)
    if extra is not None:
        inside |= extra
    return RowPredictions(inside.astype(np.float64), hit, hit, hit)


class Linear:
    """Time to exhaustion at the last hour's burn, against the budget each future step will have."""

    name = "linear"

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions:
        steps = max(1, horizon // c.step)
        return _certain(first_crossing(required_burn(c, s, i, steps), burn(c, s, i, LINEAR_WINDOW)), steps)


class BurnRate:
    """Warns when any multiwindow burn-rate alert fires (same for every horizon); the breach time
    is the exhaustion time at the fastest firing tier's long-window burn."""

    name = "burnrate"

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions:
        steps = max(1, horizon // c.step)
        fired = np.zeros(i.size, dtype=bool)
        rate = np.zeros(i.size)
        for tier in c.goal.tiers:
            long = burn(c, s, i, tier.long)
            on = (long > float(tier.burn_rate)) & (burn(c, s, i, tier.short) > float(tier.burn_rate)) & ~fired
            rate, fired = np.where(on, long, rate), fired | on
        return _certain(first_crossing(required_burn(c, s, i, steps), rate), steps, fired)

"""Features for the pledge model: dimensionless, so one model serves any target, traffic and step.

Burn rates at several windows (level and trend), the burn this time yesterday and last week over the
stretch ahead (seasonality), traffic shape and volume in budget events (noise), time of day / week
and the horizon itself. Nothing about the compliance window: the window math handles that exactly.
"""

from __future__ import annotations

import numpy as np

from pledge.forecasting.counts import Counts, burn, recent
from pledge.forecasting.series import Floats, Ints
from pledge.slo.windows import BURN_WINDOWS
from pledge.sla.units import DAY, HOUR, WEEK

FEATURE_WINDOWS = (*BURN_WINDOWS, WEEK)  # the API's burn windows, and a week for the slow trend


def log_burn(x: Floats) -> Floats:
    """The model's scale for burn rates: logarithmic, with zero burn at -2."""
    return np.log10(np.maximum(x, 0.0) + 0.01)


def seasonal_burn(c: Counts, s: Ints, i: Ints, ahead: int, lag: int) -> Floats:
    """Burn over (t - lag, t - lag + ahead], capped at t; zero before the data starts."""
    span = min(ahead, lag)
    back = i - lag // c.step + span // c.step
    return np.where(i - lag // c.step >= 0, burn(c, s, np.maximum(back, 0), span), 0.0)


def peak_burn(c: Counts, s: Ints, i: Ints, seconds: int = DAY) -> Floats:
    """Worst hourly burn over the last day: yesterday's peak says what today's may bring."""
    hours = [burn(c, s, np.maximum(i - h * (HOUR // c.step), 0), HOUR) for h in range(max(1, seconds // HOUR))]
    worst: Floats = np.max(np.column_stack(hours), axis=1)
    return worst


def current(c: Counts, s: Ints, i: Ints) -> Floats:
    """The columns that do not depend on how far ahead we look (computed once per decision)."""
    stamps = c.series.timestamps[i].astype(np.float64)
    _, hour_traffic = recent(c, s, i, HOUR)
    _, day_traffic = recent(c, s, i, DAY)
    return np.column_stack([log_burn(burn(c, s, i, w)) for w in FEATURE_WINDOWS] + [
        log_burn(peak_burn(c, s, i)),
        np.log10((hour_traffic * 24 + 1) / (day_traffic + 1)),
        np.log10(day_traffic * c.goal.budget + 0.01),
        np.sin(2 * np.pi * stamps / DAY), np.cos(2 * np.pi * stamps / DAY),
        np.sin(2 * np.pi * stamps / WEEK), np.cos(2 * np.pi * stamps / WEEK),
    ])


def features(c: Counts, s: Ints, i: Ints, ahead: int, base: Floats | None = None) -> Floats:
    """One row per (series, step): what the model knows at step i about the next ``ahead`` seconds."""
    return np.column_stack([
        current(c, s, i) if base is None else base,
        log_burn(seasonal_burn(c, s, i, ahead, DAY)),
        log_burn(seasonal_burn(c, s, i, ahead, WEEK)),
        np.full(i.size, np.log10(ahead)),
    ])


def future_burn(c: Counts, s: Ints, i: Ints, ahead: int) -> Floats:
    """The training target: burn over (i, i + ahead] (the caller keeps i + ahead inside the data)."""
    return burn(c, s, i + max(1, ahead // c.step), ahead)

"""Calendar period boundaries in the SLA's time zone (private until pledge.slo.periods lands)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
from dateutil.relativedelta import relativedelta

from pledge.forecasting.series import Ints
from pledge.spec.model import Window

_STEP = {"week": relativedelta(weeks=1), "month": relativedelta(months=1), "quarter": relativedelta(months=3)}


def _first_start(calendar: str, local: dt.datetime) -> dt.datetime:
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if calendar == "week":
        return midnight - dt.timedelta(days=midnight.weekday())
    month = 1 + (midnight.month - 1) // 3 * 3 if calendar == "quarter" else midnight.month
    return midnight.replace(day=1, month=month)


def boundaries(window: Window, start: float, end: float) -> Ints:
    """Unix times of every period start from the one before ``start`` up to the first after ``end``."""
    assert window.calendar is not None
    zone = ZoneInfo(window.timezone)
    local = _first_start(window.calendar, dt.datetime.fromtimestamp(start, zone))
    found: list[int] = []
    i = 0
    while not found or found[-1] <= end:
        moment = (local + _STEP[window.calendar] * i).replace(tzinfo=zone)  # wall clock, DST-aware
        found.append(int(moment.timestamp()))
        i += 1
    return np.array(found, dtype=np.int64)


def period_index(bounds: Ints, times: Ints) -> Ints:
    """Which period each step belongs to: a step ending exactly at a boundary closes the old period."""
    return np.searchsorted(bounds, times, side="left").astype(np.int64) - 1

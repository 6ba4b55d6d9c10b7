"""Planned-maintenance windows as time intervals: expanded in Python, described for PromQL.

Events inside an exclusion count neither as good nor as bad. Recurring windows are defined in local
time, so daylight-saving changes move them in UTC; both the Python expansion and the PromQL form
(pledge.rules.promql) follow the zone's real offsets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from pledge.sla.model import WEEKDAYS, Exclusion, TimeWindow
from pledge.sla.units import DAY, HOUR, MINUTE, WEEK

EPOCH_MONDAY = 4 * DAY  # 1970-01-01 was a Thursday; 1970-01-05 the first Monday
OFFSET_YEARS = range(2025, 2036)  # DST changes rendered into rules (each costs evaluation time); after it the last offset holds
Interval = tuple[float, float]


@dataclass(frozen=True)
class Recurrence:
    """A recurring window: starts ``start`` seconds into each local day or week, lasts ``duration``."""

    period: int
    start: int
    duration: int
    timezone: str


def recurrence(exclusion: TimeWindow) -> Recurrence:
    """The recurrence of a recurring exclusion or correction."""
    assert exclusion.schedule is not None and exclusion.at is not None and exclusion.duration is not None
    hours, minutes = (int(p) for p in exclusion.at.split(":"))
    start = hours * HOUR + minutes * MINUTE
    if exclusion.schedule == "weekly":
        assert exclusion.day is not None
        return Recurrence(WEEK, WEEKDAYS.index(exclusion.day) * DAY + start, int(exclusion.duration), exclusion.timezone)
    return Recurrence(DAY, start, int(exclusion.duration), exclusion.timezone)


@lru_cache(maxsize=64)
def utc_offsets(timezone: str) -> tuple[int, tuple[tuple[int, int], ...]]:
    """The zone's offset at the start of OFFSET_YEARS and each change after it as (unix time, delta)."""
    zone = ZoneInfo(timezone)
    start = dt.datetime(OFFSET_YEARS.start, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(OFFSET_YEARS.stop, 1, 1, tzinfo=dt.timezone.utc)
    first = _offset(zone, start)
    changes: list[tuple[int, int]] = []
    previous, moment = first, start
    while moment < end:  # a daily scan finds every change: zones change offset at most twice a year
        moment += dt.timedelta(days=1)
        current = _offset(zone, moment)
        if current != previous:
            changes.append((_find_change(zone, moment - dt.timedelta(days=1), moment), current - previous))
            previous = current
    return first, tuple(changes)


def _offset(zone: ZoneInfo, moment: dt.datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def _find_change(zone: ZoneInfo, before: dt.datetime, after: dt.datetime) -> int:
    low, high = int(before.timestamp()), int(after.timestamp())
    target = _offset(zone, after)
    while high - low > 60:
        middle = (low + high) // 2
        if _offset(zone, dt.datetime.fromtimestamp(middle, dt.timezone.utc)) == target:
            high = middle
        else:
            low = middle
    return high - high % 60


def _local_seconds(recur: Recurrence, unix: float) -> float:
    zone = ZoneInfo(recur.timezone)
    return unix + _offset(zone, dt.datetime.fromtimestamp(unix, dt.timezone.utc))


def in_recurrence(recur: Recurrence, unix: float) -> bool:
    """Is ``unix`` inside an occurrence? Same formula as the PromQL built from it."""
    shift = EPOCH_MONDAY if recur.period == WEEK else 0
    return (_local_seconds(recur, unix) - shift - recur.start) % recur.period < recur.duration


def intervals(exclusions: Sequence[TimeWindow], start: float, end: float) -> list[Interval]:
    """Excluded time within [start, end), merged and sorted, in unix seconds (or a correction's)."""
    found: list[Interval] = []
    for exclusion in exclusions:
        if exclusion.schedule is None:
            assert exclusion.start is not None and exclusion.end is not None
            found.append((exclusion.start.timestamp(), exclusion.end.timestamp()))
        else:
            found.extend(_occurrences(recurrence(exclusion), start, end))
    clipped = sorted((max(a, start), min(b, end)) for a, b in found if b > start and a < end)
    return _merge(clipped)


@lru_cache(maxsize=1_024)
def _occurrences(recur: Recurrence, start: float, end: float) -> tuple[Interval, ...]:
    """Occurrences overlapping [start, end), found minute by minute at their edges (DST-safe).
    Remembered: SLAs sharing a maintenance schedule share their periods and windows too, and the
    API asks for every SLA's at the same moment (a scan of a month costs milliseconds)."""
    found: list[Interval] = []
    moment = start - recur.period
    step = 60.0
    moment -= moment % step
    opened: float | None = None
    while moment < end + step:
        inside = in_recurrence(recur, moment)
        if inside and opened is None:
            opened = moment
        elif not inside and opened is not None:
            found.append((opened, moment))
            opened = None
        moment += step if inside or _near_edge(recur, moment) else _skip(recur, moment)
    if opened is not None:
        found.append((opened, moment))
    return tuple(found)


def _near_edge(recur: Recurrence, unix: float) -> bool:
    shift = EPOCH_MONDAY if recur.period == WEEK else 0
    phase = (_local_seconds(recur, unix) - shift - recur.start) % recur.period
    return phase > recur.period - 2 * HOUR or phase < recur.duration + 2 * HOUR  # DST may repeat it


def _skip(recur: Recurrence, unix: float) -> float:
    """Jump to two hours before the next occurrence (room for a DST shift), in whole minutes."""
    shift = EPOCH_MONDAY if recur.period == WEEK else 0
    phase = (_local_seconds(recur, unix) - shift - recur.start) % recur.period
    jump = recur.period - phase - 2 * HOUR
    return max(60.0, jump - jump % 60)


def _merge(sorted_intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted_intervals:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def excluded_seconds(exclusions: list[Exclusion], start: float, end: float) -> float:
    return sum(b - a for a, b in intervals(exclusions, start, end))

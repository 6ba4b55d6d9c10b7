"""Period boundaries in unix seconds: rolling windows, and calendar weeks, months and quarters
in the SLA's time zone (a month is the calendar month, DST included). Pure: the API, reports and
forecaster share them, so "October" means the same instant everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from pledge.sla.model import Window

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_LENGTH = {"week": relativedelta(weeks=1), "month": relativedelta(months=1), "quarter": relativedelta(months=3)}


@dataclass(frozen=True)
class Period:
    """[start, end) in unix seconds, with the name a person would use ("2026-10", "30d rolling")."""

    label: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def _local_start(calendar: str, local: dt.datetime) -> dt.datetime:
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if calendar == "week":
        return day - dt.timedelta(days=day.weekday())
    if calendar == "month":
        return day.replace(day=1)
    return day.replace(day=1, month=3 * ((day.month - 1) // 3) + 1)


def _label(calendar: str, start: dt.datetime) -> str:
    if calendar == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if calendar == "month":
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _calendar_period(calendar: str, start: dt.datetime) -> Period:
    """Wall-clock arithmetic in the zone, then to UTC: a month with a DST change is 743 or 745 hours."""
    end = start + _LENGTH[calendar]
    return Period(_label(calendar, start), start.timestamp(), end.timestamp())


def calendar_period(calendar: str, timezone: str, at: float) -> Period:
    """The calendar week (from Monday), month or quarter in ``timezone`` that contains ``at``."""
    local = dt.datetime.fromtimestamp(at, ZoneInfo(timezone))
    return _calendar_period(calendar, _local_start(calendar, local))


def current_period(window: Window, at: float) -> Period:
    """The SLA period that contains ``at``: the last ``rolling`` seconds, or the calendar period."""
    if window.rolling is not None:
        return Period(f"{window.rolling} rolling", at - int(window.rolling), at)
    assert window.calendar is not None
    return calendar_period(window.calendar, window.timezone, at)


def elapsed_share(period: Period, at: float) -> float | None:
    """The share (0..1) of ``period`` gone at ``at``; None once it has closed (judged as a whole).

    Wall-clock time: planned maintenance inside the period counts as time gone."""
    if at >= period.end:
        return None
    return min(1.0, max(0.0, (at - period.start) / period.seconds))


def calendar_elapsed(window: Window, at: float) -> float | None:
    """The share of the SLA's calendar period gone at ``at`` (pledge.slo.budget.state's ``elapsed``);
    None for a rolling window, which is judged now."""
    if window.rolling is not None:
        return None
    return elapsed_share(current_period(window, at), at)


def so_far(period: Period, at: float) -> str:
    """How much of the period ``at`` has seen, in words: "30d rolling", "2026-12: 5 h of 31 d".

    Early in a calendar period the figures cover only hours: a reader must see that, not a broken SLA."""
    if period.end <= at or period.label.endswith("rolling"):
        return period.label
    seconds = at - period.start
    elapsed = (f"{seconds // 60:.0f} min" if seconds < 3600 else f"{seconds / 3600:.0f} h" if seconds < 2 * 86400
               else f"{seconds / 86400:.0f} d")
    return f"{period.label}: {elapsed} of {period.seconds / 86400:.0f} d"


def period_starts(calendar: str, timezone: str, start: float, end: float) -> list[int]:
    """Unix starts of every calendar period from the one containing ``start`` to the first after ``end``.

    The forecaster projects windows across boundaries; it needs them all at once, not one at a time.
    """
    first = _local_start(calendar, dt.datetime.fromtimestamp(start, ZoneInfo(timezone)))
    found: list[int] = []
    while not found or found[-1] <= end:
        found.append(int((first + _LENGTH[calendar] * len(found)).timestamp()))
    return found


def named_period(name: str, timezone: str) -> Period:
    """"2026-10" (month), "2026-Q4" (quarter) or "2026-W44" (ISO week) in ``timezone``.

    Raises ValueError naming the accepted forms, so the API can answer 422.
    """
    zone = ZoneInfo(timezone)
    if found := _MONTH.match(name):
        year, month = int(found[1]), int(found[2])
        if 1 <= month <= 12 and year >= 1970:
            return _calendar_period("month", dt.datetime(year, month, 1, tzinfo=zone))
    elif found := _QUARTER.match(name):
        year, quarter = int(found[1]), int(found[2])
        if year >= 1970:
            return _calendar_period("quarter", dt.datetime(year, 3 * quarter - 2, 1, tzinfo=zone))
    elif found := _WEEK.match(name):
        year, week = int(found[1]), int(found[2])
        try:
            monday = dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            monday = None
        if monday is not None and year >= 1970:
            return _calendar_period("week", dt.datetime(monday.year, monday.month, monday.day, tzinfo=zone))
    raise ValueError(f'expected a month "2026-10", a quarter "2026-Q4" or an ISO week "2026-W44", got "{name}"')


def calendar_of(name: str) -> str:
    """The calendar unit a period name is in: "2026-10" month, "2026-Q4" quarter, "2026-W44" week."""
    named_period(name, "UTC")  # the same ValueError for a name that is none of them
    return "month" if _MONTH.match(name) else "quarter" if _QUARTER.match(name) else "week"


def earlier(name: str, count: int) -> list[str]:
    """The ``count`` periods before ``name``, of its unit, latest first: ("2026-11", 2) -> 2026-10, 2026-09."""
    calendar, period, out = calendar_of(name), named_period(name, "UTC"), []
    for _ in range(count):
        period = calendar_period(calendar, "UTC", period.start - 1)
        out.append(period.label)
    return out


def last_closed(calendar: str, at: float, grace: float = 0.0) -> str:
    """The latest ``calendar`` period (UTC) that ended ``grace`` seconds or more before ``at``."""
    return calendar_period(calendar, "UTC", calendar_period(calendar, "UTC", at - grace).start - 1).label

"""Calendar periods (week, month, quarter in the SLA's time zone) in plain PromQL.

A range in PromQL is a constant, but "since the 1st of the month" is not. Hourly event counts are
summed with a 1h-step subquery over the longest possible period, split by the period each hour
belongs to (period index modulo 3: a range that long touches at most three periods), and the
share of the current period is picked. Figures lag by at most an hour; the API computes exact
period figures with explicit ranges.
"""

from __future__ import annotations

from pledge.rules import names
from pledge.rules.context import Context
from pledge.rules.model import Rule
from pledge.rules.promql import local_time
from pledge.slo.exclusions import EPOCH_MONDAY
from pledge.sla.duration import format_duration
from pledge.sla.units import DAY, HOUR, WEEK

LONGEST = {"week": WEEK, "month": 31 * DAY, "quarter": 92 * DAY}


def period_index(calendar: str, timezone: str, shift: int = 0) -> str:
    """A number that grows by one at each period boundary (local time ``shift`` seconds from now)."""
    local = local_time(timezone, shift)
    if calendar == "week":
        return f"floor(({local} - {EPOCH_MONDAY}) / {WEEK})"
    if calendar == "month":
        return f"(year({local}) * 12 + month({local}))"
    return f"(year({local}) * 4 + floor((month({local}) - 1) / 3))"


def calendar_base_rules(c: Context) -> list[Rule]:
    """Hourly rates built from the (maintenance-masked) base rates: contiguous hours tile exactly."""
    span = format_duration(HOUR - names.BASE_WINDOW)
    base = names.BASE_WINDOW
    return [
        c.record(names.errors_rate(HOUR), f"avg_over_time({c.series(names.errors_rate(base))}[{span}])"),
        c.record(names.requests_rate(HOUR), f"avg_over_time({c.series(names.requests_rate(base))}[{span}])"),
    ]


def _events_in_current_period(c: Context, hourly_rate: str) -> str:
    window = c.sla.spec.window
    assert window.calendar is not None
    hour_period = period_index(window.calendar, window.timezone, shift=-1)  # the hour ending at the step
    now_period = period_index(window.calendar, window.timezone)
    longest = format_duration(LONGEST[window.calendar])
    parts = []
    for k in range(3):
        tagged = f"{c.series(hourly_rate)} * on() group_left() ({hour_period} % 3 == bool {k})"
        parts.append(f"(sum_over_time(({tagged})[{longest}:1h]) * {HOUR} and on() ({now_period} % 3 == {k}))")
    return " or ".join(parts)


def calendar_period_rules(c: Context) -> list[Rule]:
    return [
        c.record(names.ERRORS_PERIOD, _events_in_current_period(c, names.errors_rate(HOUR))),
        c.record(names.REQUESTS_PERIOD, _events_in_current_period(c, names.requests_rate(HOUR))),
    ]

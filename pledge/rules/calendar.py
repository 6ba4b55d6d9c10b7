"""Calendar periods (week, month, quarter in the SLA's time zone) in plain PromQL.

A range in PromQL is a constant, but "since the 1st of the month" is not. Each hour tile is tagged
with the index of the period it started in, modulo 3 (a range of the longest period touches three
at most), and the period's events are the hour tiles tagged with the current index plus the 5 m
tiles since the newest hour tile (pledge.rules.tiles.calendar_sum): exact to the tile, up to the
evaluation. Periods split at whole UTC hours, so a time zone off the hour (Asia/Kolkata) counts
its first half hour in the period before.
"""

from __future__ import annotations

from pledge.rules import names
from pledge.rules.context import Context
from pledge.rules.corrections import corrected, correction_parts
from pledge.rules.model import Rule
from pledge.rules.promql import local_time
from pledge.rules.tiles import ERRORS, REQUESTS, TILE, calendar_sum, tile_of_hour
from pledge.slo.exclusions import EPOCH_MONDAY
from pledge.sla.units import HOUR, LONGEST_CALENDAR, WEEK

def period_index(calendar: str, timezone: str, shift: int = 0) -> str:
    """A number that grows by one at each period boundary (local time ``shift`` seconds from now)."""
    local = local_time(timezone, shift)
    if calendar == "week":
        return f"floor(({local} - {EPOCH_MONDAY}) / {WEEK})"
    if calendar == "month":
        return f"(year({local}) * 12 + month({local}))"
    return f"(year({local}) * 4 + floor((month({local}) - 1) / 3))"


def tagged_hour_tiles(c: Context, tile: str, hour_tile: str) -> list[Rule]:
    """Three rules, one per period index modulo 3: the hour tile recorded at the second evaluation of
    an hour covers the hour before, which started ``HOUR + TILE`` seconds before that evaluation at most."""
    window = c.sla.spec.window
    assert window.calendar is not None
    started = period_index(window.calendar, window.timezone, shift=-(HOUR + TILE))
    return [c.record(hour_tile, f"{tile_of_hour(tile, c.matchers)} and on() ({started} % 3 == {k})",
                     {names.PERIOD_LABEL: str(k)}) for k in range(3)]


def calendar_period_rules(c: Context) -> list[Rule]:
    window = c.sla.spec.window
    assert window.calendar is not None
    now, hour_ago = (period_index(window.calendar, window.timezone, shift) for shift in (0, -HOUR))
    longest = LONGEST_CALENDAR[window.calendar]
    rules = []
    for name, kind in ((names.ERRORS_PERIOD, ERRORS), (names.REQUESTS_PERIOD, REQUESTS)):
        extra = correction_parts(c, kind)  # one-off corrections (pledge.rules.corrections)
        rules.append(c.record(name, corrected(calendar_sum(kind, c.matchers, c.grouping, longest, now, hour_ago, extra),
                                              extra)))
    return rules

"""Calendar edges at fixed instants, never the wall clock: the period that contains each moment,
how much of it has passed, the excluded time and the budget, against boundaries worked out by hand.

The instants are the ones that break period math: the first minute, hour and day of a month (UTC and
Europe/Berlin), the last hour of a month, both Berlin DST switch days (with a maintenance window
spanning the switch), a quarter boundary, 29 February 2028, and a Monday-start week in a non-UTC zone.
The API world replays any of them end to end with PLEDGE_WORLD_END (tests/support/moments.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pledge.clock import parse_moment
from pledge.slo.budget import compliance, credit_percent, minute_budget
from pledge.slo.exclusions import excluded_seconds, intervals
from pledge.slo.periods import current_period, so_far
from pledge.sla.model import CreditTier, Exclusion, Objective, Window

HOUR, DAY = 3_600, 86_400
# (instant, window, period label, period start, period end, what the demo table says)
EDGES = [
    ("2026-12-01T00:00:30Z", {"calendar": "month"}, "2026-12", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z",
     "2026-12: 0 min of 31 d"),
    ("2026-11-30T23:00:30Z", {"calendar": "month", "timezone": "Europe/Berlin"}, "2026-12",
     "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z", "2026-12: 0 min of 31 d"),
    ("2026-12-01T00:40:00+01:00", {"calendar": "month", "timezone": "Europe/Berlin"}, "2026-12",
     "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z", "2026-12: 40 min of 31 d"),
    ("2026-12-01T20:00:00+01:00", {"calendar": "month", "timezone": "Europe/Berlin"}, "2026-12",
     "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z", "2026-12: 20 h of 31 d"),
    ("2026-11-30T23:30:00+01:00", {"calendar": "month", "timezone": "Europe/Berlin"}, "2026-11",
     "2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z", "2026-11: 30 d of 30 d"),
    # spring forward: 02:00 CET -> 03:00 CEST, March is 743 hours long
    ("2026-03-29T03:30:00+02:00", {"calendar": "month", "timezone": "Europe/Berlin"}, "2026-03",
     "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z", "2026-03: 28 d of 31 d"),
    # fall back: 03:00 CEST -> 02:00 CET, October is 745 hours long
    ("2026-10-25T02:30:00+01:00", {"calendar": "month", "timezone": "Europe/Berlin"}, "2026-10",
     "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", "2026-10: 24 d of 31 d"),
    ("2026-10-01T00:10:00+02:00", {"calendar": "quarter", "timezone": "Europe/Berlin"}, "2026-Q4",
     "2026-09-30T22:00:00Z", "2026-12-31T23:00:00Z", "2026-Q4: 10 min of 92 d"),
    ("2026-09-30T23:50:00+02:00", {"calendar": "quarter", "timezone": "Europe/Berlin"}, "2026-Q3",
     "2026-06-30T22:00:00Z", "2026-09-30T22:00:00Z", "2026-Q3: 92 d of 92 d"),
    ("2028-02-29T12:00:00Z", {"calendar": "month"}, "2028-02", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z",
     "2028-02: 28 d of 29 d"),
    # Monday 00:00 in Tokyo is Sunday 15:00 UTC: a UTC week would be a day off
    ("2026-11-29T15:30:00Z", {"calendar": "week", "timezone": "Asia/Tokyo"}, "2026-W49",
     "2026-11-29T15:00:00Z", "2026-12-06T15:00:00Z", "2026-W49: 30 min of 7 d"),
]


def window(spec: dict[str, str]) -> Window:
    return Window.model_validate(spec)


@pytest.mark.parametrize(("at", "spec", "label", "start", "end", "covered"), EDGES, ids=[e[0] for e in EDGES])
def test_the_period_at_each_edge(at: str, spec: dict[str, str], label: str, start: str, end: str,
                                 covered: str) -> None:
    moment = parse_moment(at)
    period = current_period(window(spec), moment)
    assert (period.label, period.start, period.end) == (label, parse_moment(start), parse_moment(end))
    assert period.start <= moment < period.end
    assert so_far(period, moment) == covered


@pytest.mark.parametrize(("month", "hours"), [("2026-03-15T12:00:00Z", 743), ("2026-10-15T12:00:00Z", 745),
                                              ("2026-11-15T12:00:00Z", 720)])
def test_a_berlin_month_has_its_wall_clock_length(month: str, hours: int) -> None:
    period = current_period(window({"calendar": "month", "timezone": "Europe/Berlin"}), parse_moment(month))
    assert period.seconds == hours * HOUR


def objective(**fields: Any) -> Objective:
    return Objective.model_validate({"name": "availability", "target": "99.9",
                                     "sli": {"ratio": {"errors": "e_total", "total": "t_total"}}, **fields})


@pytest.mark.parametrize(("start", "end", "real_seconds", "budget_minutes"), [
    ("2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", HOUR, 44.52),  # one real hour; (743 - 1) h x 0.1 %
    ("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", HOUR, 44.64),  # the repeated 02:30; (745 - 1) h
])
def test_a_maintenance_window_across_a_dst_switch_lasts_its_real_length(start: str, end: str, real_seconds: int,
                                                                        budget_minutes: float) -> None:
    maintenance = Exclusion.model_validate({"start": start, "end": end, "reason": "db upgrade"})
    month = current_period(window({"calendar": "month", "timezone": "Europe/Berlin"}), parse_moment(start))
    assert excluded_seconds([maintenance], month.start, month.end) == real_seconds
    assert intervals([maintenance], month.start, month.end) == [(parse_moment(start), parse_moment(end))]
    # the month's budget in minutes: the excluded hour is neither good nor bad time
    measured = month.seconds - excluded_seconds([maintenance], month.start, month.end)
    assert minute_budget(0.0, objective(), measured, 0.0).total == pytest.approx(budget_minutes)


@pytest.mark.parametrize(("bad", "valid", "state", "credit"), [
    (0, 0, "NoData", None),           # first seconds of a month: no events yet, nothing spent
    (1, 10_000, "Met", Decimal("0")),
    (2, 1_000, "Breached", Decimal("10")),
    (20, 1_000, "Breached", Decimal("25")),
])
def test_the_first_events_of_a_period(bad: int, valid: int, state: str, credit: Decimal | None) -> None:
    goal = objective()
    tiers = [CreditTier.model_validate(t) for t in ({"below": "99.9", "percent": "10"}, {"below": "99", "percent": "25"})]
    found = compliance(bad / valid if valid else None, goal)
    assert found.state == state
    if credit is None:
        assert found.sli is None
    else:
        assert found.sli is not None and found.sli == pytest.approx(1 - bad / valid)
        assert credit_percent(found.sli, goal, tiers) == credit

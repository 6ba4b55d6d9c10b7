"""Window math against pledge.slo: rolling age-out, calendar resets, no peeking."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from pledge.forecasting.backtest import replay
from pledge.forecasting.counts import ahead, breached, counts, future_traffic, kept_history, now, required_burn
from pledge.forecasting.goal import goal_for
from pledge.forecasting.methods import Linear
from pledge.forecasting.analogs import Pledge
from research.forecasting.scenarios import scenario
from pledge.forecasting.series import StepCounts
from pledge.slo.budget import compliance, error_ratio
from pledge.slo.periods import calendar_period, period_starts
from pledge.sla.duration import Duration
from pledge.sla.model import Window
from pledge.sla.units import DAY

STEP = 300
START = 1_767_225_600  # 2026-01-01T00:00:00Z


def flat(days: int, errors: dict[int, float], total: float = 1_000.0) -> StepCounts:
    n = days * DAY // STEP
    bad = np.zeros(n)
    for at, value in errors.items():
        bad[at] = value
    return StepCounts(START + STEP * (1 + np.arange(n, dtype=np.int64)), bad, np.full(n, total), STEP)


def test_truth_matches_the_core_state() -> None:
    s = scenario("degradation", 3)
    c = counts(s.series, s.goal)
    hit, known = breached(c)
    steps = np.arange(0, s.series.timestamps.size, 97, dtype=np.int64)
    bad, valid = now(c, np.zeros(steps.size, dtype=np.int64), steps)
    for k, i in enumerate(steps.tolist()):
        if known[0, i]:
            state = compliance(error_ratio(float(bad[k]), float(valid[k])), s.goal.objective).state
            assert (state == "Breached") == bool(hit[0, i]), i


def test_rolling_window_ages_errors_out() -> None:
    goal = goal_for(Decimal("99.9"), Window(rolling=Duration(DAY)))
    series = flat(3, {300: 400.0})  # over a day's budget (288 bad of 288,000): breached while inside
    hit, _ = breached(counts(series, goal))
    assert hit[0, 300] and hit[0, 300 + 287] and not hit[0, 300 + 288]
    c = counts(series, goal)
    bad, _ = kept_history(c, np.zeros(1, dtype=np.int64), np.array([400]), ahead(288))
    assert bad[0, 186] == 400 and bad[0, 187] == 0  # the burst leaves 188 steps after step 400


def test_calendar_window_resets_at_the_month() -> None:
    goal = goal_for(Decimal("99.9"), Window(calendar="month"))
    n = 40 * DAY // STEP
    series = StepCounts(START + STEP * (1 + np.arange(n, dtype=np.int64)), np.zeros(n), np.full(n, 100.0), STEP)
    c = counts(series, goal)
    feb = int((1_769_904_000 - START) // STEP) - 1  # the step ending at 2026-02-01T00:00Z closes January
    assert c.window_start[feb] == 0 and c.window_start[feb + 1] == feb + 1
    bad, valid = kept_history(c, np.zeros(1, dtype=np.int64), np.array([feb - 2]), ahead(4))
    assert valid[0].tolist() == [100.0 * (feb - 1)] * 2 + [0.0, 0.0]


def test_calendar_boundaries_follow_the_time_zone() -> None:
    bounds = period_starts("month", "Europe/Berlin", START, START + 40 * DAY)
    assert bounds[:3] == [1_767_222_000, 1_769_900_400, 1_772_319_600]  # midnight CET: 1 Jan, 1 Feb, 1 Mar


@pytest.mark.parametrize("calendar, zone", [("week", "UTC"), ("month", "Europe/Berlin"), ("quarter", "America/New_York")])
def test_period_starts_agree_with_calendar_period(calendar: str, zone: str) -> None:
    """One calendar: the forecaster's boundaries are the periods the API and reports name (DST included)."""
    starts = period_starts(calendar, zone, START, START + 400 * DAY)
    assert starts[0] <= START < starts[1] and starts[-2] <= START + 400 * DAY < starts[-1]
    for start, end in zip(starts, starts[1:]):
        period = calendar_period(calendar, zone, start)
        assert (period.start, period.end) == (start, end)


def test_linear_counts_errors_that_age_out() -> None:
    """A day-old burst keeps the window over budget now, but it leaves soon: no breach ahead."""
    goal = goal_for(Decimal("99.9"), Window(rolling=Duration(DAY)))
    series = flat(3, {300: 250.0} | {i: 1.0 for i in range(569, 581)})  # then an hour at burn 1
    c = counts(series, goal)
    at = np.array([580])
    need = required_burn(c, np.zeros(1, dtype=np.int64), at, 72)
    assert need[0, 6] < 10 < need[0, 7]  # room jumps when the burst leaves, 8 steps ahead
    assert (288 - 262) / 1.0 < 72  # without age-out, burn 1 would spend the rest within 6 h
    assert Linear().predict(c, np.zeros(1, dtype=np.int64), at, 6 * 3_600).probability[0] == 0.0


def test_no_peeking() -> None:
    """A prediction at step i is the same whether or not the data after i exists."""
    s = scenario("seasonal", 4)
    r = replay(s.series, s.goal)
    cut = int(r.starts[0]) - 100
    short = StepCounts(s.series.timestamps[: cut + 1], s.series.errors[: cut + 1], s.series.total[: cut + 1], STEP)
    i, rows = np.array([cut]), np.zeros(1, dtype=np.int64)
    for method in (Pledge(), Linear()):
        full = method.predict(r.counts, rows, i, DAY)
        part = method.predict(counts(short, s.goal), rows, i, DAY)
        assert np.allclose(full.probability, part.probability) and (full.expected == part.expected).all()


def test_no_decisions_is_not_an_error() -> None:
    s = scenario("steady", 1)
    c = counts(s.series, s.goal)
    empty = np.zeros(0, dtype=np.int64)
    for method in (Pledge(), Linear()):
        assert method.predict(c, empty, empty, DAY).probability.size == 0


def test_after_a_day_without_data_the_traffic_is_the_weeks_mean_day() -> None:
    """A collection gap is not a quiet service: yesterday's zero is not repeated."""
    series = flat(8, {})
    day = DAY // STEP
    series = StepCounts(series.timestamps, series.errors, np.concatenate([np.full(6 * day, 1_000.0),
                                                                          np.zeros(2 * day)]), STEP)
    c = counts(series, goal_for(Decimal("99.9"), Window(rolling=Duration(7 * DAY))))
    last, k = np.array([8 * day - 1]), np.array([1, day // 2, 2 * day])
    mean_day = 5 * day * 1_000.0 / 7  # the last 7 days: five with traffic
    assert future_traffic(c, np.zeros(1, dtype=np.int64), last, k)[0].tolist() == pytest.approx((mean_day * k / day).tolist())
    earlier = np.array([6 * day + 10])  # yesterday had traffic: its shape is repeated
    assert future_traffic(c, np.zeros(1, dtype=np.int64), earlier, np.array([day]))[0, 0] == pytest.approx(day * 1_000.0 - 11 * 1_000.0)

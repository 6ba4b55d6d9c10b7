"""pledge.forecasting.record by hand: September 2026 (UTC, 30 days), daily decisions at 00:00 UTC from
the 2nd to the 30th (29 of them), hourly probability samples; expected figures computed by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pytest

from pledge.forecasting.record import Judged, breach_moment, decisions, outcome, summarize

HOUR, DAY = 3_600, 86_400
START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC).timestamp()
END = dt.datetime(2026, 10, 1, tzinfo=dt.UTC).timestamp()


def sep(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return dt.datetime(2026, 9, day, hour, minute, second, tzinfo=dt.UTC).timestamp()


def month(p: Callable[[float], float], breached: bool, breach_at: float | None = None,
          start: float = START, end: float = END) -> Judged:
    """Hourly samples over the whole period (the API exported ``p(t)`` at every whole hour)."""
    times = np.arange(start, end, HOUR, dtype=np.float64)
    return Judged(start, end, times, np.array([p(t) for t in times]), breached, breach_at, "2026-09")


# warned on the 10th, breached on the 15th at noon: 8 decisions at 0.25 and 6 at 0.85 scored, 15 after it not
WARNED_BREACHED = month(lambda t: 0.25 if t < sep(10) else 0.85, True, sep(15, 12))
# warned on the 2nd only (0.65), then 0.15 to the end; ended above target
WARNED_MET = month(lambda t: 0.65 if t < sep(3) else 0.15, False)
# never above 0.35 and breached on the 20th at 06:00: 19 decisions scored, a miss
MISSED = month(lambda _: 0.35, True, sep(20, 6))


def test_decisions_read_the_last_sample_at_each_midnight_and_stop_scoring_at_the_breach() -> None:
    d = decisions(WARNED_BREACHED)
    assert d.at.tolist() == [sep(day) for day in range(2, 31)]
    assert d.probability.tolist() == [0.25] * 8 + [0.85] * 21
    assert d.scored.tolist() == [True] * 14 + [False] * 15  # the decision of the 15th, 00:00, comes before noon
    assert d.first_warning == sep(10)


def test_a_stale_gauge_decides_nothing_and_samples_outside_the_period_are_ignored() -> None:
    times = np.array([START - HOUR, sep(2, 23), sep(5, 1), END + 1.0])  # before the start and after the end: not read
    period = Judged(START, END, times, np.array([0.9, 0.4, 0.7, 0.9]), False)
    d = decisions(period)
    # the 3rd reads the 2nd 23:00; the 4th finds it 25 h old; the 6th reads the 5th 01:00 (23 h), the 7th nothing
    assert d.at.tolist() == [sep(3), sep(6)] and d.probability.tolist() == [0.4, 0.7]
    assert d.scored.all()


def test_the_record_of_three_months() -> None:
    r = summarize([WARNED_BREACHED, WARNED_MET, MISSED])
    assert (r.periods, r.breached, r.decisions) == (3, 2, 14 + 29 + 19)
    squares = 8 * 0.75 ** 2 + 6 * 0.15 ** 2 + 0.65 ** 2 + 28 * 0.15 ** 2 + 19 * 0.65 ** 2  # 13.715
    assert r.brier == pytest.approx(13.715 / 62) and squares == pytest.approx(13.715)
    assert r.base_rate == pytest.approx(2 / 3)
    # the base rate as a forecast: (1/3)^2 on the 33 decisions of breached months, (2/3)^2 on the 29 others
    assert r.brier_reference == pytest.approx((33 / 9 + 29 * 4 / 9) / 62)
    assert r.brier_skill == pytest.approx(1 - 13.715 * 9 / 149)
    table = {round(b.low, 1): (b.count, b.predicted and round(b.predicted, 9), b.observed) for b in r.reliability}
    assert table == {0.0: (0, None, None), 0.1: (28, 0.15, 0.0), 0.2: (8, 0.25, 1.0), 0.3: (19, 0.35, 1.0),
                     0.4: (0, None, None), 0.5: (0, None, None), 0.6: (1, 0.65, 0.0), 0.7: (0, None, None),
                     0.8: (6, 0.85, 1.0), 0.9: (0, None, None)}
    assert (r.warned, r.warned_breached, r.missed) == (2, 1, 1)
    assert r.median_warning == sep(15, 12) - sep(10) == 5.5 * DAY
    assert r.words == ("Of the last 2 months we warned about, 1 breached; we missed 1; "
                       "median warning 5.5 days before the breach (3 months judged).")
    assert [(p.breached, p.decisions, p.scored, p.first_warning) for p in r.results] == [
        (True, 29, 14, sep(10)), (False, 29, 29, sep(2)), (True, 29, 19, None)]


def test_a_warning_after_the_breach_is_no_warning() -> None:
    """Breached on the 1st at noon, before the first decision: 0.9 every day after it scores nothing and
    warns about nothing; the month is a miss, not a period left out."""
    late = month(lambda _: 0.9, True, sep(1, 12))
    r = summarize([late])
    assert (r.periods, r.breached, r.decisions, r.warned, r.missed) == (1, 1, 0, 0, 1)
    assert r.brier is None and r.brier_skill is None and r.median_warning is None
    assert r.words == "We warned about none of the last 1 month; we missed 1 (1 month judged)."


def test_median_of_several_warnings_and_no_skill_when_every_month_ended_alike() -> None:
    def warned_from(day: int) -> Callable[[float], float]:
        return lambda t: 0.95 if t >= sep(day) else 0.05

    months = [month(warned_from(day), True, sep(20)) for day in (10, 12, 17)]
    r = summarize(months)
    assert r.median_warning == 8 * DAY and (r.warned, r.warned_breached, r.missed) == (3, 3, 0)
    assert r.base_rate == 1.0 and r.brier_reference == 0.0 and r.brier_skill is None  # nothing to beat
    assert r.brier is not None and r.brier > 0


def test_empty() -> None:
    r = summarize([])
    assert (r.periods, r.breached, r.decisions, r.warned, r.missed) == (0, 0, 0, 0, 0)
    assert r.brier is r.base_rate is r.brier_skill is r.median_warning is None
    assert [b.count for b in r.reliability] == [0] * 10
    assert r.words == "No closed month has a recorded prediction yet: no track record."
    silent = Judged(START, END, np.zeros(0), np.zeros(0), True, sep(20))  # no prediction served: not judged
    assert summarize([silent], "quarter").words == "No closed quarter has a recorded prediction yet: no track record."


def ratios(bad: Callable[[float], float]) -> tuple[np.ndarray, np.ndarray]:
    """The period's error ratio one second before each whole hour (what record_io reads), steady traffic:
    the bad seconds so far over the seconds so far."""
    times = np.arange(START + HOUR - 1, END, HOUR, dtype=np.float64)
    return times, np.array([bad(t) / (t - START) for t in times])


def outage(first: float, seconds: float) -> Callable[[float], float]:
    return lambda t: float(np.clip(t - first, 0, seconds))


def test_outcome_and_breach_moment_from_the_period_ratio() -> None:
    budget = 0.001  # 99.9 %: 2,592 s of a 30-day month
    hour_down = ratios(outage(sep(10, 10), HOUR))
    # bad time passes 2,592 s at 10:43:12; the first point that sees it is 10:59:59
    assert breach_moment(*hour_down, START, END, budget) == sep(10, 10, 59, 59)
    assert outcome(*hour_down, START, END, budget) == (True, sep(10, 10, 59, 59))
    assert outcome(*ratios(outage(sep(10, 10), 2_500)), START, END, budget) == (False, None)
    assert outcome(np.zeros(0), np.zeros(0), START, END, budget) is None  # no recorded ratio: unknown
    # the final ratio just above the budget, never over it before the last point: settled at the end
    times = np.array([sep(30, 23, 59, 59)])
    assert outcome(times, np.array([0.0010000001]), START, END, budget) == (True, END)

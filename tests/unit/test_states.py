"""One ranking of SLA states: pledge.slo.budget.worst_state, which the API list and the operator status share;
and one rule for them during a calendar period (Behind until it can no longer end above target)."""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from pathlib import Path
from typing import get_args

import pytest

from pledge.api.auth import Principal
from pledge.api.figures import Figures, Span
from pledge.api.listing import summary
from pledge.api.reports import CSV_COLUMNS, _as_csv, _report
from pledge.api.routes import sla_detail
from pledge.clock import parse_moment
from pledge.demo.report import behind_notes, render_table
from pledge.operator.status import objectives
from pledge.rules import queries
from pledge.sla import parse_yaml
from pledge.sla.identity import Row
from pledge.sla.model import Objective
from pledge.slo.budget import (
    SEVERITY, Compliance, State, behind_words, compliance, lost_for_good, state, won_back, worst_state,
)
from pledge.slo.periods import calendar_elapsed, current_period, elapsed_share, named_period
from pledge.status import Reading, readings_for
from tests.support.slas import sla

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "api-availability.yaml"
STATES: tuple[State, ...] = get_args(State)


def test_the_ranking_is_breached_atrisk_nodata_met() -> None:
    assert worst_state(["Met", "NoData"]) == "NoData"  # unmeasured is never reported as fine
    assert worst_state(["NoData", "AtRisk"]) == "AtRisk"
    assert worst_state(["AtRisk", "Breached", "NoData", "Met"]) == "Breached"
    assert worst_state(["Met", "Met"]) == "Met"
    assert worst_state([]) == "NoData"


def _readings(states: tuple[State, ...]) -> list[Reading]:
    sla = parse_yaml(EXAMPLE.read_text())[0]
    objective = sla.spec.objectives[0].name
    return [Reading(sla, objective, {"customer": f"c{n}"}, Compliance(None if s == "NoData" else 0.99, 0.5, s), None, ())
            for n, s in enumerate(states)]


@pytest.mark.parametrize("states", [c for n in (1, 2, 3) for c in itertools.product(STATES, repeat=n)])
def test_the_api_list_and_the_operator_status_agree(states: tuple[State, ...]) -> None:
    readings = _readings(states)
    assert summary(readings[0].sla, readings).state == objectives(readings)["state"] == worst_state(states)


# --- words that are true during a period: Behind vs Breached (DESIGN, computation semantics) -------------

MONTHLY = sla("monthly", window={"calendar": "month", "timezone": "UTC"}, warning="99.95",
              credits=[{"below": "99.9", "percent": "10"}, {"below": "99", "percent": "25"}])
ROLLING = sla("rolling", window={"rolling": "30d"}, warning="99.95", credits=[{"below": "99.9", "percent": "10"}])
GOAL: Objective = MONTHLY.spec.objectives[0]  # 99.9 % (budget 0.001), warning 99.95 %
NOVEMBER_2 = parse_moment("2026-11-02T00:00:00Z")  # 1/30 of November (UTC) gone
NOVEMBER_16 = parse_moment("2026-11-16T00:00:00Z")  # half of it
DECEMBER_1 = parse_moment("2026-12-01T00:00:00Z")  # November closed
EVERYONE = Principal("test", True, frozenset())


@pytest.mark.parametrize(("ratio", "elapsed", "expected", "back"), [
    # below target so far: Behind while r x elapsed <= b, Breached once it exceeds the whole period's budget
    (0.002, 0.1, "Behind", 0.1),
    (0.002, 0.5, "Behind", 0.5),  # r x elapsed == b: the period can still end exactly at target
    (0.002, 0.6, "Breached", None),
    (0.002, 1.0, "Breached", None),
    (0.0011, 0.9, "Behind", 0.09),
    (0.0011, 0.95, "Breached", None),
    (1.0, 0.0005, "Behind", 0.4995),  # a total outage of the month's first 22 minutes: 43.2 are allowed
    (1.0, 0.0011, "Breached", None),
    (0.05, 0.0, "Behind", 0.0),  # the period's first second: nothing is lost yet
    # at or above target: the same as a rolling window, whatever the share gone
    (0.001, 0.5, "AtRisk", None),  # exactly at target: not below it
    (0.0007, 0.5, "AtRisk", None),
    (0.0005, 0.5, "Met", None),
    (0.0, 0.99, "Met", None),
    # rolling windows and closed periods are judged now: below target is Breached
    (0.0011, None, "Breached", None),
    (0.002, None, "Breached", None),
    (0.001, None, "AtRisk", None),
    (None, 0.5, "NoData", None),  # missing data is unknown, never good news
    (None, None, "NoData", None),
])
def test_behind_until_the_period_can_no_longer_end_above_target(
        ratio: float | None, elapsed: float | None, expected: State, back: float | None) -> None:
    found = compliance(ratio, GOAL, elapsed=elapsed)
    assert found.state == expected
    assert found.won_back == (None if back is None else pytest.approx(back))
    if ratio is not None:
        assert state(1 - ratio, GOAL, elapsed) == expected
        assert compliance(ratio, GOAL).state == state(1 - ratio, GOAL)  # the default is today's rule
    if expected == "Behind":  # won back: from 0 at target to 1 - elapsed where the period is lost
        assert ratio is not None and elapsed is not None and 0 <= found.won_back <= 1 - elapsed  # type: ignore[operator]
    else:
        assert found.won_back is None


def test_time_slices_bad_time_beyond_the_whole_periods_allowance() -> None:
    """A probe SLI (one event per minute) on 2 Nov, 00:00 UTC: November allows 43.2 bad minutes at
    99.9 %; 43 bad minutes in its first day are behind, 44 a breach (the month can no longer recover)."""
    period = current_period(MONTHLY.spec.window, NOVEMBER_2)
    elapsed = calendar_elapsed(MONTHLY.spec.window, NOVEMBER_2)
    assert period.label == "2026-11" and elapsed == pytest.approx(1 / 30)
    assert elapsed is not None
    day = 24 * 60
    assert compliance(43 / day, GOAL, elapsed=elapsed).state == "Behind"
    assert compliance(44 / day, GOAL, elapsed=elapsed).state == "Breached"
    assert lost_for_good(1 - 44 / day, GOAL, elapsed) and not lost_for_good(1 - 43 / day, GOAL, elapsed)
    # the share of the month's budget the remaining 29 days must win back: 42 bad minutes beyond the day's 1.44
    assert won_back(43 / day, GOAL, elapsed) == pytest.approx((43 - 1.44) / 43.2)


@pytest.mark.parametrize(("window", "at", "expected"), [
    ({"rolling": "30d"}, NOVEMBER_16, None),  # judged now
    ({"calendar": "month", "timezone": "UTC"}, parse_moment("2026-11-01T00:00:00Z"), 0.0),
    ({"calendar": "month", "timezone": "UTC"}, NOVEMBER_16, 0.5),
    ({"calendar": "month", "timezone": "UTC"}, DECEMBER_1 - 1, 1 - 1 / (30 * 86400)),
    ({"calendar": "week", "timezone": "UTC"}, parse_moment("2026-11-05T12:00:00Z"), 3.5 / 7),  # Thursday noon
    ({"calendar": "quarter", "timezone": "UTC"}, parse_moment("2026-11-01T00:00:00Z"), 31 / 92),
    # October 2026 in Berlin has 745 hours (the clocks go back on the 25th): the 26th at 00:00 local
    ({"calendar": "month", "timezone": "Europe/Berlin"}, parse_moment("2026-10-26T00:00:00+01:00"), (25 * 24 + 1) / 745),
])
def test_the_share_of_the_calendar_period_gone(window: dict[str, str], at: float, expected: float | None) -> None:
    found = calendar_elapsed(sla("w", window=window).spec.window, at)
    assert found == (None if expected is None else pytest.approx(expected))


def test_a_closed_period_has_no_share_gone_it_is_judged_whole() -> None:
    november = named_period("2026-11", "UTC")
    assert elapsed_share(november, DECEMBER_1) is None and elapsed_share(november, DECEMBER_1 + 86400) is None
    assert elapsed_share(november, NOVEMBER_16) == pytest.approx(0.5)


def test_behind_in_words() -> None:
    assert behind_words(GOAL, 0.123, "month") == ("below 99.9 % so far; 12 % of the month's error budget would have "
                                                  "to be won back (the month can still end above target)")
    assert "less than 1 % of the quarter's" in behind_words(GOAL, 0.001, "quarter")
    assert "0 % of the period's" in behind_words(GOAL, 0.0)


def test_behind_ranks_between_breached_and_at_risk() -> None:
    assert SEVERITY == ("Breached", "Behind", "AtRisk", "NoData", "Met")
    assert worst_state(["AtRisk", "Behind", "Met"]) == "Behind" and worst_state(["Behind", "Breached"]) == "Breached"
    assert worst_state(["Behind", "NoData"]) == "Behind"


def _ratios(ratio: float) -> dict[Row, float]:
    return {Row("availability"): ratio}


def test_readings_judge_calendar_periods_so_far_and_rolling_windows_now() -> None:
    """Half of November gone, error ratio 0.15 %: the month is behind (it can still end above target),
    a rolling window is breached. The credit is the one the period would owe if it ended now."""
    [behind] = readings_for(MONTHLY, _ratios(0.0015), [], elapsed=calendar_elapsed(MONTHLY.spec.window, NOVEMBER_16))
    [breached] = readings_for(ROLLING, _ratios(0.0015), [], elapsed=calendar_elapsed(ROLLING.spec.window, NOVEMBER_16))
    assert (behind.compliance.state, breached.compliance.state) == ("Behind", "Breached")
    assert behind.compliance.won_back == pytest.approx(0.25)
    assert behind.credit == breached.credit == 10
    assert objectives([behind])["state"] == summary(MONTHLY, [behind]).state == "Behind"
    assert summary(MONTHLY, [behind]).objectives[0].won_back == pytest.approx(0.25)
    [lost] = readings_for(MONTHLY, _ratios(0.0025), [], elapsed=0.5)
    [unknown] = readings_for(MONTHLY, {}, [], elapsed=0.5)
    assert (lost.compliance.state, unknown.compliance.state) == ("Breached", "NoData")


def _figures(bad: float, valid: float) -> Figures:
    figures: Figures = defaultdict(dict)
    figures[queries.ERRORS][Row("availability")] = bad
    figures[queries.REQUESTS][Row("availability")] = valid
    return figures


@pytest.mark.parametrize(("now", "state_", "final"), [
    (NOVEMBER_16, "Behind", False),  # half the month gone, 0.15 % errors so far: a credit so far, not owed
    (DECEMBER_1, "Breached", True),  # closed below target: the credit is owed
    (DECEMBER_1 + 40 * 86400, "Breached", True),
])
def test_a_report_owes_a_credit_only_once_the_period_has_closed(now: float, state_: State, final: bool) -> None:
    november = named_period("2026-11", "UTC")
    span = Span.of(MONTHLY, november, min(november.end, now))
    report = _report(MONTHLY, span, _figures(15, 10_000), "recorded", EVERYONE, now)
    [row] = report.rows
    assert (row.state, row.breached, row.final, report.closed) == (state_, state_ == "Breached", final, final)
    assert row.credit_percent == "10" and report.credits == {"": "10"}
    assert row.won_back == (None if final else pytest.approx(0.25))
    [line] = list(csv.DictReader(io.StringIO(bytes(_as_csv(report).body).decode())))
    assert list(line) == list(CSV_COLUMNS) and list(CSV_COLUMNS[9:11]) == ["final", "won_back"]  # new columns after them
    assert (line["state"], line["final"], line["breached"]) == (state_, str(final).lower(), str(state_ == "Breached").lower())
    assert line["won_back"] == ("" if final else repr(row.won_back))


def test_the_detail_judges_its_own_period() -> None:
    figures = _figures(15, 10_000)
    monthly = sla_detail(MONTHLY, Span.of(MONTHLY, current_period(MONTHLY.spec.window, NOVEMBER_16), NOVEMBER_16),
                         figures, [], "recorded", EVERYONE)
    rolling = sla_detail(ROLLING, Span.of(ROLLING, current_period(ROLLING.spec.window, NOVEMBER_16), NOVEMBER_16),
                         figures, [], "recorded", EVERYONE)
    assert monthly.objectives[0].state == "Behind" and monthly.objectives[0].won_back == pytest.approx(0.25)
    assert rolling.objectives[0].state == "Breached" and rolling.objectives[0].won_back is None


def test_the_demo_says_behind_in_words() -> None:
    readings = readings_for(MONTHLY, _ratios(0.0015), [], elapsed=0.5)
    assert behind_notes(readings) == ["test/monthly availability: below 99.9 % so far; 25 % of the month's error "
                                      "budget would have to be won back (the month can still end above target)"]
    assert behind_notes(readings_for(ROLLING, _ratios(0.0015), [])) == []
    assert render_table(readings, NOVEMBER_16).caption is not None

"""The review pack's arithmetic (pledge.api.review): budget used, the hours' breach moment, share above
target and longest bad stretch, firing intervals from a range answer, and the 5 m tiles expected."""

from __future__ import annotations

import pytest

from pledge.api.review import HourFigures, budget_used, corrected_hours, expected_tiles, firing_intervals, hour_figures

H = 3600.0
TARGET = 0.999  # 1 bad event in 1,000 allowed


def test_budget_used_is_bad_over_the_allowed_bad_events() -> None:
    assert budget_used(5, 10_000, TARGET) == pytest.approx(0.5)
    assert budget_used(20, 10_000, TARGET) == pytest.approx(2.0)
    assert budget_used(0, 0, TARGET) is None  # no traffic: no budget to use
    assert budget_used(3, 100, 1.0) is None  # a 100 % target allows nothing


def test_hours_at_target_are_good_below_are_bad() -> None:
    # 1,000 valid events an hour: 1 bad is exactly at target (not bad), 2 are below it
    hours = [(0.0, 1, 1000), (H, 2, 1000), (2 * H, 0, 1000), (3 * H, 0, 1000)]
    found = hour_figures(hours, TARGET, allowed_bad=4.0)
    assert found == HourFigures(breached_at=None, above_target_share=0.75, longest_bad_seconds=H, longest_bad_start=H)


def test_breach_moment_is_the_end_of_the_hour_the_errors_passed_the_budget() -> None:
    hours = [(0.0, 1, 1000), (H, 1, 1000), (2 * H, 50, 1000), (3 * H, 0, 1000)]
    assert hour_figures(hours, TARGET, allowed_bad=4.0).breached_at == 3 * H
    assert hour_figures(hours, TARGET, allowed_bad=52.0).breached_at is None  # 52 spent: not more than allowed
    assert hour_figures(hours, TARGET, allowed_bad=51.9).breached_at == 3 * H


def test_longest_run_is_consecutive_bad_hours_and_a_gap_ends_it() -> None:
    bad, good = 10, 0
    hours = [(0.0, bad, 1000), (H, bad, 1000), (2 * H, good, 1000),
             (3 * H, bad, 1000), (4 * H, bad, 1000), (5 * H, bad, 1000),
             (7 * H, bad, 1000), (8 * H, bad, 1000), (9 * H, bad, 1000), (10 * H, bad, 1000)]  # 6 h missing
    found = hour_figures(reversed(hours), TARGET, allowed_bad=1e9)  # order of the answer does not matter
    assert (found.longest_bad_seconds, found.longest_bad_start) == (4 * H, 7 * H)
    assert found.above_target_share == pytest.approx(1 / 10)


def test_an_hour_without_traffic_is_not_judged_and_breaks_a_run() -> None:
    hours = [(0.0, 5, 1000), (H, 0, 0), (2 * H, 5, 1000)]
    found = hour_figures(hours, TARGET, allowed_bad=1e9)
    assert found.longest_bad_seconds == H and found.longest_bad_start == 0.0
    assert found.above_target_share == 0.0
    empty = hour_figures([], TARGET, allowed_bad=0.0)
    assert empty == HourFigures(None, None, 0.0, None)


def test_firing_intervals_join_consecutive_moments() -> None:
    times = [60.0, 120.0, 180.0, 600.0, 660.0, 1200.0]
    assert firing_intervals(times, 60, last=1500.0, until=1600.0) == [(60.0, 180.0), (600.0, 660.0), (1200.0, 1200.0)]


def test_an_alert_firing_at_the_last_moment_runs_to_the_period_end() -> None:
    assert firing_intervals([900.0, 960.0, 1020.0], 60, last=1020.0, until=1055.0) == [(900.0, 1055.0)]
    assert firing_intervals([], 60, last=1020.0, until=1055.0) == []


def test_expected_tiles_leave_out_maintenance_and_the_tile_after_it() -> None:
    day = 86_400.0
    assert expected_tiles(0.0, day, []) == 288
    assert expected_tiles(0.0, day + 299, []) == 288  # a tile is expected once its 5 minutes are over
    # a 2 h window from 01:00: the tiles recorded from 01:00 to 03:00 are dropped (25), the one at 03:05 kept
    assert expected_tiles(0.0, day, [(H, 3 * H)]) == 288 - 25
    # two windows a tile apart share the dropped tile between them
    assert expected_tiles(0.0, day, [(H, 2 * H), (2 * H + 300, 3 * H)]) == 288 - 25
    assert expected_tiles(0.0, 250.0, []) == 0
    assert expected_tiles(0.0, day, [(-H, 2 * H)]) == 288 - 24  # a window from before: 00:05 .. 02:00


def test_corrections_apply_to_the_hours_as_the_report_applies_them() -> None:
    hours = [(0.0, 10.0, 1000.0), (H, 600.0, 1000.0), (2 * H, 400.0, 1000.0), (3 * H, 2.0, 1000.0)]
    # exclude the outage's first hour, call half of the next one good, and the last hour's events all bad
    pieces = [(H, 2 * H, "exclude"), (2 * H, 2.5 * H, "good"), (3 * H, 4 * H, "bad")]
    assert corrected_hours(hours, pieces) == [(0.0, 10.0, 1000.0), (H, 0.0, 0.0), (2 * H, 200.0, 1000.0),
                                              (3 * H, 1000.0, 1000.0)]
    # the breach moves past the excused hour: 10 + 200 bad passes 100 allowed in the third hour, not the second
    assert hour_figures(corrected_hours(hours, pieces), TARGET, allowed_bad=100.0).breached_at == 3 * H
    assert hour_figures(hours, TARGET, allowed_bad=100.0).breached_at == 2 * H

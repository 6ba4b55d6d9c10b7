"""pledge.slo.exclusions: maintenance windows as merged UTC intervals, recurring ones in local wall-clock time."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pledge.slo.exclusions import (
    OFFSET_YEARS,
    Recurrence,
    excluded_seconds,
    in_recurrence,
    intervals,
    recurrence,
    utc_offsets,
)
from pledge.sla.model import Exclusion
from pledge.sla.units import DAY, HOUR, WEEK

UTC = dt.timezone.utc
BERLIN = "Europe/Berlin"


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, *,
       tz: dt.tzinfo = UTC) -> float:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=tz).timestamp()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return ts(year, month, day, hour, minute, second)


def absolute(start: str, end: str) -> Exclusion:
    return Exclusion.model_validate({"start": start, "end": end})


def recurring(**fields: Any) -> Exclusion:
    return Exclusion.model_validate(fields)


# --- absolute windows ---------------------------------------------------------------------------------


def test_absolute_window_inside_the_range() -> None:
    ex = absolute("2026-11-01T02:00:00Z", "2026-11-01T04:00:00Z")
    assert intervals([ex], utc(2026, 11, 1), utc(2026, 11, 2)) == [(utc(2026, 11, 1, 2), utc(2026, 11, 1, 4))]
    assert excluded_seconds([ex], utc(2026, 11, 1), utc(2026, 11, 2)) == 2 * HOUR


def test_absolute_window_is_clipped_to_the_range() -> None:
    ex = absolute("2026-11-01T02:00:00Z", "2026-11-01T04:00:00Z")
    assert intervals([ex], utc(2026, 11, 1, 3), utc(2026, 11, 1, 3, 30)) == [(utc(2026, 11, 1, 3), utc(2026, 11, 1, 3, 30))]
    assert intervals([ex], utc(2026, 11, 1, 3), utc(2026, 11, 2)) == [(utc(2026, 11, 1, 3), utc(2026, 11, 1, 4))]
    assert intervals([ex], utc(2026, 10, 31), utc(2026, 11, 1, 2, 30)) == [(utc(2026, 11, 1, 2), utc(2026, 11, 1, 2, 30))]
    assert excluded_seconds([ex], utc(2026, 11, 1, 3), utc(2026, 11, 2)) == HOUR


@pytest.mark.parametrize(("start", "end"), [
    (utc(2026, 11, 1, 4), utc(2026, 11, 2)),        # range starts exactly at the window's end
    (utc(2026, 10, 1), utc(2026, 11, 1, 2)),         # range ends exactly at the window's start
    (utc(2026, 12, 1), utc(2026, 12, 2)),
])
def test_absolute_window_outside_the_range(start: float, end: float) -> None:
    ex = absolute("2026-11-01T02:00:00Z", "2026-11-01T04:00:00Z")
    assert intervals([ex], start, end) == []
    assert excluded_seconds([ex], start, end) == 0


def test_overlapping_and_touching_windows_merge() -> None:
    windows = [
        absolute("2026-11-01T03:00:00+01:00", "2026-11-01T05:00:00Z"),  # 02:00Z-05:00Z
        absolute("2026-11-01T01:00:00Z", "2026-11-01T03:00:00Z"),        # overlaps the first
        absolute("2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"),        # touches it
        absolute("2026-11-01T08:00:00Z", "2026-11-01T09:00:00Z"),        # separate
        absolute("2026-11-01T08:15:00Z", "2026-11-01T08:45:00Z"),        # inside the previous one
    ]
    expected = [(utc(2026, 11, 1, 1), utc(2026, 11, 1, 6)), (utc(2026, 11, 1, 8), utc(2026, 11, 1, 9))]
    assert intervals(windows, utc(2026, 11, 1), utc(2026, 11, 2)) == expected
    assert intervals(list(reversed(windows)), utc(2026, 11, 1), utc(2026, 11, 2)) == expected
    assert excluded_seconds(windows, utc(2026, 11, 1), utc(2026, 11, 2)) == 6 * HOUR


def test_no_exclusions() -> None:
    assert intervals([], 0, 10 * DAY) == []
    assert excluded_seconds([], 0, 10 * DAY) == 0


# --- recurring windows --------------------------------------------------------------------------------


def test_recurrence_fields() -> None:
    weekly = recurrence(recurring(schedule="weekly", day="sunday", at="02:30", duration="2h", timezone=BERLIN))
    assert weekly == Recurrence(WEEK, 6 * DAY + 2 * HOUR + 1_800, 2 * HOUR, BERLIN)
    daily = recurrence(recurring(schedule="daily", at="23:00", duration="90m"))
    assert daily == Recurrence(DAY, 23 * HOUR, 5_400, "UTC")


def test_daily_in_utc_crosses_midnight() -> None:
    ex = recurring(schedule="daily", at="23:00", duration="2h")
    assert intervals([ex], utc(2026, 1, 1), utc(2026, 1, 3, 12)) == [
        (utc(2026, 1, 1), utc(2026, 1, 1, 1)),            # the tail of the 2025-12-31 occurrence
        (utc(2026, 1, 1, 23), utc(2026, 1, 2, 1)),
        (utc(2026, 1, 2, 23), utc(2026, 1, 3, 1)),
    ]
    assert excluded_seconds([ex], utc(2026, 1, 1), utc(2026, 1, 3, 12)) == 5 * HOUR
    assert excluded_seconds([ex], utc(2026, 1, 1), utc(2026, 1, 31)) == 30 * 2 * HOUR


def test_daily_clipped_at_both_ends() -> None:
    ex = recurring(schedule="daily", at="23:00", duration="2h")
    assert intervals([ex], utc(2026, 1, 1, 0, 30), utc(2026, 1, 1, 23, 30)) == [
        (utc(2026, 1, 1, 0, 30), utc(2026, 1, 1, 1)),
        (utc(2026, 1, 1, 23), utc(2026, 1, 1, 23, 30)),
    ]


def test_weekly_in_utc() -> None:
    ex = recurring(schedule="weekly", day="wednesday", at="22:15", duration="45m")
    found = intervals([ex], utc(2026, 3, 1), utc(2026, 4, 1))
    starts = [dt.datetime.fromtimestamp(a, UTC) for a, _ in found]
    assert [d.day for d in starts] == [4, 11, 18, 25]
    assert all(d.weekday() == 2 and (d.hour, d.minute) == (22, 15) for d in starts)
    assert all(b - a == 45 * 60 for a, b in found)


def test_weekly_in_berlin_across_the_october_dst_change() -> None:
    """Sunday 02:00-04:00 Berlin wall clock: 2 h in summer time, 3 h on 2026-10-25 (02:00-03:00 happens twice),
    then 2 h again one hour later in UTC."""
    ex = recurring(schedule="weekly", day="sunday", at="02:00", duration="2h", timezone=BERLIN)
    assert intervals([ex], utc(2026, 10, 10), utc(2026, 11, 5)) == [
        (utc(2026, 10, 11, 0), utc(2026, 10, 11, 2)),
        (utc(2026, 10, 18, 0), utc(2026, 10, 18, 2)),
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 3)),
        (utc(2026, 11, 1, 1), utc(2026, 11, 1, 3)),
    ]


def test_weekly_in_berlin_across_the_march_dst_change() -> None:
    """On 2026-03-29 02:00-03:00 Berlin does not exist: only 03:00-04:00 CEST is left."""
    ex = recurring(schedule="weekly", day="sunday", at="02:00", duration="2h", timezone=BERLIN)
    assert intervals([ex], utc(2026, 3, 20), utc(2026, 4, 6)) == [
        (utc(2026, 3, 22, 1), utc(2026, 3, 22, 3)),
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
        (utc(2026, 4, 5, 0), utc(2026, 4, 5, 2)),
    ]


def test_repeated_hour_of_a_fall_back_is_excluded_twice() -> None:
    """New York falls back at 06:00 UTC on 2026-11-01: 01:00-01:59 local happens twice (EDT, then EST).
    A 30-minute window at 01:15 wall-clock time is therefore due twice that night, as in_recurrence says."""
    ex = recurring(schedule="daily", at="01:15", duration="30m", timezone="America/New_York")
    recur = recurrence(ex)
    assert in_recurrence(recur, utc(2026, 11, 1, 5, 20)) and in_recurrence(recur, utc(2026, 11, 1, 6, 20))
    assert intervals([ex], utc(2026, 11, 1), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 5, 15), utc(2026, 11, 1, 5, 45)),
        (utc(2026, 11, 1, 6, 15), utc(2026, 11, 1, 6, 45)),
    ]
    assert excluded_seconds([ex], utc(2026, 10, 31), utc(2026, 11, 3)) == 4 * 1_800


def test_daily_in_berlin_follows_local_midnight() -> None:
    ex = recurring(schedule="daily", at="00:00", duration="1h", timezone=BERLIN)
    found = intervals([ex], utc(2026, 10, 23), utc(2026, 10, 28))
    berlin = ZoneInfo(BERLIN)
    local_starts = [dt.datetime.fromtimestamp(a, berlin) for a, _ in found]
    # the range starts at 02:00 Berlin on the 23rd and ends at 01:00 Berlin on the 28th
    assert [(d.day, d.hour, d.minute) for d in local_starts] == [(24, 0, 0), (25, 0, 0), (26, 0, 0), (27, 0, 0), (28, 0, 0)]
    assert [dt.datetime.fromtimestamp(a, UTC).hour for a, _ in found] == [22, 22, 23, 23, 23]
    assert all(b - a == HOUR for a, b in found)


def test_excluded_seconds_mixes_absolute_and_recurring() -> None:
    windows = [
        absolute("2026-11-01T02:00:00Z", "2026-11-01T04:00:00Z"),
        recurring(schedule="weekly", day="sunday", at="02:00", duration="2h", timezone=BERLIN),
        absolute("2026-11-01T02:00:00Z", "2026-11-01T05:00:00Z"),
    ]
    # Sundays in Oct 2026: 4, 11, 18 (2 h each), 25 (3 h); Nov: 1 (01:00-05:00Z merged = 4 h), 8, 15, 22, 29 (2 h)
    assert excluded_seconds(windows, utc(2026, 10, 1), utc(2026, 12, 1)) == (2 + 2 + 2 + 3 + 4 + 8) * HOUR


def test_utc_offsets_of_berlin() -> None:
    first, changes = utc_offsets(BERLIN)
    assert first == HOUR  # CET on 1 January of the first rendered year
    moments = dict(changes)
    assert moments[int(utc(2026, 10, 25, 1))] == -HOUR
    assert moments[int(utc(2026, 3, 29, 1))] == HOUR
    assert len(changes) == 2 * len(OFFSET_YEARS)  # two changes a year
    assert all(delta in (HOUR, -HOUR) for _, delta in changes)
    assert [m for m, _ in changes] == sorted(m for m, _ in changes)
    assert utc_offsets("UTC") == (0, ())


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo"])
def test_utc_offsets_agree_with_zoneinfo(zone: str) -> None:
    first, changes = utc_offsets(zone)
    tz = ZoneInfo(zone)

    def offset_at(unix: float) -> int:
        return first + sum(delta for moment, delta in changes if unix >= moment)

    for unix in range(int(utc(OFFSET_YEARS.start, 1, 1)), int(utc(OFFSET_YEARS.stop - 1, 12, 31)), 7 * DAY + 3_607):
        expected = dt.datetime.fromtimestamp(unix, tz).utcoffset()
        assert expected is not None and offset_at(unix) == int(expected.total_seconds()), unix
    for moment, _ in changes:  # exact to the minute around every change
        for probe in (moment - 60, moment, moment + 60):
            expected = dt.datetime.fromtimestamp(probe, tz).utcoffset()
            assert expected is not None and offset_at(probe) == int(expected.total_seconds())


# --- property: the formula and its expansion agree minute by minute -----------------------------------

ZONES = ["UTC", BERLIN, "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@st.composite
def recurrences(draw: st.DrawFn) -> Exclusion:
    schedule = draw(st.sampled_from(["daily", "weekly"]))
    limit = DAY if schedule == "daily" else WEEK
    minutes = draw(st.integers(min_value=1, max_value=limit // 60 - 1))
    fields: dict[str, Any] = {
        "schedule": schedule,
        "at": f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}",
        "duration": f"{minutes}m",
        "timezone": draw(st.sampled_from(ZONES)),
    }
    if schedule == "weekly":
        fields["day"] = draw(st.sampled_from(DAYS))
    return recurring(**fields)


# around DST changes in both hemispheres, and a quiet stretch
STARTS = [utc(2026, 10, 20), utc(2026, 3, 25), utc(2026, 4, 1), utc(2026, 9, 24), utc(2026, 11, 1), utc(2026, 7, 1)]


@settings(max_examples=20)
@given(recurrences(), st.sampled_from(STARTS), st.integers(min_value=0, max_value=DAY // 60))
# found by this test with other seeds: a short window inside the hour that a fall-back repeats
@example(recurring(schedule="daily", at="01:00", duration="1m", timezone="America/New_York"), utc(2026, 10, 20), 0)
@example(recurring(schedule="daily", at="22:59", duration="3h47m", timezone="Pacific/Chatham"), utc(2026, 3, 25), 0)
def test_in_recurrence_agrees_with_the_expansion_minute_by_minute(ex: Exclusion, base: float, shift: int) -> None:
    start = base + shift * 60 + 17  # not on a minute boundary
    end = start + 3 * WEEK
    found = intervals([ex], start, end)
    for (a, b), (c, _) in zip(found, found[1:]):
        assert a < b < c  # sorted, merged, nothing empty
    assert all(start <= a < b <= end for a, b in found)
    recur = recurrence(ex)
    index = 0
    minute = start - start % 60 + 60
    while minute < end:
        while index < len(found) and found[index][1] <= minute:
            index += 1
        covered = index < len(found) and found[index][0] <= minute < found[index][1]
        assert covered == in_recurrence(recur, minute), dt.datetime.fromtimestamp(minute, UTC)
        minute += 60
    assert excluded_seconds([ex], start, end) == pytest.approx(sum(b - a for a, b in found))


@settings(max_examples=30)
@given(recurrences())
def test_each_occurrence_lasts_its_duration_away_from_dst(ex: Exclusion) -> None:
    """In July (no change in any of the zones within the range) every complete occurrence lasts exactly its
    duration and starts at the wall-clock time written."""
    start, end = utc(2026, 7, 1), utc(2026, 7, 1) + 3 * WEEK
    found = intervals([ex], start, end)
    recur = recurrence(ex)
    zone = ZoneInfo(ex.timezone)
    assert found
    for a, b in found:
        if start < a and b < end:
            assert b - a == recur.duration
            local = dt.datetime.fromtimestamp(a, zone)
            assert f"{local.hour:02d}:{local.minute:02d}" == ex.at
            if ex.schedule == "weekly":
                assert DAYS[local.weekday()] == ex.day

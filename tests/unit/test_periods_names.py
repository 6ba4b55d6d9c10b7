"""Period names one after another (pledge.slo.periods: calendar_of, earlier, last_closed), for review packs."""

from __future__ import annotations

import datetime as dt

import pytest

from pledge.slo.periods import calendar_of, earlier, last_closed

UTC = dt.timezone.utc


@pytest.mark.parametrize(("name", "unit", "before"), [
    ("2026-11", "month", ["2026-10", "2026-09"]),
    ("2026-01", "month", ["2025-12", "2025-11"]),
    ("2026-Q1", "quarter", ["2025-Q4", "2025-Q3"]),
    ("2026-W01", "week", ["2025-W52", "2025-W51"]),
    ("2021-W01", "week", ["2020-W53", "2020-W52"]),  # 2020 had 53 ISO weeks
])
def test_earlier_periods_of_the_same_unit(name: str, unit: str, before: list[str]) -> None:
    assert calendar_of(name) == unit and earlier(name, 2) == before and earlier(name, 0) == []


def test_a_name_that_is_no_period_is_refused_with_the_forms() -> None:
    with pytest.raises(ValueError, match='expected a month "2026-10"'):
        calendar_of("2026-13")


def test_the_last_closed_period_waits_for_the_grace() -> None:
    at = dt.datetime(2026, 12, 2, 12, tzinfo=UTC).timestamp()
    assert last_closed("month", at) == "2026-11"
    assert last_closed("month", at, grace=3 * 86_400) == "2026-10"  # November's data may still come in until 4 December
    assert last_closed("quarter", at) == "2026-Q3"

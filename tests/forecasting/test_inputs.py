"""Bad input: each case is a clear error or a documented, tested treatment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pledge.forecasting.counts import counts
from pledge.forecasting.goal import goal_for
from pledge.forecasting.io import read_counts, read_metric
from pledge.forecasting.series import SeriesError
from pledge.sla.duration import Duration
from pledge.sla.model import Window
from decimal import Decimal

ROLLING = goal_for(Decimal("99.9"), Window(rolling=Duration(86_400)))


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(stamps: list[int], good: int = 99, total: int = 100) -> str:
    return "timestamp,good,total\n" + "".join(f"{t},{good},{total}\n" for t in stamps)


@pytest.mark.parametrize("text, message", [
    ("", "no data rows"),
    ("timestamp,good,total\n", "no data rows"),
    (rows([0, 600, 300]), "not sorted"),
    (rows([0, 300, 300, 600]), "duplicate timestamp"),
    (rows([0, 300, 900]), "missing step"),
    (rows([0, 300, 600], good=-1, total=5), "good > total"),
    ("timestamp,errors,total\n0,-1,5\n300,0,5\n", "must not be negative"),
    ("timestamp,errors,total\n0,1,-5\n300,0,5\n", "must not be negative"),
    ("timestamp,errors,total\n0,6,5\n300,0,5\n", "more bad than valid"),
    (rows([0, 300], good=101), "good > total"),
    ("timestamp,good\n0,1\n300,1\n", "header must be"),
    ("timestamp,errors,total\n0,x,5\n300,0,5\n", "non-numeric"),
    ("timestamp,errors,total\nyesterday,1,5\n300,0,5\n", "neither unix seconds nor ISO 8601"),
    ("timestamp,errors,total\n0,1,5\n", "at least two samples"),
    (rows([0, 300, 700]), "regular"),
])
def test_bad_counts_csv(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SeriesError, match=message):
        read_counts(write(tmp_path, text))


def test_gaps_filled_as_no_traffic_when_asked(tmp_path: Path) -> None:
    series = read_counts(write(tmp_path, rows([0, 300, 1200])), fill_gaps=True)
    assert series.timestamps.tolist() == [0, 300, 600, 900, 1200]
    assert series.total.tolist() == [100, 100, 0, 0, 100]


def test_iso_timestamps_and_errors_header(tmp_path: Path) -> None:
    series = read_counts(write(tmp_path, "timestamp,errors,total\n2026-01-01 00:00:00,1,10\n2026-01-01T00:05:00Z,0,10\n"))
    assert series.timestamps.tolist() == [1_767_225_600, 1_767_225_900] and series.errors.tolist() == [1, 0]


def test_step_must_divide_the_window(tmp_path: Path) -> None:
    stamps = [i * 420 for i in range(300)]  # 7-minute steps do not divide one day
    with pytest.raises(SeriesError, match="does not divide the window"):
        counts(read_counts(write(tmp_path, rows(stamps))), ROLLING)


def test_too_short_history(tmp_path: Path) -> None:
    with pytest.raises(SeriesError, match="at least one day"):
        counts(read_counts(write(tmp_path, rows([0, 300, 600]))), ROLLING)


def test_metric_conversion(tmp_path: Path) -> None:
    series = read_metric(write(tmp_path, "timestamp,value\n0,100\n300,600\n600,500\n"), "> 500")
    assert series.errors.tolist() == [0, 1, 0] and series.total.tolist() == [1, 1, 1]


@pytest.mark.parametrize("condition", ["500", "> abc", "=> 5", ""])
def test_bad_condition(tmp_path: Path, condition: str) -> None:
    with pytest.raises(SeriesError, match="bad-when"):
        read_metric(write(tmp_path, "timestamp,value\n0,1\n300,2\n"), condition)


def test_nan_counts_rejected() -> None:
    from pledge.forecasting.series import build

    with pytest.raises(SeriesError, match="finite"):
        build(np.array([0, 300]), np.array([np.nan, 0.0]), np.array([1.0, 1.0]))

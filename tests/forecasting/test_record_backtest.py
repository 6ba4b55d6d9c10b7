"""`pledge backtest`'s track record: the backtest's own daily decisions, judged as the API judges served
ones (pledge.forecasting.record), on a hand-made history whose figures are counted by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from pledge.commands.forecast import backtest
from pledge.forecasting.backtest import period_record, replay
from pledge.forecasting.counts import Counts
from pledge.forecasting.goal import goal_for
from pledge.forecasting.methods import RowPredictions
from pledge.forecasting.record import DAY, summarize
from pledge.forecasting.series import Ints, StepCounts
from pledge.sla.model import Window

STEP = 300


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC).timestamp())


def history() -> StepCounts:
    """January to April 2026, 1,000 requests a step; every request fails for an hour from 20 February
    00:00 (12 steps: 12,000 errors, over February's 8,064) and for 25 minutes from 31 March 00:00
    (5,000, under March's 8,928)."""
    t = np.arange(utc(1, 1) + STEP, utc(5, 1) + 1, STEP, dtype=np.int64)
    total = np.full(t.size, 1_000.0)
    down = ((t > utc(2, 20)) & (t <= utc(2, 20, 1))) | ((t > utc(3, 31)) & (t <= utc(3, 31, 0, 25)))
    return StepCounts(t, np.where(down, 1_000.0, 0.0), total, STEP)


class Fortnight:
    """0.8 when the period ends within 14 days, 0.2 before: a method whose every answer is known."""

    name = "fortnight"

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions:
        p = np.full(i.size, 0.8 if horizon <= 14 * DAY else 0.2)
        zero = np.zeros(i.size, dtype=np.int64)
        return RowPredictions(p, zero, zero, zero)


def test_the_backtest_decisions_judged_per_month() -> None:
    goal = goal_for(Decimal("99.9"), Window(calendar="month", timezone="UTC"))
    judged = period_record(replay(history(), goal), Fortnight())
    assert [(j.label, j.breached, j.breach_at) for j in judged] == [
        ("2026-01", False, None),
        ("2026-02", True, utc(2, 20, 0, 45)),  # the 9th failing step: 9,000 errors > 8,064 allowed in the month
        ("2026-03", False, None), ("2026-04", False, None)]
    # one decision a day from the 2nd, each asked about the month's end: 0.8 from 14 days before it
    assert [j.times.size for j in judged] == [30, 27, 30, 29]
    assert judged[1].probabilities.tolist() == [0.2] * 13 + [0.8] * 14  # 2nd-14th; 15th-28th
    r = summarize(judged)
    assert (r.periods, r.breached, r.warned, r.warned_breached, r.missed) == (4, 1, 4, 1, 0)
    assert r.decisions == 30 + 19 + 30 + 29  # February's from the 21st come after its breach
    assert r.median_warning == utc(2, 20, 0, 45) - utc(2, 15)
    assert r.words == ("Of the last 4 months we warned about, 1 breached; we missed 0; median warning 5.0 days "
                       "before the breach (4 months judged).")


def test_the_cli_prints_the_record_for_calendar_windows(tmp_path: Path) -> None:
    s = history()
    csv = tmp_path / "counts.csv"
    csv.write_text("timestamp,errors,total\n" + "".join(
        f"{t},{int(e)},{int(n)}\n" for t, e, n in zip(s.timestamps, s.errors, s.total)))
    monthly = CliRunner().invoke(backtest, [str(csv), "--window", "calendar:month", "--horizons", "24h", "--methods", "linear"])
    assert monthly.exit_code == 0, monthly.output
    assert "Track record: will the month end below target?" in monthly.output
    assert "linear: " in monthly.output and "(4 months judged)." in monthly.output
    rolling = CliRunner().invoke(backtest, [str(csv), "--horizons", "24h", "--methods", "linear"])
    assert rolling.exit_code == 0 and "judged for calendar windows only" in rolling.output

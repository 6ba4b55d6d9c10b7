"""The backtest's metrics on hand-made decisions, each figure worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pledge.forecasting.backtest import foreseeable, replay
from research.forecasting.scenarios import scenario
from pledge.forecasting.scoring import tally
from pledge.sla.units import DAY

STEP, EVERY = 300, 12  # 5-minute steps, a decision every hour (12 steps)
H = 24  # a 2-hour horizon in steps


def _decided(n: int) -> np.ndarray:
    return np.arange(0, n * EVERY, EVERY, dtype=np.int64)


def test_warning_time_counts_a_missed_breach_as_zero() -> None:
    decided = _decided(40)  # steps 0..468
    starts = np.array([120, 360], dtype=np.int64)
    warned = np.isin(decided, [108])  # one warning, 12 steps (1 h) before the first breach
    result = tally(decided, warned, warned.astype(float), starts, H, STEP, EVERY).summary()
    assert (result["breaches"], result["recall"], result["precision"]) == (2, 0.5, 1.0)
    assert result["warning_time_h"] == pytest.approx((1.0 + 0.0) / 2)
    assert result["lead_median_h"] == pytest.approx(1.0)


def test_warnings_less_than_an_hour_apart_are_one_alarm() -> None:
    decided = np.arange(0, 200, 6, dtype=np.int64)  # a decision every 30 minutes
    warned = np.isin(decided, [12, 18, 24, 60, 150])  # 12-24 one alarm, 60 and 150 two more (gaps > 1 h)
    result = tally(decided, warned, warned.astype(float), np.zeros(0, dtype=np.int64), H, STEP, 6).summary()
    assert result["alarms"] == 3 and result["false_alarms_per_month"] > 0


def test_brier_skill_against_the_base_rate_and_reliability() -> None:
    decided = _decided(40)
    starts = np.array([240], dtype=np.int64)  # decisions at 216 and 228 see it within H (H = 24 steps)
    constant = np.full(decided.size, 0.05)
    result = tally(decided, constant > 1, constant, starts, H, STEP, EVERY).summary()
    base = 2 / 40
    assert result["base_rate"] == pytest.approx(base)
    assert result["brier_climatology"] == pytest.approx(base * (1 - base))
    assert result["brier_skill"] == pytest.approx(0.0, abs=1e-12)  # the base rate itself has no skill
    assert result["reliability"] == [{"low": 0.0, "high": pytest.approx(0.1), "decisions": 40,
                                      "predicted": pytest.approx(0.05), "observed": pytest.approx(base)}]


def test_a_slow_degradation_is_foreseeable_and_an_outage_is_not() -> None:
    for kind, expected in (("degradation", True), ("outage", False)):
        r = replay(scenario(kind, 3).series, scenario(kind, 3).goal)
        assert r.starts.size and bool(foreseeable(r, DAY)[0]) is expected, kind

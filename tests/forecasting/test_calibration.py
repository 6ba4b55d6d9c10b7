"""The shipped calibration rebuilds to the same arrays, serving stays numpy-only, messages say it plainly."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from decimal import Decimal

import numpy as np

from pledge.forecasting.analogs import CALIBRATION, FEATURES, WARN_AT, Pledge, calibrated, warn_at
from pledge.forecasting.backtest import decision_steps, replay
from research.forecasting.calibrate import build, matches
from pledge.forecasting.counts import Counts
from research.forecasting.scenarios import scenario
from pledge.forecasting.forecast import Forecast
from pledge.predictions import message
from pledge.sla import parse_yaml
from pledge.slo.budget import compliance
from pledge.slo.periods import calendar_elapsed
from pledge.sla.units import DAY
from tests.support.slas import as_yaml

SLA = as_yaml("checkout", "shop", sli={"ratio": {"errors": 'x{code="500"}', "total": "x"}}, customer="acme",
              window={"calendar": "month", "timezone": "UTC"},
              credits=[{"below": "99.9", "percent": 10}, {"below": "99.0", "percent": 25}])
AT = 1_764_547_200 + 15 * 86_400  # 2025-12-16T00:00:00Z


def test_rebuild_equals_the_shipped_file() -> None:
    shipped, rebuilt = json.loads(CALIBRATION.read_text(encoding="utf-8")), build()
    assert shipped["features"] == rebuilt["features"] == list(FEATURES)
    assert matches(shipped, rebuilt)
    nudged = copy.deepcopy(shipped)
    nudged["few"]["isotonic"][2]["y"][-1] -= 1e-6
    assert not matches(nudged, rebuilt)


def test_probabilities_bend_with_the_horizon_between_fitted_tables() -> None:
    """At a fitted horizon the table of that horizon; between two, a mix of both (monotone in each)."""
    rows = Pledge().features(*_decisions("degradation"), DAY)[0]
    day, three = calibrated(rows, DAY), calibrated(rows, 3 * DAY)
    between = calibrated(rows, 2 * DAY)
    assert np.all(np.minimum(day, three) - 1e-12 <= between) and np.all(between <= np.maximum(day, three) + 1e-12)
    assert not np.allclose(day, three)


def test_a_linear_projection_lowers_the_threshold_of_request_slis_only() -> None:
    few, many = np.array([True, False]), np.array([False, False])
    yes, no = np.array([True, True]), np.array([False, False])
    assert warn_at(DAY, many, yes).tolist() == [WARN_AT["many"][DAY][1]] * 2
    assert warn_at(DAY, many, no).tolist() == [WARN_AT["many"][DAY][0]] * 2
    assert warn_at(2 * DAY, few, no).tolist() == [WARN_AT["few"][DAY][0], WARN_AT["many"][DAY][0]]
    assert warn_at(60, few, yes).tolist() == [WARN_AT["few"][3_600][1], WARN_AT["many"][3_600][1]]


def _decisions(kind: str) -> tuple[Counts, np.ndarray, np.ndarray]:
    s = scenario(kind, 3)
    r = replay(s.series, s.goal)
    steps = decision_steps(r, DAY)
    return r.counts, np.zeros(steps.size, dtype=np.int64), steps


def test_serving_imports_neither_scikit_learn_nor_scipy() -> None:
    code = ("import sys, pledge.api.app, pledge.predictions, pledge.forecasting.analogs as a; a.calibration(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'matplotlib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _forecast(ratio: float, probability: float, breach_at: int | None = None) -> Forecast:
    sla = parse_yaml(SLA, "sla.yaml")[0]
    return Forecast(AT, 16 * 86_400, probability, breach_at, None, None, None, None,
                    compliance(ratio, sla.spec.objectives[0], elapsed=calendar_elapsed(sla.spec.window, AT)))


def test_breached_says_so_with_the_figure_and_credit() -> None:
    """Half-way through the month at 99.68 % the month can no longer end at 99.9 %: the credit is the
    one this figure would earn, owed when the month closes."""
    sla = parse_yaml(SLA, "sla.yaml")[0]
    words = message(sla, sla.spec.objectives[0], "Acme's checkout availability", _forecast(0.0032, 1.0))
    assert words == ("Acme's checkout availability can no longer end this month at or above 99.9 %: 99.68 % so far; "
                     "10 % credit at this figure, owed when the month closes.")


def test_below_target_so_far_is_behind_with_what_must_be_won_back() -> None:
    """99.85 % after 15 of 31 days: 0.05 % over the budget for the days gone, 24 % of the month's budget."""
    sla = parse_yaml(SLA, "sla.yaml")[0]
    f = _forecast(0.0015, 0.4)
    assert f.current.state == "Behind"
    words = message(sla, sla.spec.objectives[0], "Acme's checkout availability", f)
    assert words == ("Acme's checkout availability is below 99.9 % so far; 24 % of the month's error budget would "
                     "have to be won back (the month can still end above target): 40 % chance of ending below "
                     "99.9 % before the month ends on 01 Jan 00:00 UTC (of 100 forecasts like this one, about 40 "
                     "end in a breach).")


def test_a_chance_is_never_rounded_to_a_certainty() -> None:
    sla = parse_yaml(SLA, "sla.yaml")[0]
    words = message(sla, sla.spec.objectives[0], "Acme's checkout availability", _forecast(0.0005, 0.999))
    assert words == ("Acme's checkout availability: more than 99 % chance of falling below 99.9 % before the month "
                     "ends on 01 Jan 00:00 UTC (of 100 forecasts like this one, more than 99 end in a breach).")
    low = message(sla, sla.spec.objectives[0], "Acme's checkout availability", _forecast(0.0005, 0.001))
    assert "less than 1 % chance" in low and "less than 1 end in a breach" in low


def test_at_risk_names_the_period_end_and_what_the_chance_means() -> None:
    sla = parse_yaml(SLA, "sla.yaml")[0]
    words = message(sla, sla.spec.objectives[0], "Acme's checkout availability", _forecast(0.0005, 0.82, AT + 86_400))
    assert words == ("Acme's checkout availability: 82 % chance of falling below 99.9 % before the month ends on "
                     "01 Jan 00:00 UTC, most likely around 17 Dec 00:00 UTC (of 100 forecasts like this one, about "
                     "82 end in a breach).")
    assert Decimal("99.9") == sla.spec.objectives[0].target

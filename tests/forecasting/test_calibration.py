"""The shipped calibration rebuilds to the same arrays, serving stays numpy-only, messages say it plainly."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import numpy as np

from pledge.forecasting.analogs import CALIBRATION, FEATURES
from pledge.forecasting.calibrate import build
from pledge.forecasting.forecast import Forecast
from pledge.predictions import message
from pledge.sla import parse_yaml
from pledge.slo.budget import compliance
from tests.forecasting.test_forecast import SLA as BATCHED_SLA

SLA = BATCHED_SLA.replace("  grouping: [customer]\n", "  customer: acme\n  window: {calendar: month, timezone: UTC}\n") + """\
  credits:
    - {below: "99.9", percent: 10}
    - {below: "99.0", percent: 25}
"""
AT = 1_764_547_200 + 15 * 86_400  # 2025-12-16T00:00:00Z


def test_rebuild_equals_the_shipped_file() -> None:
    shipped, rebuilt = json.loads(CALIBRATION.read_text(encoding="utf-8")), build()
    assert isinstance(shipped, dict)
    assert shipped["features"] == rebuilt["features"] == list(FEATURES)
    for key in ("coef", "intercept", "decisions"):
        assert np.allclose(shipped[key], rebuilt[key], rtol=1e-9, atol=1e-12), key


def test_serving_imports_neither_scikit_learn_nor_scipy() -> None:
    code = ("import sys, pledge.api.app, pledge.predictions, pledge.forecasting.analogs as a; a.calibration(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'matplotlib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _forecast(ratio: float, probability: float, breach_at: int | None = None) -> Forecast:
    sla = parse_yaml(SLA, "sla.yaml")[0]
    return Forecast(AT, 16 * 86_400, probability, breach_at, None, None, None, None,
                    compliance(ratio, sla.spec.objectives[0]))


def test_breached_says_so_with_the_figure_and_credit() -> None:
    sla = parse_yaml(SLA, "sla.yaml")[0]
    words = message(sla, sla.spec.objectives[0], "Acme's checkout availability", _forecast(0.0032, 1.0))
    assert words == "Acme's checkout availability is already below 99.9 % this month: 99.68 %; 10 % credit owed."


def test_at_risk_names_the_period_end_and_what_the_chance_means() -> None:
    sla = parse_yaml(SLA, "sla.yaml")[0]
    words = message(sla, sla.spec.objectives[0], "Acme's checkout availability", _forecast(0.0005, 0.82, AT + 86_400))
    assert words == ("Acme's checkout availability: 82 % chance of falling below 99.9 % before the month ends on "
                     "01 Jan 00:00 UTC, most likely around 17 Dec 00:00 UTC (of 100 forecasts like this one, about "
                     "82 end in a breach).")
    assert Decimal("99.9") == sla.spec.objectives[0].target

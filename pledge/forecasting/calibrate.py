"""Build the pledge method's calibration (calibration.json): `python -m pledge.forecasting.calibrate`.

Deterministic, from data the package ships or generates: synthetic scenarios of every kind (seeds
CALIBRATION_SEEDS, disjoint from the validation and test seeds) and the NAB training split shipped
in data/nab. At hourly decisions and the horizons 1 h, 6 h, 24 h and 72 h, a logistic regression of
"a breach starts within H" on the analog features (analogs.FEATURES), strongly regularised (C =
0.01: an isotonic table on top, and weaker regularisation, fitted the training series better and
the validation series worse). Each of the two sources weighs half. scikit-learn is imported here
only: the serving path reads the arrays with numpy. `--check` rebuilds and compares.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from pledge.forecasting.analogs import CALIBRATION, FEATURES, Pledge
from pledge.forecasting.backtest import decision_steps, replay
from pledge.forecasting.goal import Goal
from pledge.forecasting.nab import SHIPPED, convert
from pledge.forecasting.scenarios import suite
from pledge.forecasting.scoring import breach_within
from pledge.forecasting.series import Floats, StepCounts

CALIBRATION_SEEDS = range(1_000, 1_004)
HORIZONS = (3_600, 6 * 3_600, 86_400, 3 * 86_400)
REGULARISATION = 0.01
Table = dict[str, Any]


def histories() -> dict[str, list[tuple[StepCounts, Goal]]]:
    nab = [convert(p)[:2] for p in sorted(SHIPPED.glob("*.csv"))]
    return {"synthetic": [(s.series, s.goal) for s in suite(CALIBRATION_SEEDS)], "nab": nab}


def rows(source: Sequence[tuple[StepCounts, Goal]]) -> tuple[Floats, Floats]:
    """Features and outcomes of every hourly decision at every horizon."""
    xs, ys = [], []
    for series, goal in source:
        r = replay(series, goal)
        for horizon in HORIZONS:
            steps = decision_steps(r, horizon)
            if steps.size:
                xs.append(Pledge().features(r.counts, np.zeros(steps.size, dtype=np.int64), steps, horizon)[0])
                ys.append(breach_within(steps, r.starts, max(1, horizon // r.counts.step)).astype(np.float64))
    return np.concatenate(xs), np.concatenate(ys)


def build() -> Table:
    from sklearn.linear_model import LogisticRegression

    with threadpool_limits(limits=1):
        parts = [rows(source) for source in histories().values()]
        x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        weight = np.concatenate([np.full(p[1].size, 0.5 / p[1].size) for p in parts]) * y.size
        logistic = LogisticRegression(C=REGULARISATION, max_iter=1_000).fit(x, y, sample_weight=weight)
    return {"features": list(FEATURES), "coef": logistic.coef_[0].tolist(), "intercept": float(logistic.intercept_[0]),
            "decisions": float(y.size)}


def main(argv: list[str]) -> int:
    table = build()
    if argv == ["--check"]:
        shipped = json.loads(CALIBRATION.read_text(encoding="utf-8"))
        same = shipped.keys() == table.keys() and all(np.allclose(shipped[k], table[k], rtol=1e-9, atol=1e-12)
                                                       for k in table if k != "features")
        print("calibration.json is up to date" if same else "calibration.json differs from a rebuild")
        return 0 if same else 1
    CALIBRATION.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {CALIBRATION} ({int(table['decisions'])} decisions)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

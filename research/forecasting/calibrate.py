"""Build the pledge method's calibration (calibration.json): `python -m research.forecasting.calibrate`.

Deterministic, from data the package ships or generates: synthetic scenarios of every kind (seeds
CALIBRATION_SEEDS, disjoint from the validation and test seeds) and the NAB training split shipped
in data/nab, at its own 5-minute step and averaged to 30 minutes and 1 hour (the steps real
services are also watched at: there one bad step can breach). Hourly decisions at the horizons
1 h, 6 h, 24 h and 72 h; rows the method overrides (a sure breach, no traffic) are left out.

Two regimes, cut by the bad events the window allows (analogs.FEW_EVENTS): SLIs of a few events
(a step is one event) behave like a hazard, request SLIs like a burn; one logistic model each, of
the analog features (analogs.FEATURES), then a centred isotonic table per horizon fitted on out-of-fold
predictions (series held out four folds at a time), so the probabilities bend to what happened
(one logistic over both regimes was off by up to 0.39 in a reliability bin on validation). Each
source weighs the same inside its regime. scikit-learn is imported here only: the serving path
reads the arrays with numpy. `--check` rebuilds and compares.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from pledge.forecasting.analogs import CALIBRATION, FEATURES, FEW_EVENTS, Pledge, facts, few_events
from pledge.forecasting.backtest import decision_steps, replay
from pledge.forecasting.goal import Goal
from research.forecasting.nab import SHIPPED, convert
from research.forecasting.scenarios import suite
from pledge.forecasting.scoring import breach_within
from pledge.forecasting.series import Floats, Ints, StepCounts

CALIBRATION_SEEDS = range(1_000, 1_050)
COARSE_STEPS = (1_800, 3_600)
HORIZONS = (3_600, 6 * 3_600, 86_400, 3 * 86_400)
REGULARISATION = 0.1
FOLDS = 4
Table = dict[str, Any]


@dataclass(frozen=True)
class Rows:
    """Decisions of one source: features, outcome, horizon and which series each came from."""

    x: Floats
    y: Floats
    horizon: Ints
    series: Ints

    def take(self, keep: np.ndarray) -> Rows:
        return Rows(self.x[keep], self.y[keep], self.horizon[keep], self.series[keep])


def histories() -> dict[str, list[tuple[StepCounts, Goal]]]:
    shipped = sorted(SHIPPED.glob("*.csv"))
    out = {"synthetic": [(s.series, s.goal) for s in suite(CALIBRATION_SEEDS)],
           "nab": [convert(p)[:2] for p in shipped]}
    out |= {f"nab at {step // 60} min": [convert(p, step)[:2] for p in shipped] for step in COARSE_STEPS}
    return out


def rows(source: Sequence[tuple[StepCounts, Goal]]) -> Rows:
    """Features and outcomes of every hourly decision at every horizon the method does not override."""
    parts = []
    for k, (series, goal) in enumerate(source):
        r = replay(series, goal)
        for horizon in HORIZONS:
            steps = decision_steps(r, horizon)
            if steps.size:
                x, need, _, _ = Pledge().features(r.counts, np.zeros(steps.size, dtype=np.int64), steps, horizon)
                y = breach_within(steps, r.starts, max(1, horizon // r.counts.step)).astype(np.float64)
                sure, never = facts(need)
                parts.append(Rows(x, y, np.full(steps.size, horizon), np.full(steps.size, k)).take(~(sure | never)))
    return Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("x", "y", "horizon", "series")))


def logistic(sources: Sequence[Rows]) -> tuple[Floats, float]:
    """Coefficients and intercept, each source weighing the same."""
    from sklearn.linear_model import LogisticRegression

    x, y = np.concatenate([s.x for s in sources]), np.concatenate([s.y for s in sources])
    weight = np.concatenate([np.full(s.y.size, 1.0 / s.y.size) for s in sources]) * y.size / len(sources)
    fitted = LogisticRegression(C=REGULARISATION, max_iter=3_000).fit(x, y, sample_weight=weight)
    return fitted.coef_[0], float(fitted.intercept_[0])


def raw(x: Floats, coef: Floats, intercept: float) -> Floats:
    p: Floats = 1.0 / (1.0 + np.exp(-(np.sum(x * coef, axis=1) + intercept)))
    return p


def out_of_fold(sources: Sequence[Rows]) -> Rows:
    """Each source's rows predicted by a model fitted without their series (FOLDS folds per source)."""
    held = []
    for k, source in enumerate(sources):
        names = np.unique(source.series)
        for fold in range(min(FOLDS, names.size)):
            out = np.isin(source.series, names[fold::FOLDS])
            coef, intercept = logistic([source.take(~out), *(s for j, s in enumerate(sources) if j != k)])
            part = source.take(out)
            held.append(Rows(raw(part.x, coef, intercept)[:, None], part.y, part.horizon, part.series))
    return Rows(*(np.concatenate([getattr(p, f) for p in held]) for f in ("x", "y", "horizon", "series")))


def centred(x: Floats, y: Floats) -> Table:
    """An isotonic fit as knots for np.interp: each block of equal fitted values at its mean input
    (centred isotonic regression), so the map rises strictly between blocks and two SLAs of
    different risk do not tie (the at-risk list is an order)."""
    from sklearn.isotonic import IsotonicRegression

    order = np.argsort(x, kind="stable")
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y).predict(x[order])
    levels, block = np.unique(fitted, return_inverse=True)
    return {"x": (np.bincount(block, x[order]) / np.bincount(block)).tolist(), "y": levels.tolist()}


def regime(sources: Sequence[Rows]) -> Table:
    """One regime's logistic model and its isotonic table per horizon."""
    coef, intercept = logistic(sources)
    held = out_of_fold(sources)
    tables = [centred(held.x[held.horizon == h, 0], held.y[held.horizon == h]) for h in HORIZONS]
    return {"coef": coef.tolist(), "intercept": intercept, "horizons": list(HORIZONS), "isotonic": tables,
            "decisions": int(sum(s.y.size for s in sources))}


def build() -> Table:
    with threadpool_limits(limits=1):
        sources = [rows(source) for source in histories().values()]
        split = [(s.take(few_events(s.x)), s.take(~few_events(s.x))) for s in sources]
        few = [f for f, _ in split if f.y.size]
        many = [m for _, m in split if m.y.size]
        return {"features": list(FEATURES), "few_events": FEW_EVENTS, "few": regime(few), "many": regime(many)}


def matches(a: Any, b: Any) -> bool:
    """Same structure and names, numbers equal to 1e-7 relative (1e-8 absolute): a rebuild with another
    scikit-learn, numpy or CPU moves the solver's results by up to ~1e-8 relative (seen: 8e-9), which
    changes no probability that matters, while a real change of the data or method moves them far more."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(matches(a[k], b[k]) for k in a)
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list) and a and isinstance(a[0], (dict, str)):
        return len(a) == len(b) and all(matches(u, v) for u, v in zip(a, b))
    return bool(np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-7, atol=1e-8))


def main(argv: list[str]) -> int:
    table = build()
    if argv == ["--check"]:
        shipped = json.loads(CALIBRATION.read_text(encoding="utf-8"))
        same = matches(shipped, table)
        print("calibration.json is up to date" if same else "calibration.json differs from a rebuild")
        return 0 if same else 1
    CALIBRATION.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {CALIBRATION} ({table['few']['decisions'] + table['many']['decisions']} decisions)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

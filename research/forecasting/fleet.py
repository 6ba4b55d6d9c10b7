"""Fitting the fleet tables of pledge.forecasting.fleet (issue 26 item 4) on the Upptime histories.

The method itself (what serving runs) is documented in pledge/forecasting/fleet.py. Here: a gamma prior
on incident starts fitted by maximum likelihood across the training site-months (negative binomial
counts with each month's exposure), the training fleet's incident lengths, the hyperparameters
(``GRID``) and the calibration form (``FORMS``: none, beta, beta with the regime as covariates) chosen
by the mean validation Brier skill over 99.9 / 99.5 / 99 %, the calibration refitted on train.

`python -m research.forecasting.fleet` rewrites ``pledge/forecasting/fleet_tables.json`` (about 10 min on
two cores); `python -m research.forecasting.uptime_backtest` scores the result beside the other methods.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from pledge.forecasting.fleet import (DAY_S, TABLES, WINDOW, Features, Tables, design, features, probability,
                                      raw_probability, regime)
from pledge.forecasting.series import Floats, Ints

CHUNK_ROWS = 1_000


# --- fitting on train, choosing on validation -------------------------------------------------------

def incident_months(sites: Sequence[Any]) -> tuple[Floats, Floats, dict[int, int]]:
    """Per full train site-month: incident starts and monitored good steps; all completed lengths."""
    from research.forecasting.uptime import months
    from research.forecasting.uptime_backtest import incidents

    found = months(list(sites))
    n, e = [], []
    lengths: dict[int, int] = {}
    for m in found:
        s = sites[m.site].series
        inc = incidents(s.errors[m.first:m.first + m.steps], s.total[m.first:m.first + m.steps])
        n.append(inc.starts.size)
        e.append(float(inc.up[-1]))
    for s in sites:
        inc = incidents(s.series.errors, s.series.total)
        for d in (inc.ends - inc.starts + 1).tolist():
            lengths[int(d)] = lengths.get(int(d), 0) + 1
    return np.array(n, dtype=np.float64), np.array(e), lengths


def fit_gamma(n: Floats, e: Floats) -> tuple[float, float]:
    """Maximum likelihood of a gamma(alpha, beta) rate under Poisson counts n with exposures e."""
    from scipy.optimize import minimize
    from scipy.special import gammaln

    def nll(x: Floats) -> float:
        a, b = math.exp(float(x[0])), math.exp(float(x[1]))
        ll = gammaln(a + n) - gammaln(a) + a * np.log(b / (b + e)) + n * np.log(e / (b + e))
        return -float(np.sum(ll))

    mean = float(n.sum() / e.sum())
    got = minimize(nll, np.array([0.0, math.log(1.0 / mean)]), method="Nelder-Mead",
                   options={"xatol": 1e-6, "fatol": 1e-6, "maxiter": 2000})
    return math.exp(float(got.x[0])), math.exp(float(got.x[1]))


@dataclass(frozen=True)
class Split:
    """A split's decisions per target with their window features (per half-life) and outcomes."""

    decisions: dict[Decimal, Any]
    feats: dict[tuple[Decimal, float], Features]
    remaining: dict[Decimal, Ints]


def prepare(sites: Sequence[Any], targets: Sequence[Decimal], half_lives: Sequence[float]) -> Split:
    from research.forecasting.uptime import months
    from research.forecasting.uptime_backtest import decisions

    found = months(list(sites))
    ds, feats, rem = {}, {}, {}
    for target in targets:
        d = decisions(sites, found, target)
        site_of = np.array([d.months[int(m)].site for m in d.month], dtype=np.int64)
        month_start = np.array([d.months[int(m)].start for m in d.month], dtype=np.int64)
        month_end = np.array([d.months[int(m)].end for m in d.month], dtype=np.int64)
        seen = (d.at - month_start) // 300
        rem[target] = ((month_end - d.at) // 300).astype(np.int64)
        parts: dict[float, list[Features]] = {h: [] for h in half_lives}
        for a in range(0, d.at.size, CHUNK_ROWS):
            rows = np.arange(a, min(a + CHUNK_ROWS, d.at.size))
            cols = d.index[rows][:, None] - WINDOW + 1 + np.arange(WINDOW)[None, :]
            e = np.stack([sites[int(site_of[r])].series.errors[cols[n]] for n, r in enumerate(rows)])
            v = np.stack([sites[int(site_of[r])].series.total[cols[n]] for n, r in enumerate(rows)])
            for h in half_lives:
                parts[h].append(features(e, v, seen[rows], h * DAY_S / 300))
        for h in half_lives:
            feats[(target, h)] = Features(*(np.concatenate([getattr(p, name) for p in parts[h]])
                                            for name in Features.__dataclass_fields__))
        ds[target] = d
    return Split(ds, feats, rem)


def fit_calibration(raws: list[Floats], spents: list[Floats], days: list[Floats], ys: list[Floats],
                    form: str) -> list[float]:
    """Coefficients [intercept, ln p, -ln(1-p), spent, days/30] (unused ones 0) by logistic regression."""
    if form == "none":
        return []
    from sklearn.linear_model import LogisticRegression

    x = design(np.concatenate(raws), np.concatenate(spents), np.concatenate(days))
    if form == "beta":
        x[:, 2:] = 0.0
    y = np.concatenate(ys)
    model = LogisticRegression(C=1e4, max_iter=2000).fit(x, y)
    coef = [float(model.intercept_[0]), *(float(c) for c in model.coef_[0])]
    if form == "beta":
        coef[3] = coef[4] = 0.0
    return coef


def evaluate(split: Split, t: Tables, survival: Floats) -> dict[Decimal, tuple[Floats, Floats, Floats, Floats]]:
    """Per target: open rows' raw p, spent share, days left, outcome."""
    out = {}
    for target, d in split.decisions.items():
        f = split.feats[(target, t.half_life_days)]
        budget = float(1 - Decimal(target) / 100)
        r = split.remaining[target]
        raw = raw_probability(f, budget, r, t, survival)
        spent, days = regime(f, budget, r, t.step)
        out[target] = (raw, spent, days, d.outcome.astype(np.float64))
    return out


def score(split: Split, t: Tables, survival: Floats) -> dict[Decimal, tuple[float, float]]:
    """Per target: Brier skill and AUC of the calibrated forecast (the scorer's definitions)."""
    from research.forecasting.uptime_backtest import auc, brier_skill

    out = {}
    for target, d in split.decisions.items():
        f = split.feats[(target, t.half_life_days)]
        p = probability(f, float(1 - Decimal(target) / 100), split.remaining[target], t, survival)
        y = d.outcome
        base = float(np.mean(d.breached[np.unique(d.month)]))
        out[target] = (brier_skill(p, y.astype(np.float64), base), auc(p, y))
    return out


# A first pass at strength 0.25 over half-lives 2 / 7 / 30 d, dispersion 0.5 / 2 / none and duration
# weights 2 / 10 put half-life 2 d and weight 10 behind (docs/forecasting.md); this is the grid kept.
GRID: dict[str, tuple[float, ...]] = {"strength": (0.25, 1.0, 4.0), "half_life_days": (7.0, 30.0),
                                      "dispersion": (0.5, 2.0), "duration_weight": (2.0,)}
FORMS = ("none", "beta", "regime")


def choose(data: Path | None = None, log: Any = sys.stderr, lists: dict[str, list[str]] | None = None) -> Tables:
    """Fit the fleet tables on train, choose hyperparameters and the calibration form on validation
    (the mean Brier skill over 99.9 / 99.5 / 99 %), refit the calibration on train with the choice."""
    from research.forecasting.uptime import DATA, load

    targets = (Decimal("99.9"), Decimal("99.5"), Decimal("99"))
    began = time.perf_counter()
    train = load("train", data or DATA, lists)
    n, e, lengths = incident_months(train)
    alpha, beta = fit_gamma(n, e)
    print(f"train: {len(train)} sites, {n.size} site-months, {int(n.sum())} incidents; gamma prior "
          f"alpha {alpha:.3f} beta {beta:.0f} steps (mean {alpha / beta * 8640:.2f} incidents per 30 d of good steps)",
          file=log)
    base = Tables(alpha, beta, lengths)
    tr = prepare(train, targets, GRID["half_life_days"])
    va = prepare(load("validation", data or DATA, lists), targets, GRID["half_life_days"])
    print(f"prepared in {time.perf_counter() - began:.0f} s", file=log)
    survival = base.survival()
    results = []
    for strength, half, disp, weight in itertools.product(GRID["strength"], GRID["half_life_days"],
                                                          GRID["dispersion"], GRID["duration_weight"]):
        t = replace(base, strength=strength, half_life_days=half, dispersion=disp, duration_weight=weight)
        got = evaluate(tr, t, survival)
        for form in FORMS:
            coef = fit_calibration([g[0] for g in got.values()], [g[1] for g in got.values()],
                                   [g[2] for g in got.values()], [g[3] for g in got.values()], form)
            tc = replace(t, calibration=coef)
            s = score(va, tc, survival)
            mean = float(np.mean([v[0] for v in s.values()]))
            results.append((mean, form, tc, s))
            print(f"strength {strength} half-life {half} d dispersion {disp} duration weight {weight} {form}: "
                  + ", ".join(f"{k} %: skill {v[0]:.3f} AUC {v[1]:.3f}" for k, v in s.items())
                  + f" | mean skill {mean:.3f}", file=log)
    results.sort(key=lambda r: -r[0])
    best_mean, form, best, s = results[0]
    chosen = {"criterion": "mean validation Brier skill over 99.9 / 99.5 / 99 %", "form": form,
              "validation": {str(k): [round(v[0], 4), round(v[1], 4)] for k, v in s.items()},
              "grid": {k: [None if math.isinf(x) else x for x in v] for k, v in GRID.items()}, "forms": list(FORMS),
              "runner_up": [[round(r[0], 4), r[1], r[2].strength, r[2].half_life_days,
                             None if math.isinf(r[2].dispersion) else r[2].dispersion, r[2].duration_weight]
                            for r in results[1:6]],
              "train": {"sites": len(train), "site_months": int(n.size), "incidents": int(n.sum())}}
    print(f"chosen in {time.perf_counter() - began:.0f} s: {best.strength=} {best.half_life_days=} "
          f"{best.dispersion=} {best.duration_weight=} {form=} mean skill {best_mean:.3f}", file=log)
    return replace(best, chosen=chosen)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m research.forecasting.fleet",
                                     description="Fit the fleet tables (train), choose on validation, write them.")
    parser.add_argument("--data", default=None, help="the Upptime histories (default ../shared/data/uptime)")
    parser.add_argument("--split-file", default=None, help="repositories per split (default uptime_split.json)")
    parser.add_argument("--out", default=str(TABLES))
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    from research.forecasting.uptime import load_split

    with threadpool_limits(limits=1):
        t = choose(Path(args.data) if args.data else None,
                   lists=load_split(Path(args.split_file)) if args.split_file else None)
    Path(args.out).write_text(t.to_json() + "\n")
    print(f"wrote {args.out} ({Path(args.out).stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])

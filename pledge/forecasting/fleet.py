"""Month-end breach probability for time-slice SLIs from the fleet's incident history (issue 26 item 4).

A time-slice SLI counts one event per step (a probe, a ``boolGauge``): a step is bad when it has errors.
For a calendar window the answer is P(the period ends below target), from the 30 days of steps serving
fetches and the fleet tables (``fleet_tables.json``, fitted on the training split of real monitored
services by ``python -m research.forecasting.fleet``; the data never ships):

* **Incident rate.** A gamma prior on incident starts per monitored good step (the training fleet's),
  scaled by ``strength`` and updated by the series' own starts and good steps, each weighted
  0.5 ** (age / ``half_life``): a short history keeps the fleet's rate, a long busy one its own.
  Month-to-month variation is a further gamma multiplier of shape ``dispersion``, moment-matched into
  one gamma, so the number of incidents to the period's end is negative binomial.
* **Durations.** The fleet's incident lengths mixed with the series' own completed incidents
  (``duration_weight`` pseudo-incidents of the fleet's), cut at the period's end; an incident in
  progress lasts the mixture's conditional rest.
* **The question, exactly.** With B bad of V monitored steps so far and R steps left, the period ends
  below target iff the further bad steps F reach K = floor(budget x (V + R) - B) + 1. K <= 0: certain
  (p = 1); K > R: impossible (p = 0); otherwise P(F >= K) by Panjer's recursion for the compound
  negative binomial (exact for the model, no simulation) with the incident in progress.
* **Calibration.** Beta calibration fitted on training decisions; open periods stay inside
  [FLOOR, 1 - FLOOR]: a month that can still go either way never reads certain.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pledge.forecasting.counts import Counts, now
from pledge.forecasting.methods import FLOOR, RowPredictions
from pledge.forecasting.series import Floats, Ints, StepCounts

TABLES = Path(__file__).with_name("fleet_tables.json")
WINDOW = 30 * 288  # serving's 30 days of 5-minute steps
OWN_CAP = 288  # the site's own durations histogram: lengths 1 .. OWN_CAP - 1, longer lumped
RAW = 1e-9  # raw probabilities are clipped to [RAW, 1 - RAW] before the calibration's logarithms
DAY_S = 86_400
MOSTLY_MONITORED = 0.5  # a probe row has at least this share of its steps monitored


@dataclass(frozen=True)
class Tables:
    """Everything serving needs: the fleet prior, durations, hyperparameters and calibration."""

    alpha: float  # gamma prior on incident starts per monitored good step: shape
    beta: float  # ... and rate (in steps)
    durations: dict[int, int]  # incident length in steps -> train incidents of that length
    step: int = 300
    strength: float = 1.0  # prior (alpha, beta) scaled by this
    half_life_days: float = 7.0
    dispersion: float = math.inf  # shape of the month-to-month rate multiplier (inf: none)
    duration_weight: float = 5.0  # the fleet's durations weigh as this many of the site's own incidents
    calibration: list[float] = field(default_factory=list)  # beta-calibration coefficients; [] = raw
    chosen: dict[str, Any] = field(default_factory=dict)  # how the hyperparameters were chosen (record)

    def survival(self) -> Floats:
        """S[d] = P(length >= d) for d = 0 .. longest + 1 from the fleet's durations."""
        longest = max(self.durations)
        pmf = np.zeros(longest + 2)
        for d, n in self.durations.items():
            pmf[d] += n
        pmf /= pmf.sum()
        s: Floats = np.concatenate([[1.0], 1.0 - np.cumsum(pmf)[:-1]])
        s[0] = s[1] = 1.0
        return np.maximum(s, 0.0)

    def to_json(self) -> str:
        d = asdict(self)
        d["durations"] = {str(k): v for k, v in sorted(self.durations.items())}
        d["dispersion"] = None if math.isinf(self.dispersion) else self.dispersion
        return json.dumps(d, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> Tables:
        d = json.loads(text)
        d["durations"] = {int(k): int(v) for k, v in d["durations"].items()}
        d["dispersion"] = math.inf if d["dispersion"] is None else float(d["dispersion"])
        return Tables(**d)


def load_tables(path: Path = TABLES) -> Tables:
    return Tables.from_json(path.read_text())


@cache
def shipped() -> Tables:
    """The package's fitted tables, read once per process (serving never fits)."""
    return load_tables()


# --- what the 30 days say -------------------------------------------------------------------------

@dataclass(frozen=True)
class Features:
    """Per row, from the window of steps before the decision."""

    starts: Floats  # recency-weighted incident starts
    exposure: Floats  # recency-weighted monitored good steps
    own: Floats  # rows x OWN_CAP: completed incidents by length (last column: OWN_CAP and longer)
    ongoing: Ints  # length so far of an incident in progress at the decision (0: none)
    bad: Floats  # bad steps of the period so far
    valid: Floats  # monitored steps of the period so far


def features(errors: Floats, total: Floats, seen: Ints, half_life_steps: float) -> Features:
    """``errors``/``total``: rows x steps (the window ending at the decision); ``seen``: the period's
    steps so far per row (the last ``seen`` columns)."""
    errors, total = np.atleast_2d(errors), np.atleast_2d(total)
    rows, width = errors.shape
    monitored = total > 0
    bad = (errors > 0) & monitored
    before = np.zeros_like(bad)
    before[:, 1:] = bad[:, :-1]
    after = np.zeros_like(bad)
    after[:, :-1] = bad[:, 1:]
    r0, c0 = np.nonzero(bad & ~before)  # runs of bad steps, row-major: starts and ends pair up
    _, c1 = np.nonzero(bad & ~after)
    length = c1 - c0 + 1
    age = np.arange(width - 1, -1, -1, dtype=np.float64)
    w = np.power(0.5, age / half_life_steps) if math.isfinite(half_life_steps) else np.ones(width)
    real = c0 > 0  # a run already under way when the window opens did not start in it
    starts = np.bincount(r0[real], weights=w[c0[real]], minlength=rows).astype(np.float64)
    exposure = (monitored & ~bad).astype(np.float64) @ w
    done = real & (c1 < width - 1)  # completed in the window: its length is known
    own = np.zeros((rows, OWN_CAP))
    np.add.at(own, (r0[done], np.minimum(length[done], OWN_CAP - 1)), 1.0)
    ongoing = np.zeros(rows, dtype=np.int64)
    last = c1 == width - 1
    ongoing[r0[last]] = length[last]
    cols = np.arange(width)
    in_period = cols[None, :] >= (width - np.minimum(seen, width))[:, None]
    return Features(starts, exposure, own, ongoing, np.sum(bad & in_period, axis=1).astype(np.float64),
                    np.sum(monitored & in_period, axis=1).astype(np.float64))


# --- the model ------------------------------------------------------------------------------------

class Mixture:
    """Per row, P(length >= x): the fleet's survival and the row's own completed incidents, mixed
    with the fleet weighing as ``weight`` incidents; the own record beyond OWN_CAP follows the fleet's shape."""

    def __init__(self, own: Floats, fleet: Floats, weight: float) -> None:
        self.n = own.sum(axis=1)
        ge = own[:, ::-1].cumsum(axis=1)[:, ::-1]  # column x: own incidents of length >= x
        self.own = ge / np.maximum(self.n, 1.0)[:, None]
        self.own[:, 0] = 1.0
        self.fleet, self.weight = fleet, weight

    def _fleet(self, x: Ints) -> Floats:
        out: Floats = np.where(x < self.fleet.size, self.fleet[np.minimum(x, self.fleet.size - 1)], 0.0)
        return out

    def mean(self, rows: Ints, x: Ints, weight: Floats) -> Floats:
        """Per row of ``rows``: sum over lengths ``x`` (1-D, from 1) of P(length >= x) x ``weight``, without
        a rows x lengths array: the own record is short, beyond it both parts follow the fleet's shape."""
        cap = OWN_CAP - 1
        fleet = self._fleet(x) * weight
        near = x <= cap
        own = self.own[rows][:, x[near]] @ weight[near]
        beyond = self.own[rows, cap] * float(np.sum(fleet[~near])) / max(float(self._fleet(np.array(cap))), 1e-300)
        n = self.n[rows]
        out: Floats = (self.weight * float(np.sum(fleet)) + n * (own + beyond)) / (self.weight + n)
        return out

    def __call__(self, x: Ints) -> Floats:
        """``x``: rows x anything, non-negative lengths."""
        rows = np.arange(self.n.size)[:, None]
        cap = OWN_CAP - 1
        own = np.where(x <= cap, self.own[rows, np.minimum(x, cap)],
                       self.own[:, cap:cap + 1] * self._fleet(x) / max(float(self._fleet(np.array(cap))), 1e-300))
        n = self.n[:, None]
        out: Floats = (self.weight * self._fleet(x) + n * own) / (self.weight + n)
        return out


def rate(f: Features, t: Tables, rows: Ints | None = None) -> tuple[Floats, Floats]:
    """Gamma (shape, rate per step) of the incident rate to the period's end: the fleet prior updated
    by the row's recency-weighted starts and good steps, then widened by the month-to-month multiplier
    (moment-matched: same mean, variance of the product)."""
    take = slice(None) if rows is None else rows
    a = t.strength * t.alpha + f.starts[take]
    b = t.strength * t.beta + f.exposure[take]
    if math.isfinite(t.dispersion):
        shape = 1.0 / (1.0 / a + 1.0 / t.dispersion + 1.0 / (a * t.dispersion))
        b = b * shape / a
        a = shape
    return a, b


def needed(f: Features, budget: float, remaining: Ints) -> Ints:
    """K: further bad steps that make the period end below target (all remaining steps monitored)."""
    limit = budget * (f.valid + remaining) - f.bad
    return (np.floor(limit + 1e-9) + 1).astype(np.int64)


def raw_probability(f: Features, budget: float, remaining: Ints, t: Tables, fleet_survival: Floats) -> Floats:
    """P(F >= K) under the model; exactly 1 when K <= 0 and 0 when K > remaining."""
    rows = remaining.size
    k = needed(f, budget, remaining)
    p = np.where(k <= 0, 1.0, 0.0)
    todo = np.flatnonzero((k > 0) & (k <= remaining))
    if todo.size == 0:
        return p
    k, r_left = k[todo], remaining[todo].astype(np.float64)
    top = int(k.max())
    a, b = rate(f, t, todo)
    theta = r_left / (b + r_left)
    mix = Mixture(f.own[todo], fleet_survival, t.duration_weight)
    # new incidents: lengths cut at the period's end (start uniform over the remaining steps)
    x = np.arange(top + 1, dtype=np.float64)
    cut = np.clip((r_left[:, None] - x[None, :] + 1) / r_left[:, None], 0.0, 1.0)
    cut[:, 0] = 1.0
    s_new = mix(np.broadcast_to(x.astype(np.int64), (todo.size, top + 1))) * cut
    g = np.zeros((todo.size, top + 1))
    g[:, 1:top] = s_new[:, 1:top] - s_new[:, 2:top + 1]
    # Panjer: f_0 = (1 - theta)^a; f_n = sum_j (theta + (a - 1) theta j / n) g_j f_{n - j}
    pmf = np.zeros((todo.size, top))
    pmf[:, 0] = np.exp(a * np.log1p(-theta))
    for n in range(1, top):
        j = np.arange(1, n + 1)
        coef = theta[:, None] * (1.0 + (a[:, None] - 1.0) * j[None, :] / n)
        pmf[:, n] = np.sum(coef * g[:, 1:n + 1] * pmf[:, n - 1::-1][:, :n], axis=1)
    below = np.cumsum(pmf, axis=1)  # P(F_new <= n), n = 0 .. top - 1
    # the incident in progress: its rest O, P(O >= y) = S(so + y) / S(so)
    so = f.ongoing[todo]
    y = np.arange(top + 1)
    rest = mix(so[:, None] + y[None, :]) / np.maximum(mix(so[:, None]), 1e-300)
    rest = np.where(so[:, None] > 0, rest, (y[None, :] == 0).astype(np.float64))
    rest = rest * (y[None, :] <= r_left[:, None])
    rest[:, 0] = 1.0
    o = rest[:, :-1] - rest[:, 1:]  # P(O = y), y = 0 .. top - 1
    # P(O + F_new < K) = sum_{y < K} P(O = y) P(F_new <= K - 1 - y)
    idx = np.clip(k[:, None] - 1 - y[None, :top], 0, top - 1)
    ok = y[None, :top] < k[:, None]
    stay = np.sum(np.where(ok, o * np.take_along_axis(below, idx, axis=1), 0.0), axis=1)
    p[todo] = np.clip(1.0 - stay, 0.0, 1.0)
    return p


def regime(f: Features, budget: float, remaining: Ints, step: int) -> tuple[Floats, Floats]:
    """Share of the period's allowance spent, and days left."""
    allowance = budget * (f.valid + remaining)
    spent = np.where(allowance > 0, f.bad / np.maximum(allowance, 1e-12), 0.0)
    return np.clip(spent, 0.0, 1.0), remaining * step / DAY_S


def design(raw: Floats, spent: Floats, days: Floats) -> Floats:
    """Beta calibration's inputs with the regime: ln p, -ln(1 - p), spent share, days left / 30."""
    q = np.clip(raw, RAW, 1 - RAW)
    return np.stack([np.log(q), -np.log1p(-q), spent, days / 30.0], axis=1)


def calibrate(raw: Floats, spent: Floats, days: Floats, coef: Sequence[float]) -> Floats:
    if not coef:
        return raw
    z = coef[0] + design(raw, spent, days) @ np.asarray(coef[1:])
    out: Floats = 1.0 / (1.0 + np.exp(-z))
    return out


def probability(f: Features, budget: float, remaining: Ints, t: Tables, fleet_survival: Floats) -> Floats:
    """The calibrated answer: arithmetic certainties kept, open periods inside [FLOOR, 1 - FLOOR]."""
    raw = raw_probability(f, budget, remaining, t, fleet_survival)
    k = needed(f, budget, remaining)
    spent, days = regime(f, budget, remaining, t.step)
    p = np.clip(calibrate(raw, spent, days, t.calibration), FLOOR, 1 - FLOOR)
    return np.where(k <= 0, 1.0, np.where(k > remaining, 0.0, p))


# --- the Method the scorer calls, and a serving-shaped entry point ----------------------------------

def windows(c: Counts, s: Ints, i: Ints, width: int = WINDOW) -> tuple[Floats, Floats]:
    """The ``width`` steps ending at each row's decision (before the data: no traffic)."""
    e, v = np.atleast_2d(c.series.errors), np.atleast_2d(c.series.total)
    if i.size and np.all(i == i[0]):  # serving: every row decides at its last step, a plain slice
        last = int(i[0]) + 1
        pad = max(0, width - last)
        cut = slice(max(0, last - width), last)
        e, v = (a[:, cut] if np.array_equal(s, np.arange(a.shape[0])) else a[s, cut] for a in (e, v))
        return (np.pad(e, ((0, 0), (pad, 0))), np.pad(v, ((0, 0), (pad, 0)))) if pad else (e, v)
    cols = i[:, None] - width + 1 + np.arange(width)[None, :]
    inside = cols >= 0
    cols = np.maximum(cols, 0)
    return np.where(inside, e[s[:, None], cols], 0.0), np.where(inside, v[s[:, None], cols], 0.0)


class FleetIncidents:
    """The Method (scorers) and the serving outlook for calendar windows of time-slice rows."""

    name = "fleet"

    def __init__(self, tables: Tables | None = None) -> None:
        self.tables = tables or shipped()
        self._survival = self.tables.survival()

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions:
        return self.outlook(c, s, i, horizon)[0]

    def outlook(self, c: Counts, s: Ints, i: Ints, horizon: int) -> tuple[RowPredictions, Floats]:
        """The prediction, and the expected burn of the rest of the period (for the projected SLI)."""
        if c.goal.window.calendar is None:
            raise ValueError("the fleet method answers calendar windows only (to the period's end)")
        e, v = windows(c, s, i)
        seen = np.where(c.window_start[i] < 0, WINDOW, i - c.window_start[i] + 1).astype(np.int64)
        remaining = np.full(i.size, max(1, horizon // c.step), dtype=np.int64)
        f = features(e, v, seen, self.tables.half_life_days * DAY_S / c.step)
        bad, valid = now(c, s, i)  # the whole period so far, where the history reaches its start
        known = ~np.isnan(valid)
        f = replace(f, bad=np.where(known, bad, f.bad), valid=np.where(known, valid, f.valid))
        p = probability(f, c.goal.budget, remaining, self.tables, self._survival)
        zero = np.zeros(i.size, dtype=np.int64)
        burn = expected_bad(f, remaining, self.tables, self._survival) / (c.goal.budget * remaining)
        return RowPredictions(p, zero, zero, zero), burn


def expected_bad(f: Features, remaining: Ints, t: Tables, fleet_survival: Floats) -> Floats:
    """E[bad steps to the period's end]: incidents expected x their mean length cut at the end, plus
    the rest of an incident in progress (means of the model ``raw_probability`` sums over)."""
    a, b = rate(f, t)
    mix = Mixture(f.own, fleet_survival, t.duration_weight)
    out = np.zeros(remaining.size)
    for r in np.unique(remaining).tolist():  # serving: one horizon for every row
        rows = np.flatnonzero(remaining == r)
        x = np.arange(1, r + 1)
        cut = (r - x + 1) / r
        out[rows] = a[rows] / b[rows] * r * mix.mean(rows, x, cut)
        going = rows[f.ongoing[rows] > 0]
        if going.size:
            so = f.ongoing[going][:, None]
            ahead = Mixture(f.own[going], fleet_survival, t.duration_weight)
            out[going] += np.sum(ahead(so + x[None, :]) / np.maximum(ahead(so), 1e-300), axis=1)
    return out


def time_slices(series: StepCounts, bool_gauge: bool) -> np.ndarray:
    """Rows that count time slices, one event per step: every row of a ``boolGauge`` SLI, and rows whose
    steps hold at most one event with most steps monitored (probes). Sparse request traffic (at most
    one request a step, often none) stays with the event methods."""
    total = np.atleast_2d(series.total)
    if bool_gauge:
        return np.ones(total.shape[0], dtype=bool)
    monitored = total > 0
    began = np.where(monitored.any(axis=1), np.argmax(monitored, axis=1), total.shape[1])  # a new probe's start
    since = np.maximum(total.shape[1] - began, 1)
    one: np.ndarray = np.all(total <= 1, axis=1) & (monitored.sum(axis=1) >= MOSTLY_MONITORED * since)
    return one


def as_slices(series: StepCounts) -> StepCounts:
    """One event per monitored step, bad by the share of the step that was (a ``boolGauge`` tile holds
    seconds of good and bad time; a probe holds 0 or 1)."""
    errors, total = np.atleast_2d(series.errors), np.atleast_2d(series.total)
    if float(total.max(initial=0.0)) <= 1.0:  # probes: already one event per monitored step
        return series
    share = np.divide(errors, total, out=np.zeros_like(errors), where=total > 0)
    return StepCounts(series.timestamps, np.clip(share, 0.0, 1.0), (total > 0).astype(np.float64), series.step)

"""The pledge method: the SLA's own past as Monte Carlo paths of its future burn, then calibrated.

At a decision step i with horizon H, every hour of the week before i - H is an analog: the burn
that followed it over each sub-horizon h <= H is one possible future (a block bootstrap of the
SLA's own history, daily and weekly shapes included, no peeking: every analog's future ends by i).
The share of analog paths that cross the burn that breaches by h (counts.required_burn, exact
window math) is a raw probability; a logistic model of it, of the current burn's margin over that
need and of the SLA's own recent record turns it into a calibrated one. The coefficients are plain
arrays in calibration.json, built by `python -m research.forecasting.calibrate`:
serving needs numpy only (no scikit-learn, no scipy, no training at start).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from pathlib import Path

import numpy as np

from pledge.forecasting.counts import Counts, burn, first_crossing, now, required_burn
from pledge.forecasting.methods import FLOOR, LINEAR_WINDOW, RowPredictions
from pledge.forecasting.series import Floats, Ints
from pledge.sla.tiers import period_seconds
from pledge.sla.units import DAY, HOUR

ANALOGS = 168  # one week of hourly analog starts
STRIDE = HOUR
GRID = (1_800, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 3 * DAY, 7 * DAY)
MARGINS = (HOUR, 6 * HOUR, DAY)  # current burn windows compared with the need
CALIBRATION = Path(__file__).with_name("calibration.json")
# Warning thresholds per regime and horizon, (alone, confirmed): warn at p >= alone, or at p >=
# confirmed when the last hour's burn held would already breach within H (the linear projection).
# Chosen on the validation splits (docs/forecasting.md): the longest warning time at precision >=
# 0.8, then the best F1, then the higher thresholds; where no pair reaches 0.8 (requests at 6 h and
# 24 h), the longest warning time within 0.01 of the best F1 at precision >= 0.7. A firing page
# warns whatever the threshold (paged). (a, a): no lower threshold when the projection breaches.
WARN_AT = {"few": {HOUR: (0.9, 0.9), 6 * HOUR: (0.05, 0.05), DAY: (0.25, 0.25), 3 * DAY: (0.5, 0.5)},
           "many": {HOUR: (0.5, 0.1), 6 * HOUR: (0.7, 0.7), DAY: (0.9, 0.5), 3 * DAY: (0.95, 0.95)}}
FEW_EVENTS = 10.0  # bad events a window allows below which an SLI is calibrated as a hazard
FEATURES = ("logit_analog_chance", "margin_1h", "margin_6h", "margin_1d", "log10_horizon_h", "budget_used",
            "share_breached_last_week", "log10_budget_events", "log10_horizon_over_window")


def sub_horizons(horizon: int, step: int) -> list[int]:
    """Where paths are checked: the grid points below H (at least a step), and H itself."""
    return sorted({a for a in GRID if step <= a < horizon} | {horizon})


def _log(x: Floats) -> Floats:
    return np.log10(np.maximum(x, 0.0) + 0.01)


def analog_burns(c: Counts, s: Ints, i: Ints, ends: Ints) -> tuple[Floats, np.ndarray]:
    """Burn over (j, j + e] for analog starts j = i - H - m hours (rows x analogs x ends), and which
    analogs exist (j inside the data). H is the last of ``ends``, so every analog's future ends by i."""
    stride = max(1, STRIDE // c.step)
    j = i[:, None] - ends[-1] - stride * np.arange(ANALOGS)[None, :]
    exists = j >= 0
    j = np.maximum(j, 0)[:, :, None]
    rows, last = s[:, None, None], c.errors.shape[1] - 1
    start, end = np.minimum(j + 1, last), np.minimum(j + ends + 1, last)  # a horizon longer than the data: no analog
    bad = c.errors[rows, end] - c.errors[rows, start]
    valid = c.total[rows, end] - c.total[rows, start]
    rates = np.where(valid > 0, bad / np.maximum(valid, 1e-12), 0.0) * c.goal.burn_per_ratio
    return np.where(exists[:, :, None], rates, np.nan), exists


def quantile(rates: Floats, exists: np.ndarray, q: float) -> Floats:
    """The q-th quantile over existing analogs (rows x ends); 0 where a row has none."""
    count = exists.sum(axis=1)
    ordered = np.sort(rates, axis=1)  # NaN (missing analogs) last
    at = np.floor(q * np.maximum(count - 1, 0)).astype(np.int64)[:, None, None]
    picked: Floats = np.where(count[:, None] > 0, np.take_along_axis(ordered, at, axis=1)[:, 0, :], 0.0)
    return picked


def crossing(need: Floats, rate: Floats, at: Ints) -> Ints:
    """First step (1-based) where the burn of the sub-horizon covering it exceeds the need; 0 if none."""
    over = rate[:, at] > need
    return np.where(over.any(axis=1), over.argmax(axis=1) + 1, 0)


@lru_cache(maxsize=1)
def calibration() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return loaded


def few_events(x: Floats) -> np.ndarray:
    """Rows whose window allows fewer than FEW_EVENTS bad events (a step is one event): a hazard
    more than a burn, calibrated on their own."""
    few: np.ndarray = x[:, FEATURES.index("log10_budget_events")] < np.log10(FEW_EVENTS)
    return few


def calibrated(x: Floats, horizon: int) -> Floats:
    """The shipped model of "a breach starts within H": the regime's logistic (a row-wise sum, not a
    matmul, so a row's probability does not depend on the batch it comes in), bent by the isotonic
    tables of the two fitted horizons around H (interpolated in log H; the nearest outside them)."""
    t, few = calibration(), few_events(x)
    out = np.zeros(x.shape[0])
    for name, rows in (("few", few), ("many", ~few)):
        model = t[name]
        p = 1.0 / (1.0 + np.exp(-(np.sum(x[rows] * np.asarray(model["coef"]), axis=1) + float(model["intercept"]))))
        bent = [np.interp(p, table["x"], table["y"]) for table in model["isotonic"]]
        where = np.interp(np.log(horizon), np.log(model["horizons"]), np.arange(len(bent)))
        low = int(np.floor(where))
        high, share = min(low + 1, len(bent) - 1), where - low
        out[rows] = (1 - share) * bent[low] + share * bent[high]
    return out


def warn_at(horizon: int, few: np.ndarray, projected: np.ndarray) -> Floats:
    """Each row's warning threshold: its regime's at the largest chosen horizon <= H (the first below
    them), the lower one where the linear projection breaches within H."""
    def pick(table: dict[int, tuple[float, float]]) -> tuple[float, float]:
        chosen = [t for h, t in sorted(table.items()) if h <= horizon]
        return chosen[-1] if chosen else table[min(table)]

    (few_alone, few_confirmed), (many_alone, many_confirmed) = pick(WARN_AT["few"]), pick(WARN_AT["many"])
    threshold: Floats = np.where(few, np.where(projected, few_confirmed, few_alone),
                                 np.where(projected, many_confirmed, many_alone))
    return threshold


def budget_used(c: Counts, s: Ints, i: Ints) -> Floats:
    """Share of the window's error budget spent now (0 without a known window), capped at 1."""
    bad, valid = now(c, s, i)
    used = np.where(valid > 0, bad / np.maximum(c.goal.budget * valid, 1e-12), 0.0)
    clipped: Floats = np.clip(np.nan_to_num(used), 0.0, 1.0)
    return clipped


def budget_events(c: Counts, s: Ints, i: Ints) -> Floats:
    """How many bad events the window allows (log10): a few (one event a step) or thousands."""
    _, valid = now(c, s, i)
    events: Floats = np.log10(c.goal.budget * np.nan_to_num(valid) + 0.01)
    return events


def share_breached(c: Counts, s: Ints, i: Ints) -> Floats:
    """Share of the last week's hours at which the SLA was breached: its own climatology."""
    stride = max(1, STRIDE // c.step)
    j = (i[:, None] - stride * np.arange(1, ANALOGS + 1)[None, :]).ravel()
    rows = np.repeat(s, ANALOGS)
    bad, valid = now(c, rows, np.maximum(j, 0))
    hit = (j >= 0) & (np.nan_to_num(bad) > c.goal.budget * np.nan_to_num(valid))
    known = (j >= 0) & ~np.isnan(valid)
    share: Floats = hit.reshape(i.size, ANALOGS).sum(axis=1) / np.maximum(known.reshape(i.size, ANALOGS).sum(axis=1), 1)
    return share


class Pledge:
    """``period_end``: the horizon is a calendar period's end and the question is whether the period
    *ends* below target (serving's default for calendar windows), not whether the month-to-date SLI
    dips below it on the way: only the last step's need counts, and no breach time is given."""

    name = "pledge"

    def __init__(self, period_end: bool = False) -> None:
        self.period_end = period_end

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions:
        return self.outlook(c, s, i, horizon)[0]

    def features(self, c: Counts, s: Ints, i: Ints, horizon: int) -> tuple[Floats, Floats, Floats, Floats]:
        """Calibration inputs (rows x FEATURES), the need per step, analog burns and existence."""
        steps = max(1, horizon // c.step)
        need = required_burn(c, s, i, steps)
        if self.period_end:
            need[:, :-1] = np.inf
        ends = np.array([max(1, a // c.step) for a in sub_horizons(horizon, c.step)], dtype=np.int64)
        worst = np.minimum.accumulate(need, axis=1)[:, ends - 1]  # the easiest breach up to each end
        rates, exists = analog_burns(c, s, i, ends)
        hits = np.any((rates > worst[:, None, :]) | (worst[:, None, :] <= 0), axis=2) & exists
        chance = (hits.sum(axis=1) + 0.5) / (exists.sum(axis=1) + 1.0)
        floor = _log(np.where(np.isinf(worst[:, -1]), 1e6, worst[:, -1]))
        margins = [np.clip(_log(burn(c, s, i, w)) - floor, -3.0, 3.0) for w in MARGINS]
        x = np.column_stack([np.log(chance / (1 - chance)), *margins, np.full(i.size, np.log10(horizon / HOUR)),
                             budget_used(c, s, i), share_breached(c, s, i), budget_events(c, s, i),
                             np.full(i.size, np.log10(horizon / period_seconds(c.goal.window)))])
        return x, need, rates, exists

    def outlook(self, c: Counts, s: Ints, i: Ints, horizon: int) -> tuple[RowPredictions, Floats]:
        """The prediction, and the analogs' median burn over the whole horizon (for the projected SLI)."""
        if not i.size:  # e.g. a history breached throughout: nothing to decide
            none = np.zeros(0, dtype=np.int64)
            return RowPredictions(np.zeros(0), none, none, none), np.zeros(0)
        x, need, rates, exists = self.features(c, s, i, horizon)
        sure, never = facts(need)
        model = calibrated(x, horizon)
        if self.period_end:  # a period that can still end either way is never certain
            model = np.clip(model, FLOOR, 1 - FLOOR)
        probability = np.where(sure, 1.0, np.where(never, 0.0, model))
        ends = np.array([max(1, a // c.step) for a in sub_horizons(horizon, c.step)])
        at = np.searchsorted(ends, np.arange(1, need.shape[1] + 1))
        now = burn(c, s, i, LINEAR_WINDOW)[:, None]  # the linear baseline's burn
        low, mid, high = (quantile(rates, exists, q) for q in (0.1, 0.5, 0.9))
        chosen = warn_at(horizon, few_events(x), first_crossing(need, now[:, 0]) > 0)
        threshold = np.where(paged(c, s, i, need), 0.0, chosen)  # a firing page warns at any probability
        if self.period_end:
            none = np.zeros(i.size, dtype=np.int64)
            return RowPredictions(probability, none, none, none, threshold), mid[:, -1]
        prediction = RowPredictions(probability, crossing(need, np.maximum(mid, now), at),
                                    crossing(need, np.maximum(high, now), at), crossing(need, low, at), threshold)
        return prediction, mid[:, -1]


def facts(need: Floats) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose probability is a fact, not the model's: sure (p = 1: a breach even without a new
    error) and never (p = 0: no traffic expected). A page firing is not one: 60 % of such decisions were
    followed by a breach within 24 h on 700 validation histories (it warns, see ``paged``)."""
    sure: np.ndarray = np.min(need, axis=1) <= 0
    never: np.ndarray = np.all(np.isinf(need), axis=1)
    return sure, never


def paged(c: Counts, s: Ints, i: Ints, need: Floats) -> np.ndarray:
    """The fastest page firing, with a short-window burn that would spend the rest of the budget
    within the span the page tiers watch (their longest window, 6 h for 30 days), warns whatever the
    probability: an outage in progress is a fact, its outcome is not (the model gives the probability).
    Slower pages are left to the model (they are mostly incidents already easing off)."""
    pages = sorted((t for t in c.goal.tiers if t.severity == "page"), key=lambda t: t.long)
    if not pages:
        return np.zeros(i.size, dtype=bool)
    fastest, span = pages[0], max(1, pages[-1].long // c.step)
    short, limit = burn(c, s, i, fastest.short), float(fastest.burn_rate)
    firing: np.ndarray = (burn(c, s, i, fastest.long) > limit) & (short > limit) & (first_crossing(need[:, :span], short) > 0)
    return firing

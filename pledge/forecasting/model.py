"""The pledge method: quantile gradient boosting of the future burn, read through the window math.

Two HistGradientBoostingRegressor models (median and 90th percentile of the log burn over the next
h seconds, h a feature) are trained once per process on histories the package generates
(scenarios.py, seeds disjoint from the ones the tests and docs score): no weights are downloaded or
shipped. P(breach within H) is the largest, over a grid of sub-horizons h <= H, of
P(burn over h > the burn that breaches by h), with a log-normal spread from the two quantiles.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import ndtr
from sklearn.ensemble import HistGradientBoostingRegressor

from pledge.forecasting.backtest import Replay, decision_steps, replay
from pledge.forecasting.counts import Counts, burn, first_crossing, required_burn
from pledge.forecasting.features import current, features, future_burn, log_burn
from pledge.forecasting.methods import RowPredictions
from pledge.forecasting.scenarios import suite
from pledge.forecasting.series import Floats, Ints

TRAINING_SEEDS = range(1_000, 1_024)  # the tests and docs score seeds 0..99: never trained on
TRAINING_EVERY = 7_200
AHEAD = (1_800, 3_600, 3 * 3_600, 6 * 3_600, 12 * 3_600, 86_400, 2 * 86_400, 3 * 86_400, 7 * 86_400)
Z90 = 1.2816  # standard normal 90th percentile


@lru_cache(maxsize=1)
def training_corpus() -> tuple[Replay, ...]:
    return tuple(replay(s.series, s.goal) for s in suite(TRAINING_SEEDS))


def training_rows(corpus: tuple[Replay, ...]) -> tuple[Floats, Floats]:
    xs, ys = [], []
    for r in corpus:
        for ahead in AHEAD:
            steps = decision_steps(r, ahead, TRAINING_EVERY)
            rows = np.zeros(steps.size, dtype=np.int64)
            xs.append(features(r.counts, rows, steps, ahead))
            ys.append(log_burn(future_burn(r.counts, rows, steps, ahead)))
    return np.concatenate(xs), np.concatenate(ys)


@lru_cache(maxsize=1)
def regressors() -> tuple[HistGradientBoostingRegressor, HistGradientBoostingRegressor]:
    """Median and 90th-percentile models, trained once per process (seconds), reproducibly."""
    x, y = training_rows(training_corpus())
    median, upper = (
        HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=100, max_leaf_nodes=31,
                                      learning_rate=0.1, random_state=0, early_stopping=False).fit(x, y)
        for q in (0.5, 0.9)
    )
    return median, upper


def sub_horizons(horizon: int, step: int) -> list[int]:
    """Where the projection is checked: the trained horizons below H, and H itself."""
    return sorted({a for a in AHEAD if a < horizon and a >= step} | {horizon})


def projected(c: Counts, s: Ints, i: Ints, grid: list[int], base: Floats | None = None) -> tuple[Floats, Floats]:
    """Median log burn over each of the next ``grid`` seconds (one column each) and its log-normal spread.

    All look-aheads go through the models in one call: per-call overhead dominates at fleet scale.
    """
    base = current(c, s, i) if base is None else base
    x = np.concatenate([features(c, s, i, ahead, base) for ahead in grid])
    median, upper = (m.predict(x).reshape(len(grid), i.size).T for m in regressors())
    return median, np.maximum((upper - median) / Z90, 0.05)


def crossing(need: Floats, log_rate: Floats, at: Ints) -> Ints:
    """First step (1-based) where the projected burn exceeds the burn that breaches; 0 if none.

    ``log_rate`` has one column per sub-horizon, ``at`` maps each step to the column covering it.
    """
    over = (10**log_rate - 0.01)[:, at] > need
    return np.where(over.any(axis=1), over.argmax(axis=1) + 1, 0)


class Pledge:
    name = "pledge"

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions:
        return self.outlook(c, s, i, horizon)[0]

    def outlook(self, c: Counts, s: Ints, i: Ints, horizon: int) -> tuple[RowPredictions, Floats]:
        """The prediction and the median log burn over the whole horizon (for the projected SLI)."""
        if not i.size:  # e.g. a history breached throughout: nothing to decide
            none = np.zeros(0, dtype=np.int64)
            return RowPredictions(np.zeros(0), none, none, none), np.zeros(0)
        steps = max(1, horizon // c.step)
        need = required_burn(c, s, i, steps)
        grid = sub_horizons(horizon, c.step)
        ends = np.array([max(1, a // c.step) for a in grid])
        at = np.searchsorted(ends, np.arange(1, steps + 1))  # grid point covering each step
        mu, sigma = projected(c, s, i, grid)
        worst = np.minimum.accumulate(need, axis=1)[:, ends - 1]  # the easiest breach up to each grid point
        with np.errstate(invalid="ignore"):
            chance = np.where(worst <= 0, 1.0, 1.0 - ndtr((log_burn(worst) - mu) / sigma))
        chance = np.where(np.isinf(worst), 0.0, chance)
        probability = np.where(paged(c, s, i, need), 1.0, np.max(chance, axis=1))
        prediction = RowPredictions(probability, crossing(need, mu, at), crossing(need, mu + Z90 * sigma, at),
                                crossing(need, mu - Z90 * sigma, at))
        return prediction, mu[:, -1]


def paged(c: Counts, s: Ints, i: Ints, need: Floats) -> np.ndarray:
    """The fastest page firing, with a short-window burn that would spend the rest of the budget
    within the span the page tiers watch (their longest window, 6 h for 30 days), is a sure warning:
    an outage in progress is a fact, not a forecast. Slower pages are left to the model (they are
    mostly incidents already easing off)."""
    pages = sorted((t for t in c.goal.tiers if t.severity == "page"), key=lambda t: t.long)
    if not pages:
        return np.zeros(i.size, dtype=bool)
    fastest, span = pages[0], max(1, pages[-1].long // c.step)
    short, limit = burn(c, s, i, fastest.short), float(fastest.burn_rate)
    sure: np.ndarray = (burn(c, s, i, fastest.long) > limit) & (short > limit) & (first_crossing(need[:, :span], short) > 0)
    return sure

"""`--plot`: SLI, budget, breach probabilities and actual breaches over time (matplotlib, no display)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pledge.forecasting.backtest import Decisions, Replay  # noqa: E402
from pledge.forecasting.counts import breached, now  # noqa: E402


def plot(path: Path, r: Replay, decisions: Sequence[Decisions], horizon: int) -> None:
    c = r.counts
    n = c.series.timestamps.size
    steps = np.arange(n, dtype=np.int64)
    bad, valid = now(c, np.zeros(n, dtype=np.int64), steps)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = bad / valid
    days = (c.series.timestamps - c.series.timestamps[0]) / 86_400
    hit = breached(c)[0][0]
    figure, (sli, budget, chance) = plt.subplots(3, 1, sharex=True, figsize=(12, 8))
    sli.plot(days, 100 * (1 - ratio), lw=1)
    sli.axhline(float(c.goal.objective.target), color="red", ls="--", lw=1, label="target")
    sli.set_ylabel("window SLI %")
    budget.plot(days, 100 * (1 - ratio * c.goal.burn_per_ratio), lw=1)
    budget.set_ylabel("budget left %")
    for d in (d for d in decisions if d.horizon == horizon):
        chance.step(days[d.steps], d.prediction.probability, where="post", lw=1, label=d.method)
    chance.set_ylabel(f"P(breach within {horizon // 3600} h)")
    chance.set_xlabel("days")
    for axis in (sli, budget, chance):
        axis.fill_between(days, 0, 1, where=hit, transform=axis.get_xaxis_transform(), color="red", alpha=0.15)
    sli.legend(loc="lower left")
    chance.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)

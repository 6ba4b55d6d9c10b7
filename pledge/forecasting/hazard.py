"""The few-event regime's own-history model: an empirical-Bayes hazard of bad-event clusters.

On SLIs of a few events (one event a step, a handful allowed per window) breaches come like a
hazard whose rate differs by series, so the chance is conditioned on the SLA's OWN past, all of
it, not one week: clusters of bad steps (a run of steps with errors) start at a rate per valid
event, and each cluster holds a number of bad events. Both are the series' own figures shrunk
toward the pooled training ones (calibration.json, "hazard") by how much history backs them:
rate = (clusters + weight x pooled rate) / (valid events + weight), mean size likewise.

Future clusters are Poisson with mean rate x the traffic expected within H, sizes geometric: the
new bad count is Polya-Aeppli. The window breaches at some step k <= H when the new bad count
exceeds the slack then (budget x (kept valid + future traffic) - kept bad, counts.slack), which
shrinks as today's bad steps leave the window; the count only grows, so for a slack that only
shrinks the breach is exactly "the new count by H exceeds the smallest slack within H" (and an
upper bound otherwise). The result is one more feature of the calibrated model (analogs.FEATURES).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb, factorial

import numpy as np

from pledge.forecasting.counts import Counts, slack
from pledge.forecasting.series import Floats, Ints

MOST = 12  # new bad events counted exactly; needing more is a breach this model calls near impossible


@dataclass(frozen=True)
class Prior:
    """Pooled training figures and how many events / clusters of the series' own weigh as much."""

    rate: float  # clusters per valid event
    rate_weight: float  # valid events
    size: float  # bad events per cluster (>= 1)
    size_weight: float  # clusters


def clusters(errors: Floats) -> Floats:
    """Prefix sums (leading zero column) of cluster starts: steps with errors after a step without."""
    rows = np.atleast_2d(errors) > 0
    start = rows & ~np.concatenate([np.zeros((rows.shape[0], 1), dtype=bool), rows[:, :-1]], axis=1)
    out = np.zeros((rows.shape[0], rows.shape[1] + 1))
    np.cumsum(start, axis=1, out=out[:, 1:])
    return out


def own(c: Counts, s: Ints, i: Ints, prior: Prior) -> tuple[Floats, Floats]:
    """Each row's shrunk cluster rate (per valid event) and mean cluster size, from all its history to i."""
    series = np.unique(s)  # only the rows asked for: a fleet's request SLIs never pay for this pass
    starts = clusters(np.atleast_2d(c.series.errors)[series])[np.searchsorted(series, s), i + 1]
    bad, valid = c.errors[s, i + 1], c.total[s, i + 1]
    rate = (starts + prior.rate_weight * prior.rate) / (valid + prior.rate_weight)
    size = (bad + prior.size_weight * prior.size) / (starts + prior.size_weight)
    return rate, np.maximum(size, 1.0)


WAYS = np.array([[comb(a - 1, b - 1) / factorial(b) if b <= a else 0.0 for b in range(1, MOST)]
                 for a in range(1, MOST)])  # C(n-1, k-1) / k!: n new bad events from k clusters


def exceed(mean: Floats, size: Floats, need: Ints) -> Floats:
    """P(a Polya-Aeppli count >= need): Poisson(mean) clusters of geometric sizes (mean ``size``)."""
    stay = (1.0 - 1.0 / size)[:, None, None]  # P(a cluster holds one more event)
    n, k = np.arange(1, MOST)[None, :, None], np.arange(1, MOST)[None, None, :]
    per = (mean[:, None, None] * (1.0 - stay)) ** k * stay ** np.maximum(n - k, 0)
    pmf = np.exp(-mean)[:, None] * np.concatenate([np.ones((mean.size, 1)), np.sum(WAYS[None] * per, axis=2)], axis=1)
    below = np.cumsum(pmf, axis=1)[np.arange(mean.size), np.clip(need, 1, MOST) - 1]
    p: Floats = np.where(need > MOST, 0.0, np.clip(1.0 - below, 0.0, 1.0))
    return p


def chance(c: Counts, s: Ints, i: Ints, steps: int, prior: Prior) -> Floats:
    """P(the window breaches within ``steps``) under the series' own shrunk hazard."""
    rate, size = own(c, s, i, prior)
    room, traffic = slack(c, s, i, steps)
    need = np.floor(np.maximum(room.min(axis=1), 0.0)).astype(np.int64) + 1
    return exceed(rate * traffic[:, -1], size, need)

"""Replay a history without peeking ahead: at each decision step a method sees only counts up to it.

Every method reads the counts through prefix sums indexed at the decision step (counts.py), so no
value after the decision enters a prediction; ``test_no_peeking`` checks it by truncating histories.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pledge.forecasting.counts import Counts, boundaries, breached, burn, counts
from pledge.forecasting.goal import Goal
from pledge.forecasting.methods import Method, RowPredictions
from pledge.forecasting.record import DAY, Judged, outcome
from pledge.forecasting.scoring import Tally, tally
from pledge.forecasting.series import Ints, StepCounts
from pledge.slo.periods import calendar_period

EVERY = 3_600  # a decision every hour (the setting): lead times are reported to that resolution


@dataclass(frozen=True)
class Replay:
    """One series replayed: the truth and the decision steps shared by all methods."""

    counts: Counts
    starts: Ints
    eligible: np.ndarray  # window known and SLA met at the step


@dataclass(frozen=True)
class Decisions:
    """What one method decided at each decision step of one series for one horizon."""

    method: str
    horizon: int
    steps: Ints
    prediction: RowPredictions


def replay(series: StepCounts, goal: Goal) -> Replay:
    c = counts(series, goal)
    hit, known = breached(c)
    edges = np.diff(np.concatenate([[0], hit[0].astype(np.int8)]))
    return Replay(c, np.flatnonzero(edges == 1).astype(np.int64), known[0] & ~hit[0])


def decision_steps(r: Replay, horizon: int, every: int = EVERY) -> Ints:
    """Every ``every`` seconds while the SLA is met, leaving a whole horizon of data to score."""
    stride = max(1, every // r.counts.step)
    n = r.eligible.size
    candidates = np.arange(0, n - max(1, horizon // r.counts.step), stride)
    chosen: Ints = candidates[r.eligible[candidates]].astype(np.int64)
    return chosen


def decide(r: Replay, method: Method, horizon: int, every: int = EVERY) -> Decisions:
    steps = decision_steps(r, horizon, every)
    rows = np.zeros(steps.size, dtype=np.int64)
    return Decisions(method.name, horizon, steps, method.predict(r.counts, rows, steps, horizon))


def score(r: Replay, d: Decisions, every: int = EVERY, warned: np.ndarray | None = None) -> Tally:
    """Scores of the method's warnings, or of ``warned`` (another warning policy on the same decisions)."""
    stride = max(1, every // r.counts.step)
    horizon_steps = max(1, d.horizon // r.counts.step)
    warned = d.prediction.warning if warned is None else warned
    return tally(d.steps, warned, d.prediction.probability, r.starts, horizon_steps, r.counts.step, stride,
                 foreseeable(r, d.horizon))


def foreseeable(r: Replay, horizon: int) -> np.ndarray:
    """Per breach start b: the burn over the trailing H stayed above 1 at every step of [b - H, b)."""
    steps = max(1, horizon // r.counts.step)
    n = r.eligible.size
    over = burn(r.counts, np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64), horizon) > 1.0
    calm = np.concatenate([[0], np.cumsum(~over)])  # steps not over 1, as prefix sums
    first = r.starts - steps
    flags: np.ndarray = (first >= 0) & (calm[r.starts] - calm[np.maximum(first, 0)] == 0)
    return flags


Progress = Callable[[], None]


def run(histories: Sequence[tuple[StepCounts, Goal]], methods: Sequence[Method], horizons: Sequence[int],
        *, every: int = EVERY, progress: Progress | None = None,
        keep: list[Decisions] | None = None) -> dict[tuple[str, int], Tally]:
    """Score every method at every horizon over all histories (tallies summed across them)."""
    totals = {(m.name, h): Tally() for m in methods for h in horizons}
    for series, goal in histories:
        r = replay(series, goal)
        for method in methods:
            for horizon in horizons:
                d = decide(r, method, horizon, every)
                totals[(method.name, horizon)].add(score(r, d, every))
                if keep is not None:
                    keep.append(d)
                if progress is not None:
                    progress()
    return totals


def period_record(r: Replay, method: Method) -> list[Judged]:
    """The track record's input (pledge.forecasting.record) from a replay of a calendar window: every
    period the history covers whole, with the method's answer to the question the API serves ("will
    the period end below target?", the horizon to the period's end) at each 00:00 UTC inside it, and
    the period's outcome and breach moment from its error ratio so far at every step."""
    window, step = r.counts.goal.window, r.counts.step
    assert window.calendar is not None, "a rolling window has no period that closes"
    t = r.counts.series.timestamps
    bad, valid = (np.atleast_2d(a)[0] for a in (r.counts.series.errors, r.counts.series.total))
    found: list[Judged] = []
    bounds = boundaries(window, float(t[0] - step), float(t[-1])).tolist()
    for start, end in zip(bounds[:-1], bounds[1:]):
        if start < t[0] - step or end > t[-1]:
            continue  # not covered whole
        steps = np.flatnonzero((t > start) & (t <= end))
        so_far, events = np.cumsum(bad[steps]), np.cumsum(valid[steps])
        ratio = np.divide(so_far, events, out=np.full(steps.size, np.nan), where=events > 0)
        settled = outcome(t[steps].astype(np.float64), ratio, start, end, r.counts.goal.budget)
        if settled is None:
            continue
        midnights = steps[(t[steps] % DAY == 0) & (t[steps] < end)]
        chance = [float(method.predict(r.counts, np.zeros(1, dtype=np.int64), np.array([i], dtype=np.int64),
                                       int(end - t[i])).probability[0]) for i in midnights.tolist()]
        found.append(Judged(float(start), float(end), t[midnights].astype(np.float64), np.array(chance, dtype=np.float64),
                            settled[0], settled[1], calendar_period(window.calendar, window.timezone, start).label))
    return found

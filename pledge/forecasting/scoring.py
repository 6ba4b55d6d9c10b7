"""Event-level scores: a breach episode counts as predicted if a warning came within H before it.

Warnings less than an hour apart (consecutive decisions always) form one alarm; an alarm is true
when a breach starts within H after one of its warnings. Decisions are only made while the SLA is
met. Lead per breach: start - first warning within H before it, capped at H, 0 if missed.
A breach is *foreseeable* at H when the burn that caused it began at least H before it: the burn
rate over the trailing H stayed above 1 at every step of the H before the breach started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pledge.forecasting.series import Floats, Ints

MONTH = 30 * 86_400
MERGE = 3_600  # warnings less than this apart are one alarm
BINS = np.linspace(0.0, 1.0, 11)  # reliability table: ten bins of predicted probability


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of each run of True."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


@dataclass
class Tally:
    """Sums over any number of series, so scores aggregate without averaging averages."""

    horizon: int = 0
    breaches: int = 0
    caught: int = 0
    alarms: int = 0
    true_alarms: int = 0
    months: float = 0.0
    leads: list[float] = field(default_factory=list)  # seconds, one per breach, 0 if missed
    foreseeable: list[bool] = field(default_factory=list)
    brier_sum: float = 0.0
    outcome_sum: float = 0.0
    decisions: int = 0
    bin_count: Floats = field(default_factory=lambda: np.zeros(BINS.size - 1))
    bin_predicted: Floats = field(default_factory=lambda: np.zeros(BINS.size - 1))
    bin_observed: Floats = field(default_factory=lambda: np.zeros(BINS.size - 1))

    def add(self, other: Tally) -> None:
        self.horizon = other.horizon or self.horizon
        for name in ("breaches", "caught", "alarms", "true_alarms", "months", "brier_sum", "outcome_sum", "decisions",
                     "bin_count", "bin_predicted", "bin_observed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.leads += other.leads
        self.foreseeable += other.foreseeable

    def summary(self) -> dict[str, Any]:
        precision, recall = _ratio(self.true_alarms, self.alarms), _ratio(self.caught, self.breaches)
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if self.breaches else None)
        leads, ahead = np.array(self.leads) / 3_600, np.array(self.foreseeable, dtype=bool)
        caught = leads[leads > 0]
        brier = _ratio(self.brier_sum, self.decisions)
        base = _ratio(self.outcome_sum, self.decisions)
        climatology = None if base is None else base * (1 - base)
        return {
            "breaches": self.breaches, "alarms": self.alarms, "precision": precision, "recall": recall, "f1": f1,
            "warning_time_h": float(leads.mean()) if leads.size else None,
            "foreseeable": int(ahead.sum()),
            "foreseeable_lead_h": float(leads[ahead].mean()) if ahead.any() else None,
            "lead_median_h": float(np.median(caught)) if caught.size else None,
            "false_alarms_per_month": (self.alarms - self.true_alarms) / self.months if self.months else None,
            "decisions": self.decisions, "base_rate": base, "brier": brier, "brier_climatology": climatology,
            "brier_skill": 1 - brier / climatology if brier is not None and climatology else None,
            "reliability": self.reliability(),
        }

    def reliability(self) -> list[dict[str, Any]]:
        """Per bin of predicted probability: decisions, mean prediction, observed breach frequency."""
        return [{"low": float(BINS[b]), "high": float(BINS[b + 1]), "decisions": int(n),
                 "predicted": _ratio(float(self.bin_predicted[b]), float(n)),
                 "observed": _ratio(float(self.bin_observed[b]), float(n))}
                for b, n in enumerate(self.bin_count) if n]


def tally(decided: Ints, warned: np.ndarray, probability: Floats, starts: Ints, horizon_steps: int,
          step: int, every: int, foreseeable: np.ndarray | None = None) -> Tally:
    """Score one series: ``decided`` step indices, ``starts`` the steps where breach episodes begin,
    ``foreseeable`` one flag per start (None: none is)."""
    result = Tally(horizon=horizon_steps * step, decisions=int(decided.size))
    if decided.size == 0:
        return result
    outcome = breach_within(decided, starts, horizon_steps)
    result.brier_sum = float(np.sum((probability - outcome) ** 2))
    result.outcome_sum = float(outcome.sum())
    result.bin_count, result.bin_predicted, result.bin_observed = reliability_sums(probability, outcome)
    result.months = decided.size * every * step / MONTH
    flags = np.zeros(starts.size, dtype=bool) if foreseeable is None else foreseeable
    chosen = (starts - horizon_steps >= decided[0]) & (starts <= decided[-1] + every)
    warned_at = decided[warned]
    for start, ahead in zip(starts[chosen].tolist(), flags[chosen].tolist()):
        before = warned_at[(warned_at >= start - horizon_steps) & (warned_at < start)]
        result.breaches += 1
        result.caught += int(before.size > 0)
        result.leads.append(float((start - before.min()) * step) if before.size else 0.0)
        result.foreseeable.append(bool(ahead))
    for first, last in alarm_runs(decided, warned, max(every, MERGE // step)):
        result.alarms += 1
        result.true_alarms += int(np.any((starts > decided[first]) & (starts <= decided[last] + horizon_steps)))
    return result


def reliability_sums(probability: Floats, outcome: np.ndarray) -> tuple[Floats, Floats, Floats]:
    """Per bin of BINS (the last one closed: p = 1 falls in 0.9-1.0): decisions, the sum of their
    predictions and of their outcomes. Shared by the backtest's tallies and pledge.forecasting.record."""
    where = np.clip(np.searchsorted(BINS, probability, side="right") - 1, 0, BINS.size - 2)
    count = np.bincount(where, minlength=BINS.size - 1).astype(np.float64)
    predicted = np.bincount(where, probability, minlength=BINS.size - 1).astype(np.float64)
    observed = np.bincount(where, np.asarray(outcome, dtype=np.float64), minlength=BINS.size - 1).astype(np.float64)
    return count, predicted, observed


def breach_within(decided: Ints, starts: Ints, horizon_steps: int) -> np.ndarray:
    """Does a breach episode start in (i, i + H] for each decision i?"""
    following = np.searchsorted(starts, decided, side="right")
    upcoming = starts[np.minimum(following, max(starts.size - 1, 0))] if starts.size else np.zeros(decided.size, np.int64)
    return (following < starts.size) & (upcoming <= decided + horizon_steps)


def alarm_runs(decided: Ints, warned: np.ndarray, merge: int) -> list[tuple[int, int]]:
    """(first, last) decision positions of each alarm: warnings at most ``merge`` steps apart."""
    at = np.flatnonzero(warned)
    if not at.size:
        return []
    cut = np.flatnonzero(np.diff(decided[at]) > merge)
    return list(zip(at[np.concatenate([[0], cut + 1])].tolist(), at[np.concatenate([cut, [at.size - 1]])].tolist()))

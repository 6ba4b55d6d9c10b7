"""Event-level scores: a breach episode counts as predicted if a warning came within H before it.

Warnings come in alarm episodes (runs of consecutive warning decisions); an alarm is true when a
breach starts within H after one of its warnings. Decisions are only made while the SLA is met.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pledge.forecasting.series import Floats, Ints

MONTH = 30 * 86_400


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of each run of True."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


@dataclass
class Tally:
    """Sums over any number of series, so scores aggregate without averaging averages."""

    breaches: int = 0
    caught: int = 0
    alarms: int = 0
    true_alarms: int = 0
    months: float = 0.0
    leads: list[float] = field(default_factory=list)
    brier_sum: float = 0.0
    decisions: int = 0

    def add(self, other: Tally) -> None:
        for name in ("breaches", "caught", "alarms", "true_alarms", "months", "brier_sum", "decisions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.leads += other.leads

    def summary(self) -> dict[str, float | int | None]:
        precision = self.true_alarms / self.alarms if self.alarms else None
        recall = self.caught / self.breaches if self.breaches else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if self.breaches else None)
        leads = np.array(self.leads) / 3_600
        return {
            "breaches": self.breaches, "alarms": self.alarms, "precision": precision, "recall": recall, "f1": f1,
            "lead_median_h": float(np.median(leads)) if leads.size else None,
            "lead_p10_h": float(np.percentile(leads, 10)) if leads.size else None,
            "false_alarms_per_month": (self.alarms - self.true_alarms) / self.months if self.months else None,
            "brier": self.brier_sum / self.decisions if self.decisions else None,
        }


def tally(decided: Ints, warned: np.ndarray, probability: Floats, starts: Ints, horizon_steps: int,
          step: int, every: int) -> Tally:
    """Score one series: ``decided`` step indices, ``starts`` the steps where breach episodes begin."""
    result = Tally(decisions=int(decided.size))
    if decided.size == 0:
        return result
    outcome = breach_within(decided, starts, horizon_steps)
    result.brier_sum = float(np.sum((probability - outcome) ** 2))
    result.months = decided.size * every * step / MONTH
    scorable = starts[(starts - horizon_steps >= decided[0]) & (starts <= decided[-1] + every)]
    warned_at = decided[warned]
    for start in scorable.tolist():
        before = warned_at[(warned_at >= start - horizon_steps) & (warned_at < start)]
        result.breaches += 1
        if before.size:
            result.caught += 1
            result.leads.append(float((start - before.min()) * step))
    for first, last in alarm_runs(decided, warned, every):
        result.alarms += 1
        result.true_alarms += int(np.any((starts > decided[first]) & (starts <= decided[last] + horizon_steps)))
    return result


def breach_within(decided: Ints, starts: Ints, horizon_steps: int) -> np.ndarray:
    """Does a breach episode start in (i, i + H] for each decision i?"""
    following = np.searchsorted(starts, decided, side="right")
    upcoming = starts[np.minimum(following, max(starts.size - 1, 0))] if starts.size else np.zeros(decided.size, np.int64)
    return (following < starts.size) & (upcoming <= decided + horizon_steps)


def alarm_runs(decided: Ints, warned: np.ndarray, every: int) -> list[tuple[int, int]]:
    """Runs of warnings over consecutive decisions; a gap (the SLA breached meanwhile) ends a run."""
    gap = np.concatenate([[False], np.diff(decided) != every])
    split: list[tuple[int, int]] = []
    for first, last in runs(warned):
        cuts = [j for j in range(first + 1, last + 1) if gap[j]]
        for a, b in zip([first, *cuts], [c - 1 for c in cuts] + [last]):
            split.append((a, b))
    return split

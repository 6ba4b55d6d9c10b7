"""The track record of served predictions: each closed period's daily predictions against its outcome.

Pure (numpy, no I/O): pledge.forecasting.record_io reads the inputs from Prometheus, `pledge backtest`
builds them from its own replay. One ``Judged`` per (SLA row, closed calendar period):

- decisions: one per day at 00:00 UTC strictly inside the period, the last probability sample at or
  before it and at most ``STALE`` old (no sample: no decision that day);
- outcome: whether the period ended below target; breach moment: the first instant the period could
  no longer end above target (error ratio so far x elapsed share of the period > budget: the bad time
  so far exceeds the whole period's allowance, as pledge.slo.budget's rule for ``Breached``);
- decisions at or after the breach moment are not scored: the question was settled.

A period counts when pledge served at least one decision during it (scored or not): a period that
breached before its first scored decision is a miss, not a period left out. Per scope (an SLA row,
the fleet): Brier score of the scored decisions against their period's outcome, the base rate of
breached periods and the Brier skill against it, a reliability table in ten bins of predicted
probability, periods warned (a scored decision >= ``WARN_AT``) and how many of them breached,
breached periods missed, the median warning time (breach moment minus first warning) and the words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pledge.forecasting.scoring import BINS, reliability_sums
from pledge.forecasting.series import Floats

DAY = 86_400
STALE = DAY  # a decision reads a sample at most this old: a gauge gone for a day decides nothing
WARN_AT = 0.5


@dataclass(frozen=True, eq=False)  # arrays do not compare to one bool
class Judged:
    """One SLA row's closed period: its probability samples (unix seconds, ascending) and its outcome.

    ``breach_at`` is None for a period that ended at or above target; for one that ended below it and
    never crossed before (a breach settled by the last minutes), the period's end."""

    start: float
    end: float
    times: Floats
    probabilities: Floats
    breached: bool
    breach_at: float | None = None
    label: str = ""

    @property
    def settled(self) -> float:
        """From this instant on the outcome is known: decisions from it are not scored."""
        if not self.breached:
            return self.end
        return self.end if self.breach_at is None else min(self.breach_at, self.end)


@dataclass(frozen=True, eq=False)
class Decisions:
    """One period's daily decisions: when, the probability read, and whether it is scored."""

    at: Floats
    probability: Floats
    scored: np.ndarray

    @property
    def first_warning(self) -> float | None:
        warned = self.scored & (self.probability >= WARN_AT)
        return float(self.at[warned][0]) if warned.any() else None


def decisions(period: Judged, every: int = DAY, stale: int = STALE) -> Decisions:
    """At each multiple of ``every`` (00:00 UTC) strictly inside the period, the last sample at or before
    it, inside the period and at most ``stale`` old; scored when before the breach moment."""
    first = (int(period.start) // every + 1) * every
    moments = np.arange(first, period.end, every, dtype=np.float64)
    times = np.asarray(period.times, dtype=np.float64)
    values = np.asarray(period.probabilities, dtype=np.float64)
    keep = (times > period.start) & (times < period.end) & np.isfinite(values)
    times, values = times[keep], values[keep]
    last = np.searchsorted(times, moments, side="right") - 1
    found = last >= 0
    found[found] &= times[last[found]] > moments[found] - stale
    at, probability = moments[found], np.clip(values[last[found]], 0.0, 1.0)
    return Decisions(at, probability, at < period.settled)


def breach_moment(times: Floats, ratios: Floats, start: float, end: float, budget: float) -> float | None:
    """The first sample time inside (start, end] where the period's error ratio so far times the
    elapsed share exceeds ``budget``: from then on the period cannot end above target."""
    times, ratios = np.asarray(times, dtype=np.float64), np.asarray(ratios, dtype=np.float64)
    inside = (times > start) & (times <= end) & np.isfinite(ratios)
    over = inside & (np.where(inside, ratios, 0.0) * (times - start) / (end - start) > budget)
    return float(times[over][0]) if over.any() else None


def outcome(times: Floats, ratios: Floats, start: float, end: float, budget: float) -> tuple[bool, float | None] | None:
    """(ended below target, breach moment) from the period's error ratio so far, sampled inside (start, end]
    (a count of the step ending at ``end`` is the period's; Prometheus is read one second before it):
    the last sample is the period's final ratio. None without any sample: unknown."""
    times, ratios = np.asarray(times, dtype=np.float64), np.asarray(ratios, dtype=np.float64)
    inside = (times > start) & (times <= end) & np.isfinite(ratios)
    if not inside.any():
        return None
    breached = bool(ratios[inside][-1] > budget)
    if not breached:
        return False, None
    moment = breach_moment(times, ratios, start, end, budget)
    return True, end if moment is None else moment


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    predicted: float | None  # mean prediction of the bin's decisions
    observed: float | None  # share of them whose period breached


@dataclass(frozen=True)
class PeriodResult:
    """One period as the record reads it."""

    label: str
    start: float
    end: float
    breached: bool
    breach_at: float | None
    decisions: int
    scored: int
    first_warning: float | None

    @property
    def warned(self) -> bool:
        return self.first_warning is not None


@dataclass(frozen=True)
class Record:
    periods: int
    breached: int
    decisions: int  # scored decisions
    brier: float | None
    base_rate: float | None
    brier_reference: float | None  # the base rate as a constant forecast on the same decisions
    brier_skill: float | None
    reliability: list[Bin]
    warned: int
    warned_breached: int
    missed: int
    median_warning: float | None  # seconds
    words: str
    results: list[PeriodResult]


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def words(periods: int, warned: int, warned_breached: int, missed: int, median_warning: float | None,
          unit: str = "month") -> str:
    """"Of the last 4 months we warned about, 3 breached; we missed 1; median warning 6.5 days.\""""
    if periods == 0:
        return f"No closed {unit} has a recorded prediction yet: no track record."
    if warned == 0:
        said = f"We warned about none of the last {_plural(periods, unit)}"
    else:
        said = f"Of the last {_plural(warned, unit)} we warned about, {warned_breached} breached"
    said += f"; we missed {missed}"
    if median_warning is not None:
        said += f"; median warning {median_warning / DAY:.1f} days before the breach"
    return f"{said} ({_plural(periods, unit)} judged)."


def summarize(periods: Sequence[Judged], unit: str = "month") -> Record:
    """The record of ``periods`` (one SLA row's, or the fleet's): periods without any decision are left out."""
    taken = [(p, decisions(p)) for p in periods]
    taken = [(p, d) for p, d in taken if d.at.size]
    outcomes = np.array([p.breached for p, _ in taken], dtype=bool)
    scored_p = np.concatenate([d.probability[d.scored] for _, d in taken] or [np.zeros(0)])
    scored_o = np.concatenate([np.full(int(d.scored.sum()), float(p.breached)) for p, d in taken] or [np.zeros(0)])
    base = float(outcomes.mean()) if outcomes.size else None
    brier = float(np.mean((scored_p - scored_o) ** 2)) if scored_p.size else None
    reference = float(np.mean((base - scored_o) ** 2)) if scored_p.size and base is not None else None
    skill = 1.0 - brier / reference if brier is not None and reference else None
    count, predicted, observed = reliability_sums(scored_p, scored_o)
    bins = [Bin(float(BINS[b]), float(BINS[b + 1]), int(n), float(predicted[b] / n) if n else None,
                float(observed[b] / n) if n else None) for b, n in enumerate(count)]
    results = [PeriodResult(p.label, p.start, p.end, p.breached, p.settled if p.breached else None, int(d.at.size),
                            int(d.scored.sum()), d.first_warning) for p, d in taken]
    warned = [r for r in results if r.warned]
    leads = [r.breach_at - r.first_warning for r in warned
             if r.breached and r.breach_at is not None and r.first_warning is not None]
    median = float(np.median(leads)) if leads else None
    caught = sum(r.breached for r in warned)
    missed = sum(r.breached and not r.warned for r in results)
    return Record(len(results), int(outcomes.sum()), int(scored_p.size), brier, base, reference, skill, bins,
                  len(warned), caught, missed, median, words(len(results), len(warned), caught, missed, median, unit),
                  results)

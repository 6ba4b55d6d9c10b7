"""The month-end breach scorer of issue 26 ("How it is measured") on the Upptime histories:
`python -m research.forecasting.uptime_backtest [--split validation|test] [--targets 99.9,99.5,99]
[--decisions FILE.csv]`, tables on stdout (docs/forecasting.md), a progress bar on stderr.

- Months: calendar months (UTC) with >= 90 % of their steps monitored (uptime.months).
- Decisions at 00:00 UTC of every day from the 2nd to the last. A method sees only the steps before
  the decision. ``pledge`` is called as serving calls it: `forecast(series, goal_for(target, calendar
  month), horizon to the month's end)` on the 30 days before the decision (unmonitored steps: total 0),
  every site with a decision at that moment in one call. The Counts-based methods (``linear``,
  ``burnrate``, ``incidents``) get the site's whole series with the decision's index: they read
  nothing after it (prefix sums at i), and ``linear``/``burnrate`` look back at most 7 days, so their
  answers are those of the 30-day input.
- The month's allowance is (1 - target) x its full number of steps; a decision whose bad steps
  already exceed it is "already breached" and not scored. Outcome: good / total over the month's
  monitored steps ends below target.
- Brier skill against the base rate of breached months (the share of scored months that breached,
  used as a constant forecast); ROC AUC over decisions; reliability in 10 bins of the predicted
  probability; months warned at p (any decision reached p): precision and recall over the scored
  months; lead = breach moment (end of the step whose bad steps first exceed the allowance) minus
  the first warning; decisions with p == 1 or p == 0 on months that can still go either way.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from threadpoolctl import threadpool_limits

from pledge.forecasting.counts import Counts, counts, now
from pledge.forecasting.forecast import Forecast, forecast
from pledge.forecasting.goal import Goal, goal_for
from pledge.forecasting.methods import BurnRate, Linear, Method, RowPredictions
from pledge.forecasting.series import Floats, Ints, StepCounts
from pledge.sla.model import Window
from research.forecasting.uptime import DATA, HISTORY, Month, Site, days_in, load, load_split, months

MONTHLY = Window(calendar="month")
TARGETS = (Decimal("99.9"), Decimal("99.5"), Decimal("99"))
BINS = 10
MIN_BIN = 50  # the goal's reliability bins: those holding at least 50 decisions
WARN = 0.5
DAY = 86_400
Serve = Callable[[StepCounts, Goal, int | None], list[Forecast]]


# --- the reference baseline: the site's own incidents, simulated to the month's end -----------------

@dataclass(frozen=True)
class Incidents:
    """One series' runs of bad steps: start and last index of each, sorted."""

    starts: Ints
    ends: Ints
    up: Ints  # prefix sums of monitored good steps (a leading zero)


def incidents(errors: Floats, total: Floats) -> Incidents:
    bad = (errors > 0) & (total > 0)
    edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
    up = np.concatenate([[0], np.cumsum((total > 0) & ~bad)]).astype(np.int64)
    return Incidents(np.flatnonzero(edges == 1).astype(np.int64), np.flatnonzero(edges == -1).astype(np.int64) - 1, up)


class IncidentSimulation:
    """The issue's reference, "a simple own-history incident simulation", for calendar windows of
    time-slice SLIs (one event per step; a step is bad when it has errors).

    From the series' own steps up to the decision: incident starts per monitored good step, with a
    prior of PRIOR_INCIDENTS per PRIOR_STEPS (half an incident a month, as much as a day of data), and the durations of the
    incidents that ended before it (PRIOR_DURATIONS if none yet). ``runs`` Monte Carlo months: a
    Poisson number of incidents over the remaining steps, uniform starts, durations drawn from the
    own record, cut at the horizon; an incident in progress at the decision lasts a duration drawn
    from the longer ones seen (or as long again, if none). P = share of runs whose window ends above
    the budget with the remaining steps monitored. Incidents may overlap (a simple model)."""

    name = "incidents"
    PRIOR_INCIDENTS = 1 / 60  # half an incident a month, weighing as one day of steps
    PRIOR_STEPS = 288
    PRIOR_DURATIONS = (1, 3, 12)

    def __init__(self, runs: int = 2_000, seed: int = 26) -> None:
        self.runs, self.seed = runs, seed
        self._seen: tuple[Floats, list[Incidents]] | None = None

    def _incidents(self, c: Counts) -> list[Incidents]:
        if self._seen is None or self._seen[0] is not c.series.errors:
            e, t = np.atleast_2d(c.series.errors), np.atleast_2d(c.series.total)
            self._seen = (c.series.errors, [incidents(e[r], t[r]) for r in range(e.shape[0])])
        return self._seen[1]

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions:
        if c.goal.window.calendar is None:
            raise ValueError("the incident simulation answers calendar windows only (to the period's end)")
        steps = max(1, horizon // c.step)
        found = self._incidents(c)
        bad, valid = now(c, s, i)
        rng = np.random.default_rng(self.seed)
        p = np.zeros(i.size)
        for r in range(i.size):
            p[r] = self._one(found[int(s[r])], int(i[r]), steps, float(bad[r]), float(valid[r]), c.goal.budget, rng)
        zero = np.zeros(i.size, dtype=np.int64)
        return RowPredictions(p, zero, zero, zero)

    def _one(self, inc: Incidents, i: int, steps: int, bad: float, valid: float, budget: float,
             rng: np.random.Generator) -> float:
        if np.isnan(valid):
            return float("nan")
        started = int(np.searchsorted(inc.starts, i, side="right"))  # runs that began at or before i
        ended = int(np.searchsorted(inc.ends, i, side="left"))  # runs whose last step is before i
        durations = inc.ends[:ended] - inc.starts[:ended] + 1
        pool = durations if durations.size else np.array(self.PRIOR_DURATIONS, dtype=np.int64)
        rate = (started + self.PRIOR_INCIDENTS) / (int(inc.up[i + 1]) + self.PRIOR_STEPS)
        k = rng.poisson(rate * steps, self.runs)
        run = np.repeat(np.arange(self.runs), k)
        begin = rng.integers(0, steps, run.size)
        length = np.minimum(rng.choice(pool, run.size), steps - begin)
        future = np.bincount(run, weights=length, minlength=self.runs)
        if started > ended:  # an incident is in progress at i
            so_far = i - int(inc.starts[started - 1]) + 1
            longer = pool[pool > so_far] - so_far if durations.size else np.array([], dtype=np.int64)
            rest = rng.choice(longer, self.runs) if longer.size else np.full(self.runs, so_far)
            future += np.minimum(rest, steps)
        future = np.minimum(future, steps)
        return float(np.mean(bad + future > budget * (valid + steps)))


# --- decisions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decisions:
    """The scored decisions of one target (columns), and per month its outcome and breach moment."""

    target: Decimal
    month: Ints  # position in ``months``
    at: Ints  # the decision (00:00 UTC)
    index: Ints  # array index of the last step seen (the step ending at ``at``)
    open: np.ndarray  # the month can still end either way
    months: list[Month]
    breached: np.ndarray  # per month: ends below target
    breach_at: Ints  # per month: end of the step where bad steps first exceed the allowance (-1: never)
    already: int  # decisions not scored: bad steps already over the allowance

    @property
    def outcome(self) -> np.ndarray:
        y: np.ndarray = self.breached[self.month]
        return y


def _fraction(target: Decimal) -> Fraction:
    return Fraction(target) / 100


def decisions(sites: Sequence[Site], found: Sequence[Month], target: Decimal) -> Decisions:
    t = _fraction(target)
    allowed = 1 - t
    rows: dict[str, list[int]] = defaultdict(list)
    breached, breach_at, already = np.zeros(len(found), dtype=bool), np.full(len(found), -1, dtype=np.int64), 0
    for m, month in enumerate(found):
        s = sites[month.site]
        errors = s.series.errors[month.first:month.first + month.steps] > 0
        cumulative = np.cumsum(errors)
        limit = math.floor(allowed * month.steps)  # whole bad steps allowed: bad > allowance iff bad > this
        breached[m] = month.good < t * month.monitored
        over = np.flatnonzero(cumulative > limit)
        if over.size:
            breach_at[m] = int(s.series.timestamps[month.first + over[0]])
        for day in range(2, days_in(month.start) + 1):
            at = month.start + (day - 1) * DAY
            seen = (at - month.start) // s.series.step  # steps of the month before the decision
            bad = int(cumulative[seen - 1])
            if bad > limit:
                already += 1
                continue
            rows["month"].append(m)
            rows["at"].append(at)
            rows["index"].append(s.index(at))
            rows["open"].append(int(bad + (month.steps - seen) > limit))
    col = {k: np.array(rows[k], dtype=np.int64) for k in ("month", "at", "index", "open")}
    return Decisions(target, col["month"], col["at"], col["index"], col["open"].astype(bool), list(found),
                     breached, breach_at, already)


def serving_input(site: Site, at: int) -> tuple[Floats, Floats]:
    """What serving fetches at ``at``: the 30 days of steps ending at it, unmonitored as total 0."""
    last = site.index(at)
    first = last + 1 - HISTORY // site.series.step
    return site.series.errors[first:last + 1], site.series.total[first:last + 1]


def predict_pledge(sites: Sequence[Site], d: Decisions, serve: Serve = forecast,
                   progress: Callable[[], None] | None = None) -> Floats:
    """pledge as serving runs it: one call per decision moment with every site deciding then."""
    goal = goal_for(d.target, MONTHLY)
    p = np.full(d.at.size, np.nan)
    for at in np.unique(d.at):
        rows = np.flatnonzero(d.at == at)
        inputs = [serving_input(sites[d.months[int(d.month[r])].site], int(at)) for r in rows]
        steps = inputs[0][0].size
        stamps = int(at) - sites[0].series.step * np.arange(steps - 1, -1, -1, dtype=np.int64)
        series = StepCounts(stamps, np.stack([e for e, _ in inputs]), np.stack([v for _, v in inputs]),
                            sites[0].series.step)
        end = d.months[int(d.month[rows[0]])].end
        out = serve(series, goal, end - int(at))
        p[rows] = [f.probability for f in out]
        if progress is not None:
            progress()
    return p


def predict_method(sites: Sequence[Site], d: Decisions, method: Method,
                   progress: Callable[[], None] | None = None) -> Floats:
    """A Counts-based method on each site's series, one call per site and horizon (the month's end)."""
    goal = goal_for(d.target, MONTHLY)
    p = np.full(d.at.size, np.nan)
    site_of = np.array([d.months[int(m)].site for m in d.month], dtype=np.int64)
    end_of = np.array([d.months[int(m)].end for m in d.month], dtype=np.int64)
    for k in np.unique(site_of):
        c = counts(sites[int(k)].series, goal)
        mine = site_of == k
        for horizon in np.unique((end_of - d.at)[mine]):
            rows = np.flatnonzero(mine & (end_of - d.at == horizon))
            got = method.predict(c, np.zeros(rows.size, dtype=np.int64), d.index[rows], int(horizon))
            p[rows] = got.probability
        if progress is not None:
            progress()
    return p


# --- metrics --------------------------------------------------------------------------------------

def brier_skill(p: Floats, y: np.ndarray, base: float) -> float:
    """1 - Brier(p) / Brier(the constant ``base``)."""
    reference = float(np.mean((base - y) ** 2))
    return 1.0 - float(np.mean((p - y) ** 2)) / reference if reference > 0 else float("nan")


def auc(p: Floats, y: np.ndarray) -> float:
    """ROC AUC: P(a breached month's decision scores above a met one's), ties counted half."""
    pos, neg = int(np.sum(y)), int(np.sum(~y.astype(bool)))
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(p.size)
    sorted_p = p[order]
    _, first, count = np.unique(sorted_p, return_index=True, return_counts=True)
    average = first + (count + 1) / 2.0  # 1-based average rank of each tie group
    ranks[order] = np.repeat(average, count)
    return float((np.sum(ranks[y.astype(bool)]) - pos * (pos + 1) / 2) / (pos * neg))


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    predicted: float
    observed: float

    @property
    def gap(self) -> float:
        return abs(self.observed - self.predicted)


def reliability(p: Floats, y: np.ndarray, bins: int = BINS) -> list[Bin]:
    """Equal-width bins of the prediction ([0, 0.1), ..., [0.9, 1]); empty bins left out."""
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            out.append(Bin(b / bins, (b + 1) / bins, int(inside.sum()), float(p[inside].mean()), float(y[inside].mean())))
    return out


def worst(found: list[Bin], least: int = MIN_BIN) -> Bin | None:
    """The bin with the largest gap among those holding at least ``least`` decisions."""
    held = [b for b in found if b.count >= least]
    return max(held, key=lambda b: b.gap) if held else None


@dataclass(frozen=True)
class MonthLevel:
    warned: int
    breached: int
    hits: int
    leads: list[float] = field(default_factory=list)  # days, per warned breached month with a breach moment

    @property
    def precision(self) -> float:
        return self.hits / self.warned if self.warned else float("nan")

    @property
    def recall(self) -> float:
        return self.hits / self.breached if self.breached else float("nan")

    @property
    def median_lead(self) -> float:
        return float(np.median(self.leads)) if self.leads else float("nan")


def month_level(month: Ints, at: Ints, p: Floats, breached: np.ndarray, breach_at: Ints, threshold: float) -> MonthLevel:
    """Over the months with scored decisions: warned if any decision reached ``threshold``; lead =
    breach moment - first warning (months breached only through unmonitored steps have none)."""
    scored = np.unique(month)
    first: dict[int, int] = {}
    for r in np.flatnonzero(p >= threshold):
        m = int(month[r])
        first[m] = min(first.get(m, int(at[r])), int(at[r]))
    hits = [m for m in first if breached[m]]
    leads = [(int(breach_at[m]) - first[m]) / DAY for m in hits if breach_at[m] >= 0]
    return MonthLevel(len(first), int(np.sum(breached[scored])), len(hits), sorted(leads))


@dataclass(frozen=True)
class Row:
    method: str
    decisions: int
    months: int
    base_rate: float
    brier_skill: float
    auc: float
    worst: Bin | None
    bins: list[Bin]
    warn: MonthLevel
    certain_open: tuple[int, int]  # p == 1, p == 0 on months that can still go either way


def row(method: str, d: Decisions, p: Floats) -> Row:
    y = d.outcome
    scored = np.unique(d.month)
    base = float(np.mean(d.breached[scored])) if scored.size else float("nan")
    bins = reliability(p, y)
    return Row(method, int(p.size), int(scored.size), base, brier_skill(p, y.astype(np.float64), base), auc(p, y),
               worst(bins), bins, month_level(d.month, d.at, p, d.breached, d.breach_at, WARN),
               (int(np.sum(d.open & (p == 1.0))), int(np.sum(d.open & (p == 0.0)))))


# --- the run --------------------------------------------------------------------------------------

def methods() -> list[Method]:
    """The baselines scored beside ``pledge`` (whose probe answers are the fleet method's)."""
    return [Linear(), BurnRate(), IncidentSimulation()]


def run(sites: Sequence[Site], targets: Sequence[Decimal], serve: Serve = forecast,
        others: Sequence[Method] | None = None, progress: Callable[[int], Callable[[], None]] | None = None
        ) -> dict[Decimal, tuple[Decisions, dict[str, Floats]]]:
    """Every method's probability for every scored decision, per target."""
    found = months(list(sites))
    others = methods() if others is None else others
    out = {}
    for target in targets:
        d = decisions(sites, found, target)
        tick = progress(np.unique(d.at).size + len(others) * np.unique([d.months[int(m)].site for m in d.month]).size) \
            if progress else None
        probabilities = {"pledge": predict_pledge(sites, d, serve, tick)}
        for method in others:
            probabilities[method.name] = predict_method(sites, d, method, tick)
        out[target] = (d, probabilities)
    return out


def _f(value: float, digits: int = 2) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def table(target: Decimal, d: Decisions, rows: list[Row]) -> str:
    before = int(np.sum(d.breached)) - int(np.sum(d.breached[np.unique(d.month)]))
    lines = [f"##### {target} % (calendar month): {d.already} decisions already breached, not scored; "
             f"{before} breached months had no decision left (breached on the 1st)", "",
             "| method | decisions | months | base rate | Brier skill | ROC AUC | worst reliability gap (bin, decisions) "
             "| months warned at p >= 0.5: precision / recall | median lead (days) | p = 1 / p = 0 on open months |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        gap = "-" if r.worst is None else f"{r.worst.gap:.2f} ({r.worst.low:.1f}-{r.worst.high:.1f}, {r.worst.count})"
        lines.append(f"| {r.method} | {r.decisions} | {r.months} | {_f(r.base_rate, 3)} | {_f(r.brier_skill)} | "
                     f"{_f(r.auc)} | {gap} | {_f(r.warn.precision)} / {_f(r.warn.recall)} ({r.warn.hits} of "
                     f"{r.warn.warned} warned, {r.warn.breached} breached) | {_f(r.warn.median_lead, 1)} | "
                     f"{r.certain_open[0]} / {r.certain_open[1]} |")
    lines += ["", f"Reliability at {target} % (decisions, mean predicted, observed):", "",
              "| bin | " + " | ".join(r.method for r in rows) + " |", "|---|" + "---|" * len(rows)]
    for b in range(BINS):
        cells = []
        for r in rows:
            found = [x for x in r.bins if round(x.low * BINS) == b]
            cells.append("-" if not found else f"{found[0].count}, {found[0].predicted:.2f}, {found[0].observed:.2f}")
        lines.append(f"| {b / BINS:.1f}-{(b + 1) / BINS:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def dump(path: str, sites: Sequence[Site], results: dict[Decimal, tuple[Decisions, dict[str, Floats]]]) -> None:
    """Every scored decision with every method's probability (for reading the decisions)."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        names = list(next(iter(results.values()))[1])
        out.writerow(["target", "site", "month", "at", "open", "bad_so_far", "breached", "breach_at", *names])
        for target, (d, p) in results.items():
            for r in range(d.at.size):
                m = d.months[int(d.month[r])]
                s = sites[m.site]
                so_far = int(np.sum(s.series.errors[m.first:int(d.index[r]) + 1] > 0))
                out.writerow([target, s.name, dt.datetime.fromtimestamp(m.start, dt.timezone.utc).strftime("%Y-%m"),
                              int(d.at[r]), int(d.open[r]), so_far, int(d.breached[int(d.month[r])]),
                              int(d.breach_at[int(d.month[r])]), *(f"{p[n][r]:.4f}" for n in names)])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m research.forecasting.uptime_backtest", description="Month-end breach forecasts scored on the Upptime histories (issue 26).")
    parser.add_argument("--split", choices=("validation", "test", "train"), default="validation")
    parser.add_argument("--targets", default="99.9,99.5,99")
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--decisions", help="write every scored decision to this CSV")
    args = parser.parse_args(argv)
    targets = [Decimal(t) for t in args.targets.split(",")]
    began, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(limits=1):
        sites = load(args.split, Path(args.data))
        loaded = time.perf_counter() - began
        with Progress(console=Console(stderr=True), transient=True) as bar:
            def progress(total: int) -> Callable[[], None]:
                task = bar.add_task(f"{args.split} {len(sites)} sites", total=total)
                return lambda: bar.advance(task)
            results = run(sites, targets, progress=progress)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    split = load_split()[args.split]
    found = months(sites)
    print(f"#### {args.split} split: {len(split)} repositories, {len(sites)} sites, {len(found)} full months "
          f"({dt.date.today().isoformat()}: {elapsed / 60:.1f} min wall clock on one niced core of a busy machine, "
          f"{cpu / 60:.1f} min CPU, {loaded:.0f} s of the wall clock loading)\n")
    print("Repositories: " + ", ".join(split) + "\n")
    for target, (d, p) in results.items():
        print(table(target, d, [row(name, d, values) for name, values in p.items()]))
    if args.decisions:
        dump(args.decisions, sites, results)


if __name__ == "__main__":
    main(sys.argv[1:])

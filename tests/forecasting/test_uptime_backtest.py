"""The issue-26 scorer (research/forecasting/uptime_backtest.py) on hand-built months with known
outcomes, its metrics against hand-computed values, and the split by repository. No real data: CI
has none (the months here are built step by step)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from pledge.forecasting.counts import Counts, counts
from pledge.forecasting.forecast import Forecast, forecast
from pledge.forecasting.goal import Goal, goal_for
from pledge.forecasting.methods import RowPredictions
from pledge.forecasting.series import Ints, StepCounts
from pledge.sla.model import Window
from research.forecasting import uptime
from research.forecasting.uptime import STEP, Site, from_series, months
from research.forecasting.uptime_backtest import (DAY, Bin, IncidentSimulation, auc, brier_skill, decisions,
                                                  month_level, predict_method, predict_pledge, reliability, row,
                                                  serving_input, worst)

T999 = Decimal("99.9")
PER_DAY = DAY // STEP


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone.utc).timestamp())


JUNE, JULY, AUGUST = utc(2024, 6, 1), utc(2024, 7, 1), utc(2024, 8, 1)


def june_site(name: str, bad_from: tuple[tuple[int, int], ...] = (), gap: tuple[int, int] | None = None,
              july_gap_days: int = 0) -> Site:
    """June and July 2024 monitored, every step up except ``bad_from`` [(time the first bad step
    starts, bad steps)] and unmonitored ``gap`` [start, end) and the first ``july_gap_days`` of July."""
    starts = np.arange(JUNE, AUGUST, STEP, dtype=np.int64)  # each step's start (a CSV row)
    errors, total = np.zeros(starts.size), np.ones(starts.size)
    for at, n in bad_from:
        k = (at - JUNE) // STEP
        errors[k:k + n] = 1
    if gap is not None:
        total[(starts >= gap[0]) & (starts < gap[1])] = 0
    total[(starts >= JULY) & (starts < JULY + july_gap_days * DAY)] = 0
    errors *= total
    return from_series(name, "owner/repo", StepCounts(starts + STEP, errors, total, STEP))


@pytest.fixture(scope="module")
def sites() -> list[Site]:
    return [
        june_site("breaches-day-20", ((utc(2024, 6, 20, 10), 9),)),  # 99.9 %: 8.64 bad steps allowed in June
        june_site("recovers", ((utc(2024, 6, 1, 12), 5),)),  # below target on the 1st, ends above it
        june_site("gap", ((utc(2024, 6, 10), 8),), gap=(utc(2024, 6, 28), JULY), july_gap_days=4),
        june_site("breached-on-the-1st", ((utc(2024, 6, 1, 3), 20),)),
    ]


def test_full_months_need_90_percent_monitored(sites: list[Site]) -> None:
    found = [(sites[m.site].name, m.start) for m in months(sites)]
    assert ("gap", JUNE) in found  # 27 of 30 days: exactly 90 %
    assert ("gap", JULY) not in found  # 27 of 31 days: 87 %
    assert ("recovers", JULY) in found
    assert len(found) == 7


def test_outcomes_decisions_and_breach_moment(sites: list[Site]) -> None:
    d = decisions(sites, months(sites), T999)
    by = {(sites[m.site].name, m.start): k for k, m in enumerate(d.months)}

    def scored(name: str) -> list[int]:
        return sorted(int(a) for a in d.at[d.month == by[(name, JUNE)]])

    breach = by[("breaches-day-20", JUNE)]
    assert d.breached[breach]
    # the 9th bad step (10:40-10:45) exceeds the allowance: the breach moment is that step's end
    assert d.breach_at[breach] == utc(2024, 6, 20, 10, 45)
    # decided at 00:00 of the 2nd to the 20th; from the 21st the month is already breached: not scored
    assert scored("breaches-day-20") == [utc(2024, 6, day) for day in range(2, 21)]

    recovers = by[("recovers", JUNE)]
    assert not d.breached[recovers] and d.breach_at[recovers] == -1
    assert scored("recovers") == [utc(2024, 6, day) for day in range(2, 31)]

    # 8 bad steps never exceed the allowance (8.64) but the ratio over the 27 monitored days does
    gap = by[("gap", JUNE)]
    assert d.breached[gap] and d.breach_at[gap] == -1
    assert len(scored("gap")) == 29

    first = by[("breached-on-the-1st", JUNE)]
    assert d.breached[first] and scored("breached-on-the-1st") == []
    assert d.open.all()


def test_already_breached_count(sites: list[Site]) -> None:
    # June: 10 (breaches-day-20, 21st..30th) + 29 (breached-on-the-1st); July has no bad step anywhere
    assert decisions(sites, months(sites), T999).already == 39
    # at 99 % (86.4 steps allowed) no decision is already breached and no month breaches
    loose = decisions(sites, months(sites), Decimal("99"))
    assert loose.already == 0 and not loose.breached.any()


class Spy:
    """A Counts method that records what it was asked and answers the share of bad steps seen."""

    name = "spy"

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def predict(self, c: Counts, s: Ints, i: Ints, horizon: int) -> RowPredictions:
        for k in i.tolist():
            self.calls.append((int(c.series.timestamps[k]), horizon, k))
        z = np.zeros(i.size, dtype=np.int64)
        return RowPredictions(c.errors[s, i + 1] / 100.0, z, z, z)


def test_methods_see_only_steps_before_the_decision(sites: list[Site]) -> None:
    d = decisions(sites, months(sites), T999)
    spy = Spy()
    p = predict_method(sites, d, spy)
    ends = [d.months[m].end for m in d.month.tolist()]
    # the step ending at the decision is the last one seen; the horizon runs to the month's end
    assert sorted((t, h) for t, h, _ in spy.calls) == sorted(zip(d.at.tolist(), (np.array(ends) - d.at).tolist()))
    assert sorted(k for _, _, k in spy.calls) == sorted(d.index.tolist())
    name = np.array([sites[d.months[m].site].name for m in d.month.tolist()])
    # the spy answers the bad steps seen: the 5 of the 1st by the 2nd, none of the 20th's on the 20th
    assert p[(name == "recovers") & (d.at == utc(2024, 6, 2))].tolist() == [0.05]
    assert p[(name == "breaches-day-20") & (d.at == utc(2024, 6, 20))].tolist() == [0.0]


def test_pledge_gets_what_serving_fetches(sites: list[Site]) -> None:
    d = decisions(sites, months(sites), T999)
    asked: list[tuple[StepCounts, Goal, int | None]] = []

    def serve(series: StepCounts, goal: Goal, horizon: int | None = None) -> list[Forecast]:
        asked.append((series, goal, horizon))
        return forecast(series, goal, horizon)

    p = predict_pledge(sites, d, serve)
    assert len(asked) == np.unique(d.at).size  # one call per decision moment, every deciding site in it
    at = utc(2024, 6, 29)
    series, goal, horizon = next(a for a in asked if int(a[0].timestamps[-1]) == at)
    assert goal.window.calendar == "month" and goal.objective.target == T999
    assert horizon == JULY - at
    assert series.timestamps.size == 30 * PER_DAY and series.timestamps[0] == at - (30 * PER_DAY - 1) * STEP
    assert series.errors.shape == (2, 30 * PER_DAY)  # breached-on-the-1st and day-20 decide no more in June
    rows = [sites[d.months[m].site].name for m in d.month[d.at == at].tolist()]
    gap = rows.index("gap")
    assert series.total[gap, -PER_DAY:].sum() == 0  # the monitoring gap arrives as no traffic
    assert series.total[rows.index("recovers")].sum() == 28 * PER_DAY  # May 30-31: before the site's data
    # the same probability as serving's entry point on that one site's 30 days
    errors, total = serving_input(sites[[s.name for s in sites].index("gap")], at)
    alone = forecast(StepCounts(series.timestamps, errors, total, STEP), goal, horizon)[0].probability
    assert p[(d.at == at)][gap] == pytest.approx(alone)


def test_incident_simulation() -> None:
    # a site with one 3-step incident every day for 60 days, then the month to come
    starts = np.arange(utc(2024, 4, 1), JULY, STEP, dtype=np.int64)
    errors = np.zeros(starts.size)
    errors[(np.arange(starts.size) % PER_DAY) < 3] = 1
    flappy = from_series("flappy", "o/r", StepCounts(starts + STEP, errors, np.ones(starts.size), STEP))
    calm = from_series("calm", "o/r", StepCounts(starts + STEP, np.zeros(starts.size), np.ones(starts.size), STEP))
    goal = goal_for(Decimal("99"), Window(calendar="month"))  # 86.4 bad steps allowed in June
    method = IncidentSimulation(runs=2_000, seed=1)
    at = utc(2024, 6, 2)
    p = {}
    for s in (flappy, calm):
        c = counts(s.series, goal)
        p[s.name] = float(method.predict(c, np.zeros(1, dtype=np.int64), np.array([s.index(at)]), JULY - at).probability[0])
    # 3 bad steps a day for 29 more days: ~90 > 86.4, with Poisson spread; the calm site: prior only
    assert 0.4 < p["flappy"] < 1.0
    assert p["calm"] < 0.01
    again = IncidentSimulation(runs=2_000, seed=1)
    c = counts(flappy.series, goal)
    assert float(again.predict(c, np.zeros(1, dtype=np.int64), np.array([flappy.index(at)]), JULY - at).probability[0]) == p["flappy"]


# --- metrics against hand-computed values ----------------------------------------------------------

def test_brier_skill() -> None:
    p, y = np.array([0.2, 0.8, 0.5, 0.1]), np.array([0.0, 1.0, 1.0, 0.0])
    # Brier (0.04 + 0.04 + 0.25 + 0.01) / 4 = 0.085; the base rate 0.5 scores 0.25
    assert brier_skill(p, y, 0.5) == pytest.approx(1 - 0.085 / 0.25)
    assert brier_skill(np.full(4, 0.5), y, 0.5) == pytest.approx(0.0)


def test_auc() -> None:
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])) == pytest.approx(0.75)
    assert auc(np.array([0.5, 0.5, 0.9]), np.array([False, True, True])) == pytest.approx(0.75)  # a tie counts half
    assert auc(np.array([0.9, 0.1]), np.array([False, True])) == pytest.approx(0.0)


def test_reliability_bins_and_worst_gap() -> None:
    found = reliability(np.array([0.05, 0.05, 0.15, 0.95, 1.0]), np.array([0, 1, 0, 1, 1]))
    assert found == [Bin(0.0, 0.1, 2, 0.05, 0.5), Bin(0.1, 0.2, 1, 0.15, 0.0), Bin(0.9, 1.0, 2, 0.975, 1.0)]
    assert worst(found, least=2) == found[0] and found[0].gap == pytest.approx(0.45)
    assert worst(found, least=1) == found[0]
    assert worst([b for b in found if b.count == 2][1:], least=2) == found[2]
    assert worst(found, least=3) is None


def test_month_level_precision_recall_lead() -> None:
    d1, d2 = utc(2024, 6, 2), utc(2024, 6, 3)
    month = np.array([0, 0, 1, 1, 2])
    at = np.array([d1, d2, d1, d2, d1])
    p = np.array([0.2, 0.6, 0.7, 0.9, 0.1])
    breached = np.array([True, False, True])
    breach_at = np.array([d2 + 2 * DAY + 3_600, -1, -1])
    level = month_level(month, at, p, breached, breach_at, 0.5)
    # warned: months 0 (first on d2) and 1 (d1); breached: 0 and 2; lead of month 0 from d2
    assert (level.warned, level.breached, level.hits) == (2, 2, 1)
    assert level.precision == 0.5 and level.recall == 0.5
    assert level.leads == [pytest.approx(2 + 1 / 24)] and level.median_lead == pytest.approx(2 + 1 / 24)
    assert month_level(month, at, p, breached, breach_at, 0.95).warned == 0


def test_row_counts_certainties_on_open_months(sites: list[Site]) -> None:
    d = decisions(sites, months(sites), T999)
    p = np.full(d.at.size, 0.3)
    p[:3], p[3:5] = 1.0, 0.0
    r = row("m", d, p)
    assert r.certain_open == (3, 2)
    assert r.decisions == d.at.size and r.months == 6  # breached-on-the-1st has no decision
    assert r.base_rate == pytest.approx(2 / 6)  # breaches-day-20 and gap in June


# --- the split ------------------------------------------------------------------------------------

def test_split_is_by_repository_and_deterministic() -> None:
    committed = uptime.load_split()
    listed = [r for names in committed.values() for r in names]
    assert len(listed) == len(set(listed))  # each repository in exactly one part
    for name, repos in committed.items():
        assert all(uptime.assign(r) == name for r in repos)  # the rule, not a choice
    # adding repositories never moves a listed one; a new one goes by the rule
    grown = uptime.split_lists(listed + ["someone/new-status"], committed)
    assert all(set(committed[n]) <= set(grown[n]) for n in committed)
    assert "someone/new-status" in grown[uptime.assign("someone/new-status")]
    u = int(hashlib.sha256(b"someone/new-status").hexdigest()[:8], 16) / 2 ** 32
    assert uptime.assign("someone/new-status") == ("train" if u < 0.5 else "validation" if u < 0.75 else "test")
    shares = [uptime.assign(f"owner{k}/status") for k in range(4_000)]
    assert [shares.count(n) / 4_000 for n in uptime.SPLITS] == pytest.approx([0.5, 0.25, 0.25], abs=0.03)


def _csv(path: Path, first: str, rows: list[tuple[int, int]]) -> None:
    start = dt.datetime.strptime(first, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    lines = ["timestamp,good,total,degraded"]
    for k, (good, total) in enumerate(rows):
        lines.append(f"{(start + dt.timedelta(seconds=STEP * k)).strftime('%Y-%m-%dT%H:%M:%SZ')},{good},{total},0")
    with gzip.open(path, "wt") as f:
        f.write("\n".join(lines) + "\n")


def test_load_reads_sites_of_the_split_repositories(tmp_path: Path) -> None:
    _csv(tmp_path / "a__one__api.csv.gz", "2024-06-01T00:00:00Z", [(1, 1), (0, 1), (0, 0), (1, 1)])
    _csv(tmp_path / "b__two__web.csv.gz", "2024-06-01T00:05:00Z", [(1, 1)] * 3)
    index = {"sites": {"a": {"repo": "a/one", "csv": "a__one__api.csv.gz"}, "b": {"repo": "b/two", "csv": "b__two__web.csv.gz"}}}
    (tmp_path / "index.json").write_text(json.dumps(index))
    lists = {"train": ["b/two"], "validation": ["a/one"], "test": []}
    [site] = uptime.load("validation", tmp_path, lists)
    assert site.name == "a__one__api" and site.repo == "a/one"
    # a row at t is the step ending at t + 300: bad = total - good; unmonitored stays total 0
    k = site.index(JUNE + STEP)
    assert site.series.errors[k:k + 4].tolist() == [0, 1, 0, 0]
    assert site.series.total[k:k + 4].tolist() == [1, 1, 0, 1]
    assert site.series.timestamps[0] == JUNE - 30 * DAY + STEP and site.series.timestamps[-1] == JULY
    assert [s.repo for s in uptime.load("train", tmp_path, lists)] == ["b/two"]
    with pytest.raises(ValueError, match="missing"):
        uptime.load("train", tmp_path, {"train": ["b/two"], "validation": [], "test": []})


def test_incident_simulation_continues_an_incident_in_progress() -> None:
    # incidents of 60 steps (5 h) every 10 days, and one under way for 30 steps at the decision
    starts = np.arange(utc(2024, 3, 1), JULY, STEP, dtype=np.int64)
    errors = np.zeros(starts.size)
    for day in range(0, 90, 10):
        errors[day * PER_DAY + 100:day * PER_DAY + 160] = 1
    at = utc(2024, 6, 15)
    k = (at - utc(2024, 3, 1)) // STEP
    errors[k - 30:k] = 1
    down = from_series("down", "o/r", StepCounts(starts + STEP, errors, np.ones(starts.size), STEP))
    errors[k - 30:k] = 0
    up = from_series("up", "o/r", StepCounts(starts + STEP, errors, np.ones(starts.size), STEP))
    goal = goal_for(Decimal("99.5"), Window(calendar="month"))  # 43.2 bad steps allowed in June
    p = {}
    for s in (down, up):
        got = IncidentSimulation(seed=3).predict(counts(s.series, goal), np.zeros(1, dtype=np.int64),
                                                 np.array([s.index(at)]), JULY - at)
        p[s.name] = float(got.probability[0])
    # down: 30 seen and every incident lasted 60, so 30 more to come: 60 > 43.2 whatever else happens;
    # up: nothing yet in June, breached if one more incident starts (9 in 106 days: 1 - e^-1.36 = 0.74)
    assert p["down"] == 1.0
    assert p["up"] == pytest.approx(0.74, abs=0.04)

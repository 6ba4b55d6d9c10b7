"""The fleet method of pledge/forecasting/fleet.py (issue 26 item 4) on hand-built windows: the prior's
shrinkage, arithmetic certainty, no p = 0 / 1 on open periods, monotonicity, and the serving entry point
agreeing with the scorer's Method. No real data (CI has none): the fitted tables are the shipped
pledge/forecasting/fleet_tables.json or tables built here."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest

from pledge.forecasting.counts import counts
from pledge.forecasting.goal import Goal, goal_for
from pledge.forecasting.series import Floats, Ints, StepCounts
from pledge.sla.model import SLI, BoolGaugeSLI, Objective, Window
from pledge.forecasting.fleet import (OWN_CAP, WINDOW, FleetIncidents, Mixture, Tables, features,
                                      load_tables, needed, probability, rate, raw_probability, time_slices)
from pledge.forecasting.forecast import forecast
from pledge.forecasting.methods import FLOOR

STEP = 300
DAY = 288
MONTH = 31 * DAY  # a 31-day month: 8928 steps
B999, B99 = 0.001, 0.01
# a fleet of about one incident a month (alpha / beta per step), mostly short incidents
FLEET = Tables(alpha=0.5, beta=0.5 * MONTH, durations={1: 60, 2: 20, 3: 10, 6: 6, 24: 3, 200: 1},
               strength=1.0, half_life_days=7.0, dispersion=2.0, duration_weight=5.0)


def window(bad: list[tuple[int, int]], monitored_from: int = 0) -> tuple[Floats, Floats]:
    """One 30-day window: ``bad`` runs as (first column, length); columns before ``monitored_from``
    unmonitored."""
    errors, total = np.zeros(WINDOW), np.ones(WINDOW)
    for at, n in bad:
        errors[at:at + n] = 1
    total[:monitored_from] = 0
    errors *= total
    return errors, total


def answer(rows: list[tuple[Floats, Floats]], seen: int, remaining: int, budget: float = B999,
           t: Tables = FLEET, raw: bool = False) -> Floats:
    e, v = np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])
    f = features(e, v, np.full(len(rows), seen, dtype=np.int64), t.half_life_days * DAY)
    left = np.full(len(rows), remaining, dtype=np.int64)
    if raw:
        return raw_probability(f, budget, left, t, t.survival())
    return probability(f, budget, left, t, t.survival())


def posterior_mean(errors: Floats, total: Floats, t: Tables = FLEET) -> float:
    f = features(errors[None, :], total[None, :], np.array([DAY], dtype=np.int64), t.half_life_days * DAY)
    a, b = rate(f, t)
    return float(a[0] / b[0])


# --- the prior --------------------------------------------------------------------------------------

def test_a_short_history_takes_the_fleet_rate_and_a_long_one_its_own() -> None:
    fleet = FLEET.alpha / FLEET.beta
    own = 1 / DAY  # one incident a day, ~31 times the fleet's rate
    # one day monitored, one incident in it
    short = posterior_mean(*window([(WINDOW - DAY // 2, 1)], monitored_from=WINDOW - DAY))
    # thirty days monitored, an incident every day
    long = posterior_mean(*window([(d * DAY + 100, 1) for d in range(1, 30)]))
    assert abs(math.log(short / fleet)) < abs(math.log(short / own))  # nearer the fleet
    assert abs(math.log(long / own)) < abs(math.log(long / fleet))  # nearer its own
    assert long > 5 * fleet and short < 3 * fleet
    # a quiet month with no history at all is the fleet's rate exactly
    none = posterior_mean(*window([], monitored_from=WINDOW))
    assert none == pytest.approx(fleet)


def test_recent_incidents_weigh_more_than_old_ones() -> None:
    recent = posterior_mean(*window([(WINDOW - DAY * (1 + k), 1) for k in range(5)]))
    old = posterior_mean(*window([(DAY * (1 + k), 1) for k in range(5)]))
    assert recent > 2 * old


def test_a_stronger_prior_pulls_harder() -> None:
    own = window([(d * DAY + 100, 1) for d in range(1, 30)])
    assert posterior_mean(*own, replace(FLEET, strength=20.0)) < posterior_mean(*own, replace(FLEET, strength=0.1))


# --- certainty only by arithmetic -------------------------------------------------------------------

def test_certain_only_when_the_allowance_is_already_exceeded() -> None:
    seen = 10 * DAY
    left = MONTH - seen
    allowance = B999 * MONTH  # 8.928 bad steps
    over = window([(WINDOW - seen + 10, 9)])  # 9 bad steps: beyond the whole month's allowance
    at = window([(WINDOW - seen + 10, 8)])  # 8: one more bad step breaches, but none may come
    p = answer([over, at], seen, left)
    assert allowance < 9
    assert p[0] == 1.0
    assert 0.0 < p[1] < 1.0
    # unmonitored steps so far shrink the month's monitored total: 8 bad of (2 days + the rest) monitored
    # (2 days + the rest) monitored: 8 bad steps exceed 0.1 % of them, 6 do not
    eight, six = (window([(WINDOW - DAY, n)], monitored_from=WINDOW - 2 * DAY) for n in (8, 6))
    monitored = 2 * DAY + left
    assert 6 < B999 * monitored < 8
    p = answer([eight, six], seen, left)
    assert p[0] == 1.0
    assert 0.0 < p[1] < 1.0


def test_impossible_only_when_the_steps_left_cannot_exceed_the_allowance() -> None:
    seen = MONTH - 3  # three steps left
    five = window([(WINDOW - 50, 5)])  # 5 bad: 4 more would breach at 99.9 %, only 3 can come
    eight = window([(WINDOW - 50, 8)])  # 8 bad: one more breaches
    p = answer([five, eight], seen, 3)
    assert p[0] == 0.0
    assert 0.0 < p[1] < 1.0


# --- no p = 0 / 1 on a period that can still go either way -----------------------------------------

def open_states() -> list[tuple[tuple[Floats, Floats], int, int, float]]:
    states = []
    for budget in (B999, 0.005, B99):
        for seen_days in (1, 5, 15, 25, 29):
            seen = seen_days * DAY
            left = MONTH - seen
            limit = math.floor(budget * MONTH)
            for bad in (0, limit // 2, limit):
                for history in ([], [(d * 97 % (WINDOW - seen), 3) for d in range(120)]):  # quiet / flapping
                    runs = list(history) + ([(WINDOW - bad, bad)] if bad else [])  # bad run at the end: ongoing
                    states.append((window(runs), seen, left, budget))
    return states


@pytest.mark.parametrize("tables", ["fitted", "extreme calibration"])
def test_no_certainty_on_open_periods(tables: str) -> None:
    t = load_tables()
    if tables != "fitted":  # a calibration that would saturate: the floor must still hold
        t = replace(t, calibration=[40.0, 10.0, -10.0, 0.0, 0.0])
    lows, highs, opened = [], [], 0
    for w, seen, left, budget in open_states():
        e, v = w[0][None, :], w[1][None, :]
        f = features(e, v, np.array([seen], dtype=np.int64), t.half_life_days * DAY)
        k = int(needed(f, budget, np.array([left], dtype=np.int64))[0])
        if 0 < k <= left:
            opened += 1
            p = float(probability(f, budget, np.array([left], dtype=np.int64), t, t.survival())[0])
            lows.append(p)
            highs.append(p)
    assert opened > 60
    assert min(lows) >= FLOOR and max(highs) <= 1 - FLOOR
    if tables != "fitted":
        assert max(highs) == 1 - FLOOR  # the ceiling held a saturated calibration back


def test_the_raw_model_reaches_the_extremes_that_the_floor_removes() -> None:
    """Without the floor, quiet months at 99 % round to p = 0: the floor is doing work."""
    short = replace(FLEET, durations={1: 60, 2: 20, 3: 10, 6: 6})  # 89 bad steps need many incidents
    quiet = window([])
    raw = answer([quiet], 2 * DAY, MONTH - 2 * DAY, B99, short, raw=True)[0]
    served = answer([quiet], 2 * DAY, MONTH - 2 * DAY, B99, short)[0]
    assert raw < FLOOR
    assert served == FLOOR


# --- monotonicity -----------------------------------------------------------------------------------

@pytest.mark.parametrize("budget", [B999, 0.005, B99])
def test_more_budget_spent_means_a_higher_p(budget: float) -> None:
    t = load_tables()
    seen = 12 * DAY
    limit = math.floor(budget * MONTH)
    spent = range(0, limit + 1, max(1, limit // 8))
    rows = [window([(WINDOW - seen + 20 * k, 1) for k in range(n)]) for n in spent]  # n one-step incidents
    p = answer(rows, seen, MONTH - seen, budget, t)
    assert np.all(np.diff(p) > 0), p


@pytest.mark.parametrize("budget", [B999, 0.005, B99])
def test_fewer_days_left_with_the_budget_intact_means_a_lower_p(budget: float) -> None:
    t = load_tables()
    history = window([(DAY * 3, 2), (DAY * 9, 1)])  # two incidents, both before the period
    p = [float(answer([history], MONTH - left, left, budget, t)[0]) for left in (25 * DAY, 15 * DAY, 7 * DAY, 2 * DAY, DAY)]
    assert np.all(np.diff(p) < 0), p


# --- the scorer's Method and the serving-shaped call agree -------------------------------------------

def test_the_method_and_the_serving_entry_point_give_the_same_answer() -> None:
    t = load_tables()
    start = int(dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc).timestamp())
    decision = start + 12 * 86_400  # 00:00 UTC on the 13th
    steps = (decision - start) // STEP + WINDOW  # a series from 30 days before July to the decision
    stamps = decision - STEP * np.arange(steps - 1, -1, -1, dtype=np.int64)
    rng = np.random.default_rng(7)
    errors = (rng.random((3, steps)) < np.array([[0.0002], [0.002], [0.01]])).astype(np.float64)
    total = np.ones((3, steps))
    goal = goal_for(Decimal("99.9"), Window(calendar="month"))
    c = counts(StepCounts(stamps, errors, total, STEP), goal)
    s: Ints = np.arange(3, dtype=np.int64)
    i: Ints = np.full(3, steps - 1, dtype=np.int64)
    horizon = start + 31 * 86_400 - decision
    method = FleetIncidents(t).predict(c, s, i, horizon).probability
    served = np.array([f.probability for f in forecast(StepCounts(stamps[-WINDOW:], errors[:, -WINDOW:],
                                                                  total[:, -WINDOW:], STEP), goal)])
    assert np.allclose(method, served)
    assert len(set(np.round(served, 6).tolist())) == 3  # three different histories, three answers


# --- which rows the fleet method answers in serving -------------------------------------------------

def test_probe_rows_go_to_the_fleet_and_sparse_requests_do_not() -> None:
    n = WINDOW
    probe = np.ones(n)
    new_probe = np.concatenate([np.zeros(n - 5 * DAY), np.ones(5 * DAY)])  # monitoring began 5 days ago
    sparse = (np.arange(n) % 7 == 0).astype(np.float64)  # a request every 35 minutes
    busy = np.full(n, 40.0)
    total = np.stack([probe, new_probe, sparse, busy])
    series = StepCounts(np.arange(1, n + 1, dtype=np.int64) * STEP, np.zeros_like(total), total, STEP)
    assert time_slices(series, bool_gauge=False).tolist() == [True, True, False, False]
    assert time_slices(series, bool_gauge=True).tolist() == [True] * 4


def test_a_bool_gauge_tile_is_judged_like_the_probes_it_averages() -> None:
    """A boolGauge tile holds seconds bad of seconds valid: the fleet reads it as a share of one step,
    so whole bad steps give the probes' answer exactly."""
    start = int(dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc).timestamp())
    stamps = start + 12 * 86_400 - STEP * np.arange(WINDOW - 1, -1, -1, dtype=np.int64)
    rng = np.random.default_rng(3)
    probes = (rng.random((2, WINDOW)) < np.array([[0.0003], [0.0012]])).astype(np.float64)
    window = Window(calendar="month")
    gauge = Goal(Objective(name="up", target=Decimal("99.9"), sli=SLI(bool_gauge=BoolGaugeSLI(metric="up"))), window)
    as_probes = forecast(StepCounts(stamps, probes, np.ones_like(probes), STEP), goal_for(Decimal("99.9"), window))
    as_gauge = forecast(StepCounts(stamps, probes * STEP, np.full_like(probes, STEP), STEP), gauge)
    assert [f.probability for f in as_gauge] == pytest.approx([f.probability for f in as_probes])
    assert as_probes[0].probability < as_probes[1].probability  # four times the bad steps: more likely
    assert all(FLOOR <= f.probability <= 1 - FLOOR for f in as_probes)


def test_the_expected_rest_of_the_period_sums_the_mixture() -> None:
    """Mixture.mean (no rows x lengths array) is the plain sum of its survival function."""
    own = np.zeros((2, OWN_CAP))
    own[0, [1, 3, 5]] = [4, 2, 1]
    own[1, OWN_CAP - 1] = 2  # two long incidents: the own record beyond the cap follows the fleet
    mix = Mixture(own, FLEET.survival(), FLEET.duration_weight)
    x = np.arange(1, 500)
    weight = (500 - x) / 499
    brute = np.sum(mix(np.broadcast_to(x, (2, x.size))) * weight, axis=1)
    assert mix.mean(np.arange(2), x, weight) == pytest.approx(brute)


def test_a_request_sli_behind_on_the_2nd_is_an_open_question_not_a_breach() -> None:
    """Events (the analog method): one bad day (0.3 % errors) opens the month below 99.9 %. The month
    can still end above target, so the state is Behind, p is strictly between 0 and 1, and the answer
    is about the month's end: no breach time."""
    start = int(dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc).timestamp())
    decision = start + 86_400
    stamps = decision - STEP * np.arange(WINDOW - 1, -1, -1, dtype=np.int64)
    total = np.full(WINDOW, 1_000.0)
    errors = np.where(stamps > start, 3.0, 0.0)
    [f] = forecast(StepCounts(stamps, errors, total, STEP), goal_for(Decimal("99.9"), Window(calendar="month")))
    assert f.current.state == "Behind" and f.horizon == 30 * 86_400
    assert 0 < f.probability < 1
    assert f.breach_at is None and f.breach_earliest is None and f.breach_latest is None

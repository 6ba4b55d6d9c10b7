"""Issue 5's proof on the synthetic scenarios (known ground truth, seeds the model never saw)."""

from __future__ import annotations

import numpy as np
import pytest

from pledge.forecasting.backtest import decide, replay, run, score
from pledge.forecasting.counts import burn, required_burn
from pledge.forecasting.analogs import Pledge, facts, paged
from research.forecasting.scenarios import Scenario
from pledge.forecasting.scoring import Tally
from pledge.sla.units import DAY


def test_pledge_beats_linear_on_f1(scores: dict[tuple[str, int], Tally]) -> None:
    pledge, linear = scores[("pledge", DAY)].summary(), scores[("linear", DAY)].summary()
    assert pledge["f1"] is not None and linear["f1"] is not None
    assert pledge["f1"] > linear["f1"]


def test_steady_compliant_history_raises_no_warning(scenarios: list[Scenario]) -> None:
    steady = [(s.series, s.goal) for s in scenarios if s.name in ("steady", "maintenance")]
    for horizon, tally in run(steady, [Pledge()], [3_600, DAY, 3 * DAY]).items():
        assert tally.breaches == 0 and tally.alarms == 0, horizon


def _first_page(s: Scenario, after: int) -> int | None:
    """First step at or after ``after`` where a page-severity burn-rate alert fires."""
    r = replay(s.series, s.goal)
    steps = np.arange(after, s.series.timestamps.size, dtype=np.int64)
    rows = np.zeros(steps.size, dtype=np.int64)
    fired = np.zeros(steps.size, dtype=bool)
    for tier in (t for t in s.goal.tiers if t.severity == "page"):
        limit = float(tier.burn_rate)
        fired |= (burn(r.counts, rows, steps, tier.long) > limit) & (burn(r.counts, rows, steps, tier.short) > limit)
    return int(steps[fired][0]) if fired.any() else None


def test_outage_warned_no_later_than_the_page(scenarios: list[Scenario]) -> None:
    checked = 0
    for s in (s for s in scenarios if s.name == "outage"):
        r = replay(s.series, s.goal)
        outage = int((s.notes["start"] - s.series.timestamps[0]) // s.series.step)
        page = _first_page(s, outage)
        breach = r.starts[r.starts >= outage]
        if page is None or not breach.size:
            continue
        steps = np.arange(outage, int(breach[0]) + 1, dtype=np.int64)
        warning = Pledge().predict(r.counts, np.zeros(steps.size, dtype=np.int64), steps, DAY).warning
        warned = steps[warning]
        assert warned.size and warned[0] <= page, (s.notes, page, warned[:3])
        checked += 1
    assert checked >= 3


def test_other_warning_policies_are_scored_on_the_same_decisions(scenarios: list[Scenario]) -> None:
    """The threshold trade-off in the docs rescores pledge's decisions; at its own threshold it is pledge itself."""
    s = next(s for s in scenarios if s.name == "seasonal")
    r = replay(s.series, s.goal)
    d = decide(r, Pledge(), DAY)
    assert score(r, d, warned=d.prediction.probability >= d.prediction.threshold).summary() == score(r, d).summary()
    never = score(r, d, warned=np.zeros(d.steps.size, dtype=bool))
    assert never.alarms == never.caught == 0 and never.breaches == score(r, d).breaches > 0


def test_a_firing_page_warns_without_claiming_a_breach_is_certain(scenarios: list[Scenario]) -> None:
    """An outage in progress warns at any threshold, but its probability is the model's: a page was
    followed by a breach within 24 h at 60 % of such decisions on validation, not always."""
    checked = 0
    for s in (s for s in scenarios if s.name == "outage"):
        r = replay(s.series, s.goal)
        steps = np.arange(r.eligible.size - DAY // s.series.step, dtype=np.int64)
        steps = steps[r.eligible[steps]]
        rows = np.zeros(steps.size, dtype=np.int64)
        need = required_burn(r.counts, rows, steps, DAY // s.series.step)
        firing = paged(r.counts, rows, steps, need) & ~facts(need)[0]
        prediction = Pledge().predict(r.counts, rows[firing], steps[firing], DAY)
        assert prediction.warning.all()
        assert np.all(prediction.probability < 1.0) and np.all(prediction.probability > 0.0)
        checked += int(firing.sum())
    assert checked >= 10

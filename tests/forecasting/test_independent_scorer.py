"""`pledge backtest --predictions` scored without pledge's scorer: plain loops over the CSV and the
counts (the issue asks the two to agree within 0.02 F1)."""

from __future__ import annotations

import csv
import json
from collections import deque
from pathlib import Path

import pytest
from click.testing import CliRunner

from pledge.commands.forecast import backtest
from pledge.forecasting.goal import Goal
from research.forecasting.nab import SHIPPED, convert
from research.forecasting.scenarios import scenario
from pledge.forecasting.series import StepCounts

HOUR, DAY = 3_600, 86_400


def breach_starts(rows: list[tuple[int, int, int]], budget: float, step: int, window_s: int) -> list[int]:
    """Timestamps where the rolling window turns breached, from a running deque."""
    window: deque[tuple[int, int]] = deque()
    bad = valid = 0
    before, starts = False, []
    for i, (t, errors, total) in enumerate(rows):
        window.append((errors, total))
        bad, valid = bad + errors, valid + total
        if len(window) > window_s // step:
            old = window.popleft()
            bad, valid = bad - old[0], valid - old[1]
        now = i + 1 >= window_s // step and bad > budget * valid
        if now and not before:
            starts.append(t)
        before = now
    return starts


def independent_f1(decisions: list[tuple[int, bool]], starts: list[int], horizon: int) -> float:
    first, last = decisions[0][0], decisions[-1][0]
    warned = [t for t, w in decisions if w]
    scored = [s for s in starts if s - horizon >= first and s <= last + HOUR]
    caught = sum(any(s - horizon <= w < s for w in warned) for s in scored)
    alarms: list[list[int]] = []
    for w in warned:
        if alarms and w - alarms[-1][-1] <= HOUR:
            alarms[-1].append(w)
        else:
            alarms.append([w])
    true = sum(any(a[0] < s <= a[-1] + horizon for s in starts) for a in alarms)
    if not (true and caught):
        return 0.0
    precision, recall = true / len(alarms), caught / len(scored)
    return 2 * precision * recall / (precision + recall)


def _history(name: str) -> tuple[StepCounts, Goal]:
    if name.endswith(".csv"):  # a shipped NAB training series, converted by the documented rule
        series, goal, _ = convert(SHIPPED / name)
        return series, goal
    s = scenario(name, 4)
    return s.series, s.goal


@pytest.mark.parametrize("name", ["seasonal", "ec2_cpu_utilization_24ae8d.csv", "ec2_network_in_5abac7.csv"])
def test_backtest_agrees_with_an_independent_scorer(tmp_path: Path, name: str) -> None:
    series, goal = _history(name)
    rows = list(zip(series.timestamps.tolist(), series.errors.astype(int).tolist(), series.total.astype(int).tolist()))
    counts, decided = tmp_path / "counts.csv", tmp_path / "decisions.csv"
    counts.write_text("timestamp,errors,total\n" + "".join(f"{t},{e},{n}\n" for t, e, n in rows))
    window = int(goal.window.rolling or 0)
    result = CliRunner().invoke(backtest, [str(counts), "--horizons", "24h", "--json", "--predictions", str(decided),
                                           "--target", str(goal.objective.target), "--window", f"{window}s"])
    assert result.exit_code == 0, result.output
    ours = {r["method"]: r for r in json.loads(result.stdout)}
    starts = breach_starts(rows, goal.budget, series.step, window)
    assert len(starts) >= (5 if name.endswith(".csv") else 1)
    with decided.open() as handle:
        table = list(csv.DictReader(handle))
    for method in ("pledge", "linear", "burnrate"):
        decisions = [(int(r["timestamp"]), r["warning"] == "yes") for r in table if r["method"] == method]
        theirs = independent_f1(decisions, starts, DAY)
        assert ours[method]["f1"] == pytest.approx(theirs, abs=0.02), method

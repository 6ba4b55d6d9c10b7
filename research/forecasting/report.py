"""The backtest tables and goals in docs/forecasting.md:
`python -m research.forecasting.report NAB_DIR validation|test [--thresholds]`.

Each split pairs synthetic seeds with a NAB split (nab.split): validation (seeds 3000-3099, 5 NAB
series) is where choices are made; test (seeds 0-99, 8 NAB series) is only reported. The calibration
is fitted on neither (calibrate.py: seeds 1000-1049 and the 10 NAB training series, also at 30 min and 1 h).
About 3 minutes a split on one core (a progress bar on stderr).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from threadpoolctl import threadpool_limits

from pledge.forecasting.analogs import Pledge
from pledge.forecasting.backtest import decide, replay, run, score
from pledge.forecasting.goal import Goal
from pledge.forecasting.methods import BurnRate, Linear, Method
from research.forecasting.nab import convert, part
from research.forecasting.scenarios import suite
from pledge.forecasting.scoring import Tally
from pledge.forecasting.series import StepCounts

HORIZONS = (3_600, 6 * 3_600, 86_400, 3 * 86_400)
SEEDS = {"validation": range(3_000, 3_100), "test": range(100)}  # 700 histories each: 10 seeds were too few
GOAL_HORIZON = 86_400
THRESHOLDS = (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
COLUMNS = ("breaches", "alarms", "precision", "recall", "f1", "warning_time_h", "foreseeable", "foreseeable_lead_h",
           "lead_median_h", "false_alarms_per_month", "brier", "brier_climatology", "brier_skill")
Histories = Sequence[tuple[StepCounts, Goal]]


def _cell(value: object) -> str:
    return "-" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)


def markdown(title: str, tallies: dict[tuple[str, int], Tally]) -> str:
    lines = [f"#### {title}", "", "| method | H | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for (method, horizon), tally in sorted(tallies.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        summary = tally.summary()
        lines.append(f"| {method} | {horizon // 3600}h | " + " | ".join(_cell(summary[c]) for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def reliability(title: str, scores: dict[tuple[str, int], Tally], method: str = "pledge") -> str:
    """The method's reliability table at every horizon: per bin, decisions, mean prediction, observed."""
    lines = [f"#### {title}", "", "| H | bin | decisions | predicted | observed | within 0.1 |", "|---|---|---|---|---|---|"]
    for horizon in HORIZONS:
        for b in scores[(method, horizon)].reliability():
            gap = abs(float(b["observed"] or 0) - float(b["predicted"] or 0))
            lines.append(f"| {horizon // 3600}h | {b['low']:.1f}-{b['high']:.1f} | {b['decisions']} | {_cell(b['predicted'])} | "
                         f"{_cell(b['observed'])} | {'yes' if gap <= 0.1 else 'NO'} |")
    return "\n".join(lines) + "\n"


def goals(title: str, scores: dict[tuple[str, int], Tally], horizon: int = GOAL_HORIZON) -> str:
    """The issue's four goals at H, each with its figures, met or not."""
    p, lin = scores[("pledge", horizon)].summary(), scores[("linear", horizon)].summary()
    bins = [b for b in scores[("pledge", horizon)].reliability() if int(b["decisions"] or 0) >= 50]
    worst = max((abs(float(b["observed"]) - float(b["predicted"])) for b in bins), default=0.0)

    def num(key: str, summary: dict[str, Any]) -> float:
        value = summary[key]
        return float(value) if isinstance(value, (int, float)) else float("nan")

    rows = [
        ("Brier skill >= 0.1", f"{num('brier_skill', p):.3f}", num("brier_skill", p) >= 0.1),
        ("reliability within 0.1 in every bin of >= 50 decisions", f"worst gap {worst:.3f} over {len(bins)} bins", worst <= 0.1),
        ("F1 >= linear's + 0.05", f"{num('f1', p):.3f} vs {num('f1', lin):.3f} + 0.05", num("f1", p) >= num("f1", lin) + 0.05),
        ("warning time >= linear's at precision >= 0.8",
         f"{num('warning_time_h', p):.2f} h vs {num('warning_time_h', lin):.2f} h, precision {num('precision', p):.3f}",
         num("warning_time_h", p) >= num("warning_time_h", lin) and num("precision", p) >= 0.8),
    ]
    lines = [f"#### Goals, {title}, H = {horizon // 3600} h", "", "| goal | figure | met |", "|---|---|---|"]
    lines += [f"| {goal} | {figure} | {'yes' if met else 'no'} |" for goal, figure, met in rows]
    return "\n".join(lines) + "\n"


def histories(nab: Path, split: str) -> dict[str, Histories]:
    scenarios = suite(SEEDS[split])
    seeds = SEEDS[split]
    return {f"synthetic seeds {seeds.start}-{seeds.stop - 1} (30 d rolling, 99.9 %)": [(s.series, s.goal) for s in scenarios],
            f"NAB {split} split (24 h rolling, 99.5 %): " + ", ".join(p.stem for p in part(nab, split)):
                [convert(p)[:2] for p in part(nab, split)]}


def report(nab: Path, split: str) -> str:
    methods: list[Method] = [Pledge(), Linear(), BurnRate()]
    out = []
    for title, found in histories(nab, split).items():
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(title.split(" (")[0], total=len(found) * len(methods) * len(HORIZONS))
            scores = run(found, methods, HORIZONS, progress=lambda: bar.advance(task))
        out += [markdown(title, scores), reliability(f"Reliability of pledge, {title}", scores), goals(title, scores)]
    return "\n".join(out)


def threshold_sweep(nab: Path, split: str) -> str:
    """Pledge's scores at every horizon if it warned at other probabilities (the probabilities do not
    change; a firing page warns at any threshold): where analogs.WARN_AT is chosen, on the validation split."""
    out = []
    for title, found in histories(nab, split).items():
        totals = {(t, h): Tally() for t in THRESHOLDS for h in HORIZONS}
        for series, goal in found:
            r = replay(series, goal)
            for horizon in HORIZONS:
                d = decide(r, Pledge(), horizon)
                paged = np.asarray(d.prediction.threshold) <= 0  # a firing page warns whatever the threshold
                for t in THRESHOLDS:
                    totals[(t, horizon)].add(score(r, d, warned=(d.prediction.probability >= t) | paged))
        out.append(markdown(f"pledge by warning threshold, {title}", {(f"p >= {t}", h): v for (t, h), v in totals.items()}))
    return "\n".join(out)


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        where, which = Path(sys.argv[1]), sys.argv[2]
        print(threshold_sweep(where, which) if sys.argv[3:] == ["--thresholds"] else report(where, which))

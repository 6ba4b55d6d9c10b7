"""The backtest tables in docs/forecasting.md: `python -m pledge.forecasting.report [NAB_DIR]`, and the
warning-threshold trade-off at 24 h: `python -m pledge.forecasting.report --thresholds`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from pledge.forecasting.backtest import decide, replay, run, score
from pledge.forecasting.methods import BurnRate, Linear, Method
from pledge.forecasting.model import Pledge
from pledge.forecasting.scenarios import suite
from pledge.forecasting.series import StepCounts
from pledge.forecasting.goal import Goal
from pledge.forecasting.scoring import Tally

HORIZONS = (3_600, 6 * 3_600, 86_400, 3 * 86_400)
SEEDS = range(10)  # the same unseen seeds as the tests
VALIDATION_SEEDS = range(2_000, 2_010)  # neither trained on nor scored: where warning policies are compared
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
COLUMNS = ("breaches", "alarms", "precision", "recall", "f1", "lead_median_h", "lead_p10_h", "false_alarms_per_month", "brier")


def _cell(value: object) -> str:
    return "-" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)


def markdown(title: str, tallies: dict[tuple[str, int], Tally]) -> str:
    lines = [f"#### {title}", "", "| method | H | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for (method, horizon), tally in sorted(tallies.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        summary = tally.summary()
        lines.append(f"| {method} | {horizon // 3600}h | " + " | ".join(_cell(summary[c]) for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def tables(histories: Sequence[tuple[StepCounts, Goal]], title: str) -> str:
    methods: list[Method] = [Pledge(), Linear(), BurnRate()]
    return markdown(title, run(histories, methods, HORIZONS))


def threshold_sweep(seeds: range, horizon: int = 86_400) -> str:
    """Pledge's scores if it warned at other probabilities (the probabilities themselves do not change)."""
    totals = {t: Tally() for t in THRESHOLDS}
    for s in suite(seeds):
        r = replay(s.series, s.goal)
        d = decide(r, Pledge(), horizon)
        for t, total in totals.items():
            total.add(score(r, d, warned=d.prediction.probability >= t))
    return markdown(f"pledge at H = {horizon // 3600} h by warning threshold, seeds {seeds.start}-{seeds.stop - 1}",
                    {(f"p >= {t}", horizon): total for t, total in totals.items()})


def main(nab: Path | None) -> None:
    scenarios = suite(SEEDS)
    print(tables([(s.series, s.goal) for s in scenarios], f"Synthetic scenarios ({len(scenarios)} histories, 30 d rolling, 99.9 %)"))
    if nab is not None:
        from pledge.forecasting.nab import convert

        for path in sorted(nab.glob("*.csv")):
            series, goal, (low, high) = convert(path)
            print(tables([(series, goal)], f"NAB {path.name} (bad outside [{low:.4g}, {high:.4g}], 99 %, 7 d rolling)"))


if __name__ == "__main__":
    if sys.argv[1:] == ["--thresholds"]:
        print(threshold_sweep(VALIDATION_SEEDS) + "\n" + threshold_sweep(SEEDS))
    else:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)

"""The backtest tables in docs/forecasting.md: `python -m pledge.forecasting.report [NAB_DIR]`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from pledge.forecasting.backtest import run
from pledge.forecasting.methods import BurnRate, Linear, Method
from pledge.forecasting.model import Pledge
from pledge.forecasting.scenarios import suite
from pledge.forecasting.series import Series
from pledge.forecasting.goal import Goal
from pledge.forecasting.scoring import Tally

HORIZONS = (3_600, 6 * 3_600, 86_400, 3 * 86_400)
SEEDS = range(10)  # the same unseen seeds as the tests
COLUMNS = ("breaches", "alarms", "precision", "recall", "f1", "lead_median_h", "lead_p10_h", "false_alarms_per_month", "brier")


def _cell(value: object) -> str:
    return "-" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)


def markdown(title: str, tallies: dict[tuple[str, int], Tally]) -> str:
    lines = [f"#### {title}", "", "| method | H | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for (method, horizon), tally in sorted(tallies.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        summary = tally.summary()
        lines.append(f"| {method} | {horizon // 3600}h | " + " | ".join(_cell(summary[c]) for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def tables(histories: Sequence[tuple[Series, Goal]], title: str) -> str:
    methods: list[Method] = [Pledge(), Linear(), BurnRate()]
    return markdown(title, run(histories, methods, HORIZONS))


def main(nab: Path | None) -> None:
    scenarios = suite(SEEDS)
    print(tables([(s.series, s.goal) for s in scenarios], f"Synthetic scenarios ({len(scenarios)} histories, 30 d rolling, 99.9 %)"))
    if nab is not None:
        from pledge.forecasting.nab import convert

        for path in sorted(nab.glob("*.csv")):
            series, goal, (low, high) = convert(path)
            print(tables([(series, goal)], f"NAB {path.name} (bad outside [{low:.4g}, {high:.4g}], 99 %, 7 d rolling)"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)

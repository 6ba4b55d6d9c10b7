"""Files in and out of the backtest: counts or metric CSVs, and every decision as a CSV row."""

from __future__ import annotations

import csv
import datetime as dt
import operator
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from pledge.forecasting.backtest import Decisions
from pledge.forecasting.series import Floats, StepCounts, SeriesError, build

_COMPARE: dict[str, Callable[[Floats, float], np.ndarray]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
}
_CONDITION = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


def parse_time(text: str) -> int:
    """Unix seconds, or ISO 8601 (no zone means UTC, as in the NAB files)."""
    text = text.strip()
    try:
        return int(float(text))
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SeriesError(f'timestamp "{text}" is neither unix seconds nor ISO 8601') from exc
    return int((moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).timestamp())


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise SeriesError(f"{path}: no data rows (empty file or header only)")
    return [h.strip().lower() for h in rows[0]], rows[1:]


def _column(header: list[str], rows: list[list[str]], name: str, path: Path) -> Floats:
    at = header.index(name)
    try:
        return np.array([float(r[at]) for r in rows], dtype=np.float64)
    except (ValueError, IndexError) as exc:
        raise SeriesError(f"{path}: column {name} has a missing or non-numeric value ({exc})") from exc


def read_counts(path: Path, *, fill_gaps: bool = False) -> StepCounts:
    """``timestamp,good,total`` or ``timestamp,errors,total``: events per step ending at the timestamp."""
    header, rows = _rows(path)
    if "timestamp" not in header or "total" not in header or ("good" in header) == ("errors" in header):
        raise SeriesError(f"{path}: header must be timestamp,good,total or timestamp,errors,total, got {','.join(header)}")
    stamps = np.array([parse_time(r[header.index("timestamp")]) for r in rows], dtype=np.int64)
    total = _column(header, rows, "total", path)
    errors = total - _column(header, rows, "good", path) if "good" in header else _column(header, rows, "errors", path)
    if "good" in header and np.any(errors < 0):
        raise SeriesError(f"{path}: good > total at row {int(np.argmax(errors < 0)) + 2}")
    return build(stamps, errors, total, gaps="zero" if fill_gaps else "error")


def parse_condition(text: str) -> Callable[[Floats], np.ndarray]:
    match = _CONDITION.match(text)
    if match is None:
        raise SeriesError(f'--bad-when must be a comparison such as "> 500", got "{text}"')
    compare, limit = _COMPARE[match.group(1)], float(match.group(2))
    return lambda values: compare(values, limit)


def read_metric(path: Path, bad_when: str, *, fill_gaps: bool = False) -> StepCounts:
    """``timestamp,value``: each step is one event, bad when the condition holds (time-based SLI,
    like a boolGauge: the SLI is the share of good steps)."""
    header, rows = _rows(path)
    if header[:1] != ["timestamp"] or len(header) < 2:
        raise SeriesError(f"{path}: header must be timestamp,value, got {','.join(header)}")
    stamps = np.array([parse_time(r[0]) for r in rows], dtype=np.int64)
    values = _column(header, rows, header[1], path)
    return build(stamps, parse_condition(bad_when)(values).astype(np.float64), np.ones(values.size), gaps="zero" if fill_gaps else "error")


def write_predictions(path: Path, series: StepCounts, decisions: Iterable[Decisions]) -> int:
    """One row per decision: enough to score the predictions without pledge."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["timestamp", "method", "horizon_s", "breach_probability", "warning", "predicted_breach"])
        for d in decisions:
            stamps = series.timestamps[d.steps]
            for t, p, w, k in zip(stamps.tolist(), d.prediction.probability.tolist(), d.prediction.warning.tolist(), d.prediction.expected.tolist()):
                out.writerow([t, d.method, d.horizon, f"{p:.4f}", "yes" if w else "no", t + k * series.step if k else ""])
                count += 1
    return count

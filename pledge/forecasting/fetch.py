"""History from Prometheus for many SLAs in a few queries: the recorded 5-minute tiles of every SLA
come back in one range query per time chunk (errors and requests, told apart by a label), not one
query per SLA."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

import numpy as np

from pledge.forecasting.series import StepCounts
from pledge.prom.client import PrometheusClient, RangeSeries, series_text
from pledge.prom.errors import PrometheusBadValue
from pledge.rules.names import ERRORS_TILE, REQUESTS_TILE, TILE
from pledge.rules.queries import FIGURE_LABEL, with_label
from pledge.slo.budget import SLACK, ImpossibleFigure, count_read, events_read

MAX_POINTS = 10_000  # Prometheus refuses more than 11,000 points per series and query
Key = tuple[tuple[str, str], ...]


async def fetch(client: PrometheusClient, start: int, end: int, matcher: str = "") -> tuple[dict[Key, StepCounts], int]:
    """Counts per labelled series (sla, sla_namespace, objective, group labels) and the query count."""
    step = TILE  # one tile per step: each step's lookup finds the newest tile, and tiles are a step apart
    grid = np.arange(start - start % step + step, end - end % step + 1, step, dtype=np.int64)
    sums: dict[str, dict[Key, np.ndarray]] = {"errors": defaultdict(lambda: np.zeros(grid.size)),
                                              "total": defaultdict(lambda: np.zeros(grid.size))}
    queries = 0
    for first in range(0, grid.size, MAX_POINTS):
        chunk = grid[first:first + MAX_POINTS]
        both = " or ".join(with_label(f"{name}{matcher}", FIGURE_LABEL, kind)
                           for kind, name in (("errors", ERRORS_TILE), ("total", REQUESTS_TILE)))
        found = await client.query_range(both, float(chunk[0]), float(chunk[-1]), step)
        queries += 1
        for kind, into in sums.items():
            _place([s for s in found if s.labels.get(FIGURE_LABEL) == kind], grid, into)
    keys = sums["total"].keys()
    for k in keys:
        checked(k, grid, sums["errors"][k], sums["total"][k])
    return {k: StepCounts(grid, sums["errors"][k], sums["total"][k], step) for k in keys}, queries


def checked(key: Key, grid: np.ndarray, errors: np.ndarray, total: np.ndarray) -> None:
    """The tiles' counts checked where they enter, as pledge.status checks every other count (pledge.slo.budget's
    ``count_read`` and ``events_read``, here over whole arrays): a NaN, a negative count or more bad events than
    events is PrometheusBadValue naming the series and the moment, never a forecast of an SLI below 0."""
    wrong = ~np.isfinite(errors) | ~np.isfinite(total) | (errors < 0) | (total < 0) | (errors > total * (1 + SLACK) + 1)
    if not wrong.any():
        return
    n = int(np.argmax(wrong))
    moment = datetime.fromtimestamp(int(grid[n]), timezone.utc).isoformat().replace("+00:00", "Z")
    name = ERRORS_TILE
    try:
        count_read(float(errors[n]))
        name = REQUESTS_TILE
        count_read(float(total[n]))
        name = ERRORS_TILE
        events_read(float(errors[n]), float(total[n]))
    except ImpossibleFigure as exc:
        raise PrometheusBadValue(series_text(name, dict(key)), f"{exc} in the tile of {moment}") from None


def _place(found: list[RangeSeries], grid: np.ndarray, into: dict[Key, np.ndarray]) -> None:
    """Events per tile at each step; missing points stay zero (no traffic)."""
    for item in found:
        key: Key = tuple(sorted((k, v) for k, v in item.labels.items() if k != FIGURE_LABEL))
        stamps = item.times.astype(np.int64)
        at = np.searchsorted(grid, stamps)
        ok = (at < grid.size) & (grid[np.minimum(at, grid.size - 1)] == stamps)
        into[key][at[ok]] = item.numbers[ok]

"""History from Prometheus for many SLAs in a few queries: the recorded 5-minute tiles of every SLA
come back in two range queries per time chunk (errors and requests), not one query per SLA."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from pledge.forecasting.series import StepCounts
from pledge.prom.client import PrometheusClient, RangeSeries
from pledge.rules.names import ERRORS_TILE, REQUESTS_TILE, TILE

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
        for kind, name in (("errors", ERRORS_TILE), ("total", REQUESTS_TILE)):
            found = await client.query_range(f"{name}{matcher}", float(chunk[0]), float(chunk[-1]), step)
            queries += 1
            _place(found, grid, sums[kind])
    keys = sums["total"].keys()
    return {k: StepCounts(grid, sums["errors"][k], sums["total"][k], step) for k in keys}, queries


def _place(found: list[RangeSeries], grid: np.ndarray, into: dict[Key, np.ndarray]) -> None:
    """Events per tile at each step; missing points stay zero (no traffic)."""
    for item in found:
        key: Key = tuple(sorted(item.labels.items()))
        stamps = item.times.astype(np.int64)
        at = np.searchsorted(grid, stamps)
        ok = (at < grid.size) & (grid[np.minimum(at, grid.size - 1)] == stamps)
        into[key][at[ok]] = item.numbers[ok]

"""Forecast 10,000 SLA series of 30 days at 5-minute steps (goal: <= 10 s, Prometheus fetch excluded):
request series (the analog method, 7-day horizon) and probe series to a calendar month's end (the fleet
method).

Prints the total time and peak memory (allocations during the call, inputs excluded) of the pledge
forecast, each next to references measured in the same run so machine noise cancels out: the
`linear` baseline on the same rows (window projection only) and one numpy pass (cumulative sums)
over the same arrays. Thread pools are set explicitly (threadpoolctl, BENCH_THREADS, default 1: two
cores shared, and oversubscribed pools were 3-4x slower). Nothing is trained: the serving path's
start (imports and the shipped calibration) is timed in a fresh interpreter, with its peak RSS.
The history fetch for 1,000 SLAs is counted in queries (batched).
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import numpy as np
from threadpoolctl import threadpool_limits

from pledge.forecasting.counts import counts
from pledge.forecasting.fetch import fetch
from pledge.forecasting.forecast import forecast
from pledge.forecasting.goal import Goal, goal_for
from pledge.forecasting.methods import Linear
from pledge.forecasting.series import StepCounts
from pledge.prom.client import PrometheusClient
from pledge.sla.model import Window

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # research/ is not installed: the repository's
from research.forecasting.scenarios import KINDS, scenario  # noqa: E402

COUNT, DAYS, STEP = 10_000, 30, 300


def fleet(count: int) -> tuple[StepCounts, Goal]:
    """``count`` series: the scenario kinds (three seeds each), shifted and scaled at random."""
    rng = np.random.default_rng(0)
    base = [scenario(kind, seed, days=DAYS + 1) for kind in KINDS for seed in range(3)]
    n = DAYS * 86_400 // STEP
    errors, total = np.empty((count, n)), np.empty((count, n))
    for row in range(count):
        s = base[row % len(base)].series
        shift, scale = int(rng.integers(0, s.total.size - n)), rng.uniform(0.5, 2.0)
        errors[row], total[row] = np.rint(s.errors[shift:shift + n] * scale), np.rint(s.total[shift:shift + n] * scale)
    stamps = base[0].series.timestamps[-n:]
    return StepCounts(stamps, errors, total, STEP), base[0].goal


def probes(count: int) -> tuple[StepCounts, Goal]:
    """``count`` probe series (one event per step) ending on the 15th of a month, a 99.9 % monthly goal:
    incidents at rates from one a quarter to one a day, lengths from 5 minutes to 4 hours."""
    rng = np.random.default_rng(1)
    n = DAYS * 86_400 // STEP
    errors = np.zeros((count, n))
    rates = np.exp(rng.uniform(np.log(1 / (90 * 288)), np.log(1 / 288), size=count))
    for row, rate in enumerate(rates):
        for at in np.flatnonzero(rng.random(n) < rate):
            errors[row, at:at + int(rng.choice((1, 1, 2, 3, 6, 12, 48)))] = 1
    end = 1_765_756_800  # 2025-12-15 00:00 UTC
    stamps = end - STEP * np.arange(n - 1, -1, -1, dtype=np.int64)
    return StepCounts(stamps, errors, np.ones((count, n)), STEP), goal_for(Decimal("99.9"), Window(calendar="month"))


def measured(label: str, work: Callable[[], object]) -> tuple[float, float]:
    """Time without tracing, then peak memory from a second, traced run (tracing slows numpy)."""
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{label:<44} {seconds:7.2f} s   peak {peak:8.0f} MiB")
    return seconds, peak


def numpy_pass(series: StepCounts) -> None:
    np.cumsum(series.errors, axis=1)
    np.cumsum(series.total, axis=1)


def linear(series: StepCounts, goal: Goal) -> None:
    for first in range(0, COUNT, 1_000):
        part = StepCounts(series.timestamps, series.errors[first:first + 1_000], series.total[first:first + 1_000], STEP)
        c = counts(part, goal)
        rows = np.arange(part.errors.shape[0], dtype=np.int64)
        Linear().predict(c, rows, np.full(rows.size, part.timestamps.size - 1, dtype=np.int64), 7 * 86_400)


def queries_for(slas: int) -> int:
    """Range queries needed to fetch 30 days of history for ``slas`` SLAs from a stub Prometheus."""
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"sla": f"sla-{k}", "sla_namespace": "bench", "objective": "availability"}, "values": []}
            for k in range(slas)]}})

    async def go() -> int:
        async with PrometheusClient("http://stub", transport=httpx.MockTransport(answer)) as client:
            found, count = await fetch(client, 0, DAYS * 86_400)
        assert len(found) == slas
        return count

    return asyncio.run(go())


START = ("import time, resource; t = time.perf_counter(); import pledge.api.app, pledge.predictions; "
         "from pledge.forecasting.analogs import calibration; calibration(); "
         "from pledge.forecasting.fleet import shipped; shipped(); "
         "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")


def serving_start() -> None:
    """The API's forecasting start path in a fresh interpreter: imports, the shipped calibration and fleet tables."""
    seconds, rss = map(float, subprocess.run([sys.executable, "-c", START], capture_output=True, text=True,
                                             check=True).stdout.split())
    print(f"{'serving start (imports + fitted tables)':<44} {seconds:7.2f} s   peak RSS {rss:5.0f} MiB")


def main() -> None:
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    with threadpool_limits(limits=threads):
        run(threads)


def run(threads: int) -> None:
    print(f"thread pools limited to {threads} (threadpoolctl)")
    serving_start()
    start = time.perf_counter()
    series, goal = fleet(COUNT)
    print(f"{COUNT:,} series x {series.timestamps.size:,} steps generated in {time.perf_counter() - start:.1f} s")
    one_k = StepCounts(series.timestamps, series.errors[:1_000], series.total[:1_000], STEP)
    measured("pledge forecast, 1,000 series, 7 d horizon", lambda: forecast(one_k, goal))
    reference, _ = measured("reference: numpy cumulative sums", lambda: numpy_pass(series))
    base, _ = measured("reference: linear baseline, 7 d horizon", lambda: linear(series, goal))
    seconds, _ = measured("pledge forecast, 7 d horizon", lambda: forecast(series, goal))
    print(f"pledge / numpy pass: {seconds / reference:.1f}x   pledge / linear: {seconds / base:.1f}x   goal <= 10 s: "
          f"{'met' if seconds <= 10 else 'NOT met'}")
    start = time.perf_counter()
    probe, monthly = probes(COUNT)
    print(f"{COUNT:,} probe series generated in {time.perf_counter() - start:.1f} s")
    fleet_seconds, _ = measured("pledge forecast, probes to the month's end", lambda: forecast(probe, monthly))
    print(f"probes / numpy pass: {fleet_seconds / reference:.1f}x   probes / linear: {fleet_seconds / base:.1f}x   "
          f"goal <= 10 s: {'met' if fleet_seconds <= 10 else 'NOT met'}")
    print(f"history fetch for 1,000 SLAs: {queries_for(1_000)} range queries (2 per 10,000-point chunk, any SLA count)")
    print(f"peak RSS of this process (inputs of 1.3 GiB included): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

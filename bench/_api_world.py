"""The world the API benchmarks share (bench/api_bench.py, bench/review_bench.py): tokens, 1,000 SLAs
from the examples and renamed copies, synthetic history in a real local Prometheus, and the
measuring helpers (timings, Prometheus queries the API made from its /metrics)."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx

from pledge.api.auth import TokenEntry
from pledge.demo.scenario import demo_metrics
from pledge.rules import generate
from pledge.sla import ServiceLevelAgreement
from pledge.testing import LocalPrometheus
from pledge.testing.history import go_live, load_history

HISTORY_DAYS = 31  # longer than the example SLAs' 30-day periods: the steady state, recorded figures throughout
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CUSTOMER_TOKEN = "bench-acme-token"
TOKENS = [TokenEntry.from_token("bench", TOKEN, ["read:all"]), TokenEntry.from_token("acme", CUSTOMER_TOKEN, ["customer:acme"])]
SERVED = 1_000


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


async def timed(call: Callable[[], Awaitable[httpx.Response]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = await call()
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return samples


def many(slas: list[ServiceLevelAgreement], count: int) -> list[ServiceLevelAgreement]:
    """``count`` SLAs: the examples, then renamed copies (NoData: they only cost list work)."""
    copies = [s.model_copy(update={"metadata": s.metadata.model_copy(update={"name": f"{s.metadata.name}-{i}"})})
              for i in range(count // len(slas) + 1) for s in slas]
    return (slas + copies)[:count]


async def queries_served(http: httpx.AsyncClient) -> float:
    text = (await http.get("/metrics")).text
    pattern = r'^pledge_api_prometheus_request_duration_seconds_count\{path="([^"]*)"\} (\S+)$'
    # range queries are the background prediction rounds, not the requests measured here
    return sum(float(v) for path, v in re.findall(pattern, text, re.MULTILINE) if not path.endswith("query_range"))


async def interleaved(calls: list[Callable[[], Awaitable[httpx.Response]]], n: int) -> list[list[float]]:
    """Each call's latencies, taking turns, so a noisy neighbour slows them alike."""
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(n):
        for call, found in zip(calls, samples):
            found.extend(await timed(call, 1))
    return samples


async def until_snapshot(http: httpx.AsyncClient) -> None:
    """The API's first background snapshot is there (its answers carry an Age header)."""
    while "age" not in (await http.get("/v1/slas", params={"limit": 1})).headers:
        await asyncio.sleep(0.1)


async def prepare(prom: LocalPrometheus, slas: list[ServiceLevelAgreement], days: int = HISTORY_DAYS) -> None:
    """``days`` of the demo's raw counters, ``slas``' rules recorded over them, then evaluated live."""
    groups = [g for sla in slas for g in generate(sla)]
    timeline, metrics = demo_metrics(float(int(time.time()) // 60 * 60), days=days)
    started = time.monotonic()
    await load_history(prom, timeline, metrics, groups)
    print(f"{len(slas)} SLAs recorded over {days} days in {time.monotonic() - started:.0f} s")
    go_live(prom, groups)

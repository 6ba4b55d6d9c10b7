"""API benchmarks, each as a ratio against a reference measured in the same run (machines are noisy).

1. p50/p99 of GET /v1/slas/{ns}/{name} vs one raw PromQL instant query to the same Prometheus.
2. GET /v1/slas over 1,000 SLAs: Prometheus queries per request (from the API's /metrics), latency.
3. 200 concurrent clients for 30 s on loopback: throughput and errors (the API in its own process).

Usage: python bench/api_bench.py [--seconds 30] [--clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from pledge.api.auth import TokenEntry
from pledge.api.server import running_api
from pledge.demo.run import example_slas
from pledge.demo.scenario import demo_metrics
from pledge.testing import LocalPrometheus
from pledge.testing.history import load_history
from pledge.rules import generate, rule_file, to_yaml
from pledge.rules.tiles import SLI_INTERVAL
from pledge.sla import ServiceLevelAgreement

HISTORY_DAYS = 31  # longer than the example SLAs' 30-day periods: the steady state, recorded figures throughout
TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TOKENS = [TokenEntry.from_token("bench", TOKEN, ["read:all"])]


def percentile(samples: list[float], q: float) -> float:
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
    return sum(float(v) for path, v in re.findall(pattern, text, re.M) if not path.endswith("query_range"))


async def interleaved(calls: list[Callable[[], Awaitable[httpx.Response]]], n: int) -> list[list[float]]:
    """Each call's latencies, taking turns, so a noisy neighbour slows them alike."""
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(n):
        for call, found in zip(calls, samples):
            found.extend(await timed(call, 1))
    return samples


async def latency(prom_url: str, slas: list[ServiceLevelAgreement], cache_seconds: float, n: int = 500) -> None:
    """Cold: every request asks Prometheus; warm: answers cached for the rule evaluation interval."""
    raw_form = {"query": 'pledge:sli_error_ratio:period{sla="checkout",sla_namespace="shop"}'}
    async with running_api(slas, prom_url, TOKENS, prometheus_cache_seconds=cache_seconds) as url, \
            httpx.AsyncClient(headers=AUTH) as http:
        api_call = lambda: http.get(f"{url}/v1/slas/shop/checkout")  # noqa: E731
        raw_call = lambda: http.post(f"{prom_url}/api/v1/query", data=raw_form)  # noqa: E731
        await interleaved([api_call, raw_call], 20)  # warm-up
        api, raw = await interleaved([api_call, raw_call], n)
    for name, q in (("p50", 50), ("p99", 99)):
        a, r = percentile(api, q), percentile(raw, q)
        print(f"GET /v1/slas/shop/checkout {name} ({'warm, cached' if cache_seconds else 'cold'}): "
              f"{a * 1000:7.2f} ms   raw PromQL query {r * 1000:6.2f} ms   ratio {a / r:5.2f}x")


async def listing(prom_url: str, slas: list[ServiceLevelAgreement], n: int = 30) -> None:
    thousand = many(slas, 1_000)
    async with running_api(thousand, prom_url, TOKENS) as url, httpx.AsyncClient(base_url=url, headers=AUTH) as http:
        await http.get("/v1/slas", params={"limit": 1000})
        before = await queries_served(http)
        samples = await timed(lambda: http.get("/v1/slas", params={"limit": 1000}), n)
        per_request = (await queries_served(http) - before) / n
        one = running_api(slas[:1], prom_url, TOKENS)
    async with one as url, httpx.AsyncClient(base_url=url, headers=AUTH) as http:
        await http.get("/v1/slas")
        single = await timed(lambda: http.get("/v1/slas"), n)
    print(f"GET /v1/slas, 1,000 SLAs: {per_request:.1f} Prometheus queries per request; "
          f"p50 {percentile(samples, 50) * 1000:.1f} ms vs {percentile(single, 50) * 1000:.1f} ms for 1 SLA "
          f"({percentile(samples, 50) / percentile(single, 50):.1f}x)")


async def load(url: str, clients: int, seconds: float) -> None:
    done, errors = 0, Counter[str]()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            try:
                response = await http.get("/v1/slas/shop/checkout")
                if response.status_code != 200:
                    errors[f"{response.status_code} {response.text[:120]}"] += 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
            done += 1

    async with httpx.AsyncClient(base_url=url, headers=AUTH, limits=limits, timeout=30) as http:
        started = time.monotonic()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.monotonic() - started
    print(f"{clients} concurrent clients for {elapsed:.0f} s: {done:,} requests, {done / elapsed:.0f} req/s, {errors.total()} errors")
    for reason, count in errors.most_common():
        print(f"  {count} x {reason}")


def serve_in_child(prom_url: str) -> None:
    """The child process: the API on a free port; prints its URL, stops when stdin closes."""
    async def main() -> None:
        async with running_api(example_slas(), prom_url, TOKENS, prometheus_concurrency=32) as url:
            print(url, flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    asyncio.run(main())


def concurrency(prom_url: str, clients: int, seconds: float) -> None:
    child = subprocess.Popen([sys.executable, __file__, "--serve", prom_url], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        asyncio.run(load(child.stdout.readline().strip(), clients, seconds))
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(30)


async def prepare(prom: LocalPrometheus, slas: list[ServiceLevelAgreement], workdir: Path) -> None:
    groups = [g for sla in slas for g in generate(sla)]
    timeline, metrics = demo_metrics(float(int(time.time()) // 60 * 60), days=HISTORY_DAYS)
    await load_history(prom, timeline, metrics, groups)
    rules = workdir / "rules.yaml"
    rules.write_text(to_yaml(rule_file(groups)))
    prom.reload([rules])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--serve")
    parser.add_argument("--load-only", action="store_true", help="only the concurrent-clients part")
    args = parser.parse_args()
    if args.serve:
        return serve_in_child(args.serve)
    slas = example_slas()
    with tempfile.TemporaryDirectory() as tmp, LocalPrometheus() as prom:
        asyncio.run(prepare(prom, slas, Path(tmp)))
        if not args.load_only:
            for cache_seconds in (0, SLI_INTERVAL):
                asyncio.run(latency(prom.url, slas, cache_seconds))
            asyncio.run(listing(prom.url, slas))
        concurrency(prom.url, args.clients, args.seconds)


if __name__ == "__main__":
    main()

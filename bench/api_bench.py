"""API benchmarks, each as a ratio against a reference measured in the same run (machines are noisy).

1. p50/p99 of GET /v1/slas/{ns}/{name} vs one raw PromQL instant query to the same Prometheus, no
   answer cache: answered from the background snapshot (no ``at``), and computed at request time (``at=``).
2. GET /v1/slas over 1,000 SLAs: Prometheus queries per request (from the API's /metrics), p50 vs the raw
   query, from the snapshot and computed at request time.
3. A full report of the 1,000 SLAs: GET /v1/details (every SLA's detail) vs GET /v1/slas/{ns}/{name} for
   each SLA in turn, all computed at request time (``at=``); and GET /v1/details from the snapshot.
4. 200 concurrent clients for 30 s on loopback, mixed routes and scopes, against the API serving 1,000
   SLAs in its own process: throughput, p50/p99, errors, and that process's RSS at idle, after the load
   and at its peak, with the heavy modules it imported.

Usage: python bench/api_bench.py [--seconds 30] [--clients 200] [--recorded 60]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import httpx
from _api_world import (
    AUTH,
    CUSTOMER_TOKEN,
    SERVED,
    TOKEN,
    TOKENS,
    interleaved,
    many,
    percentile,
    prepare,
    queries_served,
    timed,
    until_snapshot,
)

from pledge.api.server import running_api
from pledge.demo.run import example_slas
from pledge.rules.tiles import SLI_INTERVAL
from pledge.sla import ServiceLevelAgreement
from pledge.testing import LocalPrometheus

HEAVY = ("sklearn", "scipy", "matplotlib", "pandas", "numpy")


async def latency(prom_url: str, slas: list[ServiceLevelAgreement], n: int = 500) -> None:
    """No answer cache: from the background snapshot, and computed at request time (at=, every
    request asks Prometheus), each against one raw PromQL query, taking turns."""
    raw_form = {"query": 'pledge:sli_error_ratio:period{sla="checkout",sla_namespace="shop"}'}
    async with running_api(slas, prom_url, TOKENS) as url, httpx.AsyncClient(base_url=url, headers=AUTH) as http:
        await until_snapshot(http)
        at = {"at": str(int(time.time()))}
        calls = [lambda: http.get("/v1/slas/shop/checkout"), lambda: http.get("/v1/slas/shop/checkout", params=at),
                 lambda: http.post(f"{prom_url}/api/v1/query", data=raw_form)]
        await interleaved(calls, 20)  # warm-up
        snapshot, live, raw = await interleaved(calls, n)
    for name, q in (("p50", 50), ("p99", 99)):
        r = percentile(raw, q)
        for how, found in (("from the snapshot", snapshot), ("computed at request time (at=)", live)):
            a = percentile(found, q)
            print(f"GET /v1/slas/shop/checkout {name}, {how}: {a * 1000:7.2f} ms   raw PromQL query "
                  f"{r * 1000:6.2f} ms   ratio {a / r:5.2f}x (goal <= 2x)")


async def raw_p50(http: httpx.AsyncClient, prom_url: str, n: int) -> float:
    form = {"query": 'pledge:sli_error_ratio:period{sla="checkout",sla_namespace="shop"}'}
    return percentile(await timed(lambda: http.post(f"{prom_url}/api/v1/query", data=form), n), 50)


async def listing(prom_url: str, slas: list[ServiceLevelAgreement], n: int = 30) -> None:
    thousand = many(slas, SERVED)
    async with running_api(thousand, prom_url, TOKENS) as url, httpx.AsyncClient(base_url=url, headers=AUTH) as http:
        await until_snapshot(http)
        for how, params in (("from the snapshot", {"limit": "1000"}),
                            ("computed at request time (at=)", {"limit": "1000", "at": str(int(time.time()))})):
            await http.get("/v1/slas", params=params)
            before = await queries_served(http)
            samples = await timed(lambda: http.get("/v1/slas", params=params), n)
            per_request = (await queries_served(http) - before) / n
            raw = await raw_p50(http, prom_url, n)
            p50 = percentile(samples, 50)
            print(f"GET /v1/slas?limit=1000, {SERVED:,} SLAs, {how}: {per_request:.1f} Prometheus queries per request; "
                  f"p50 {p50 * 1000:.1f} ms (goal <= 100 ms), raw PromQL query {raw * 1000:.2f} ms, ratio {p50 / raw:.1f}x")


async def bulk(prom_url: str, slas: list[ServiceLevelAgreement], rounds: int = 3) -> None:
    """A full report of 1,000 SLAs (``--recorded`` of them recorded, the rest read from the raw
    counters), all computed at request time: one bulk request vs one request per SLA (once: the
    reference), then the bulk request from the snapshot."""
    thousand = many(slas, SERVED)
    async with running_api(thousand, prom_url, TOKENS) as url, \
            httpx.AsyncClient(base_url=url, headers=AUTH, timeout=120) as http:
        at = {"at": str(int(time.time()))}
        everything = at | {"limit": "1000"}

        async def per_sla() -> httpx.Response:
            for sla in thousand:
                response = await http.get(f"/v1/slas/{sla.metadata.namespace}/{sla.metadata.name}", params=at)
                assert response.status_code == 200, response.text
            return response

        await until_snapshot(http)
        await http.get("/v1/details", params=everything)
        before = await queries_served(http)
        bulk_times = await timed(lambda: http.get("/v1/details", params=everything), rounds)
        queries = (await queries_served(http) - before) / rounds
        single = statistics.median(await timed(per_sla, 1))
        snapshot = statistics.median(await timed(lambda: http.get("/v1/details", params={"limit": "1000"}), rounds))
    b = statistics.median(bulk_times)
    print(f"full report of {SERVED:,} SLAs, computed at request time: GET /v1/details {b * 1000:.0f} ms ({queries:.0f} "
          f"Prometheus queries) vs {SERVED:,} x GET /v1/slas/{{ns}}/{{name}} {single * 1000:.0f} ms: {single / b:.1f}x "
          f"faster (goal >= 50x); GET /v1/details from the snapshot {snapshot * 1000:.0f} ms: {single / snapshot:.0f}x")


Call = tuple[str, str, dict[str, str]]  # route, token, params


def mixed_calls(slas: list[ServiceLevelAgreement]) -> list[Call]:
    """What 200 clients ask, in turn: listing pages, details of recorded SLAs, reports, as read:all or acme."""
    details = [f"/v1/slas/{s.metadata.namespace}/{s.metadata.name}" for s in slas]
    calls: list[Call] = [("/v1/slas", TOKEN, {"limit": "100"}), ("/v1/slas", CUSTOMER_TOKEN, {}),
                         ("/v1/slas/shop/checkout", CUSTOMER_TOKEN, {}), ("/v1/slas/shop/acme-checkout", CUSTOMER_TOKEN, {}), ("/v1/slas/shop/nowhere", CUSTOMER_TOKEN, {})]
    calls += [(route, TOKEN, {}) for route in details]
    return calls


class Connection:
    """One keep-alive HTTP/1.1 connection, GET only, as lean as a load client can be: with httpx the
    200 clients' own CPU (on the same 2 cores) made the client, not the API, the bottleneck."""

    def __init__(self, url: str) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, route: str, token: str) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(f"GET {route} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            length = next(int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:"))
            return int(head[0].split()[1]), await reader.readexactly(length)
        except BaseException:
            writer.close()
            self.streams = None
            raise


async def load(url: str, clients: int, seconds: float, calls: list[Call]) -> None:
    done, errors, latencies = 0, Counter[str](), []
    deadline = time.monotonic() + seconds

    async def client(first: int) -> None:
        nonlocal done
        connection, turn = Connection(url), first
        while time.monotonic() < deadline:
            route, token, params = calls[turn % len(calls)]
            turn += 1
            started = time.perf_counter()
            try:
                status, body = await connection.get(f"{route}?{urlencode(params)}" if params else route, token)
                if status not in (200, 404) or (status == 404) != route.endswith("nowhere"):
                    errors[f"{status} {route} {body[:120]!r}"] += 1
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, StopIteration) as exc:
                errors[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - started)
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.monotonic() - started
    print(f"{clients} concurrent clients for {elapsed:.0f} s, mixed routes and scopes: {done:,} requests, "
          f"{done / elapsed:.0f} req/s, p50 {percentile(latencies, 50) * 1000:.0f} ms, "
          f"p99 {percentile(latencies, 99) * 1000:.0f} ms (goal <= 1 s), {errors.total()} errors (goal 0)")
    for reason, count in errors.most_common():
        print(f"  {count} x {reason}")


def serve_in_child(prom_url: str) -> None:
    """The child process: the API over 1,000 SLAs on a free port, as `pledge serve --cache-seconds 30`
    runs it; prints its URL, then, when stdin closes, the heavy modules it imported."""
    async def main() -> None:
        async with running_api(many(example_slas(), SERVED), prom_url, TOKENS, prometheus_concurrency=32,
                               prometheus_cache_seconds=SLI_INTERVAL) as url:
            print(url, flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
            print(" ".join(m for m in HEAVY if m in sys.modules) or "none", flush=True)
    asyncio.run(main())


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024  # type: ignore[union-attr]


def concurrency(prom_url: str, clients: int, seconds: float, recorded: list[ServiceLevelAgreement]) -> None:
    child = subprocess.Popen([sys.executable, __file__, "--serve", prom_url],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        time.sleep(10)  # the first prediction round and model training, as a freshly started server does
        idle = rss_mb(child.pid)
        asyncio.run(load(url, clients, seconds, mixed_calls(recorded)))
        after, peak = rss_mb(child.pid), rss_mb(child.pid, "VmHWM")
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        heavy = child.stdout.readline().strip()
        child.wait(30)
    print(f"API process serving {SERVED:,} SLAs: RSS {idle:.0f} MB idle, {after:.0f} MB after the load, peak {peak:.0f} MB "
          f"(goal <= 150 MB); heavy modules imported: {heavy}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--recorded", type=int, default=60, help="SLAs whose rules are recorded (the examples, then copies)")
    parser.add_argument("--serve")
    parser.add_argument("--load-only", action="store_true", help="only the concurrent-clients part")
    args = parser.parse_args()
    if args.serve:
        return serve_in_child(args.serve)
    slas = example_slas()
    recorded = many(slas, max(args.recorded, len(slas)))
    with LocalPrometheus() as prom:
        asyncio.run(prepare(prom, recorded))
        if not args.load_only:
            asyncio.run(latency(prom.url, slas))
            asyncio.run(listing(prom.url, recorded))
            asyncio.run(bulk(prom.url, recorded))
        concurrency(prom.url, args.clients, args.seconds, recorded)


if __name__ == "__main__":
    main()

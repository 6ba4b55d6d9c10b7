"""Review pack for 1,000 SLAs over a quarter (issue 28; goal: built in <= 10 s with <= 10 Prometheus
queries), against the per-SLA report route measured in the same run (machines are noisy).

The world is bench/api_bench.py's (bench/_api_world.py): the examples and renamed copies, 1,000 SLAs,
all given one owner (the pack's scope); ``--recorded`` of them (the examples, then copies) have their
rules recorded over ``--days`` of the demo's synthetic history in a real local Prometheus, the rest
have no recorded series (their raw counters are the examples', so they still cost the route its work).
Everything is computed at request time at one fixed moment (``at=``), with no answer cache and no
background snapshot. Taking turns, ``--rounds`` times (medians):

(a) GET /v1/review?owner=...&period=<the quarter of now>&format=json: wall time and the Prometheus
    queries the API made for it (from its /metrics);
(b) GET /v1/slas/{ns}/{name}/report?period=<the same quarter> for each SLA in turn, or for every n-th
    of them (``--sample``, scaled to 1,000: printed as such): wall time and queries.

Then checks the pack's figures against the reports', and with ``--profile`` profiles one pack
(cProfile, the client's and server's work in this one process) and counts its queries by caller.

Usage: python bench/review_bench.py [--days 31] [--recorded 60] [--rounds 5] [--sample 100] [--profile]
       [--served 1000] [--period 2026-Q4] [--prometheus-timeout 120]
"""

from __future__ import annotations

import os

THREADS = os.environ.get("BENCH_THREADS", "1")  # before numpy is imported (the API's forecaster imports it)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import httpx  # noqa: E402

from _api_world import AUTH, SERVED, TOKENS, many, prepare, queries_served  # noqa: E402  bench/, next to this file
from pledge.api.server import running_api  # noqa: E402
from pledge.demo.run import example_slas  # noqa: E402
from pledge.prom import PrometheusClient  # noqa: E402
from pledge.sla import ServiceLevelAgreement  # noqa: E402
from pledge.testing import LocalPrometheus  # noqa: E402

OWNER = "team-bench"
GOAL_SECONDS, GOAL_QUERIES = 10.0, 10


def owned(slas: list[ServiceLevelAgreement]) -> list[ServiceLevelAgreement]:
    """The SLAs with one owner: a scope covering them all."""
    return [s.model_copy(update={"spec": s.spec.model_copy(update={"owner": OWNER})}) for s in slas]


def quarter(at: float) -> str:
    moment = datetime.fromtimestamp(at, UTC)
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


async def all_requests(http: httpx.AsyncClient) -> float:
    """Every Prometheus call the API made (range queries too: the background forecaster's)."""
    text = (await http.get("/metrics")).text
    return sum(float(v) for v in re.findall(
        r'^pledge_api_prometheus_request_duration_seconds_count\{[^}]*\} (\S+)$', text, re.MULTILINE))


async def until_quiet(http: httpx.AsyncClient, quiet: float = 3.0, limit: float = 120.0) -> float:
    """Waits until the API asks Prometheus nothing for ``quiet`` seconds (its first forecast round
    done); returns the seconds waited."""
    started = time.monotonic()
    last = await all_requests(http)
    while time.monotonic() - started < limit:
        await asyncio.sleep(quiet)
        now = await all_requests(http)
        if now == last:
            break
        last = now
    return time.monotonic() - started


async def measured(http: httpx.AsyncClient, call) -> tuple[float, float, httpx.Response]:  # type: ignore[no-untyped-def]
    """Wall time and Prometheus calls (instant and range) of ``call``: the background forecaster is quiet
    by then (its first round waited out, the next an hour away), so every call counted is the request's."""
    before, before_all = await queries_served(http), await all_requests(http)
    started = time.perf_counter()
    response = await call()
    took = time.perf_counter() - started
    after, after_all = await queries_served(http), await all_requests(http)
    ranged = after_all - before_all - (after - before)
    if ranged:
        print(f"  ({ranged:.0f} of its {after_all - before_all:.0f} calls are range queries)")
    return took, after_all - before_all, response


def compare(pack: dict, reports: list[dict]) -> tuple[int, int]:  # type: ignore[type-arg]
    """Rows of the reports found in the pack with the same events and SLI: (matching, compared)."""
    rows = {(r["namespace"], r["name"], r["objective"], tuple(sorted(r["group"].items()))): r for r in pack["rows"]}
    same = total = 0
    for report in reports:
        for line in report["rows"]:
            total += 1
            found = rows.get((report["namespace"], report["name"], line["objective"], tuple(sorted(line["group"].items()))))
            same += found is not None and all(found[k] == line[k] for k in ("events_total", "events_bad", "sli", "state"))
    return same, total


async def bench(prom_url: str, thousand: list[ServiceLevelAgreement], args: argparse.Namespace) -> None:
    at = int(time.time())
    period = args.period or quarter(at)
    every = max(1, len(thousand) // args.sample) if args.sample else 1
    sample = thousand[::every]
    scale = len(thousand) / len(sample)
    review_params = {"owner": OWNER, "period": period, "format": "json", "at": str(at)}
    report_params = {"period": period, "at": str(at)}
    async with running_api(thousand, prom_url, TOKENS, snapshot_seconds=0, predictions_interval=3600,
                           prometheus_timeout=args.prometheus_timeout) as url, \
            httpx.AsyncClient(base_url=url, headers=AUTH, timeout=600) as http:
        waited = await until_quiet(http)
        print(f"API serving {len(thousand):,} SLAs (owner={OWNER}); first forecast round over after {waited:.0f} s; "
              f"pack and reports of {period} at {datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M:%S} UTC (at=), "
              f"no answer cache, no snapshot, --prometheus-timeout {args.prometheus_timeout:g} s")

        async def review() -> httpx.Response:
            response = await http.get("/v1/review", params=review_params)
            assert response.status_code == 200, response.text[:500]
            return response

        async def reports() -> httpx.Response:
            for sla in sample:
                response = await http.get(f"/v1/slas/{sla.metadata.namespace}/{sla.metadata.name}/report",
                                          params=report_params)
                assert response.status_code == 200, response.text[:500]
            return response

        await review()  # warm-up (imports, first-use paths)
        await http.get(f"/v1/slas/{thousand[0].metadata.namespace}/{thousand[0].metadata.name}/report", params=report_params)
        packs: list[tuple[float, float]] = []
        singles: list[tuple[float, float]] = []
        for n in range(args.rounds):
            took, queries, response = await measured(http, review)
            packs.append((took, queries))
            took_r, queries_r, _ = await measured(http, reports)
            singles.append((took_r * scale, queries_r * scale))
            print(f"  round {n + 1}: pack {took:6.2f} s, {queries:5.0f} queries ({len(response.content):,} bytes); "
                  f"{len(sample)} reports {took_r:6.2f} s, {queries_r:5.0f} queries")
        pack = response.json()
        found = [(await http.get(f"/v1/slas/{s.metadata.namespace}/{s.metadata.name}/report", params=report_params)).json()
                 for s in sample]
        if args.profile:
            await profile(http, review_params)

    p_time, p_queries = statistics.median(t for t, _ in packs), statistics.median(q for _, q in packs)
    r_time, r_queries = statistics.median(t for t, _ in singles), statistics.median(q for _, q in singles)
    how = "each SLA in turn" if every == 1 else f"every {every}th SLA ({len(sample)}), scaled x{scale:g} to {len(thousand):,}"
    print(f"review pack of {len(thousand):,} SLAs over {period} (medians of {args.rounds}, interleaved): "
          f"GET /v1/review {p_time:.2f} s, {p_queries:.0f} Prometheus queries; "
          f"{len(pack['rows']):,} rows, {len({(r['namespace'], r['name']) for r in pack['rows']}):,} SLAs")
    print(f"reference: GET /v1/slas/{{ns}}/{{name}}/report?period={period} for {how}: "
          f"{r_time:.2f} s, {r_queries:.0f} Prometheus queries")
    print(f"ratio review / reports: time {p_time / r_time:.3f} ({r_time / p_time:.1f}x faster), "
          f"queries {p_queries / r_queries:.4f}")
    print(f"goal <= {GOAL_SECONDS:g} s: {'met' if p_time <= GOAL_SECONDS else 'NOT met'} ({p_time:.2f} s); "
          f"goal <= {GOAL_QUERIES} Prometheus queries: {'met' if p_queries <= GOAL_QUERIES else 'NOT met'} ({p_queries:.0f})")
    same, total = compare(pack, found)
    print(f"pack rows vs the sampled per-SLA reports (events, SLI, state): {same} of {total} rows identical")
    sources = Counter(f"{r['namespace']}/{r['name'].rsplit('-', 1)[0] if r['name'][-1].isdigit() else r['name']} "
                      f"{r['source']}" for r in found)
    print("sampled reports' sources (SLA and its copies): " + ", ".join(f"{n} x {k}" for k, n in sorted(sources.items())))


async def profile(http: httpx.AsyncClient, params: dict[str, str]) -> None:
    """One pack under cProfile (client and server share this process), and its queries by caller."""
    callers: Counter[str] = Counter()
    original = PrometheusClient.query

    async def counted(self, *a, **k):  # type: ignore[no-untyped-def]
        frame = sys._getframe(1)
        callers[f"{frame.f_code.co_name} ({frame.f_code.co_filename.rsplit('/pledge/', 1)[-1]})"] += 1
        return await original(self, *a, **k)

    PrometheusClient.query = counted  # type: ignore[method-assign]
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        started = time.perf_counter()
        response = await http.get("/v1/review", params=params)
        took = time.perf_counter() - started
        profiler.disable()
    finally:
        PrometheusClient.query = original  # type: ignore[method-assign]
    assert response.status_code == 200
    print(f"profile of one pack ({took:.2f} s under cProfile); instant queries by caller: "
          + ", ".join(f"{n} x {c}" for c, n in callers.most_common()))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"pledge", 25)
    stats.sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=31, help="days of synthetic history")
    parser.add_argument("--recorded", type=int, default=60, help="SLAs whose rules are recorded (the examples, then copies)")
    parser.add_argument("--served", type=int, default=SERVED, help="SLAs the API serves, all in the pack's scope")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample", type=int, default=100, help="per-SLA reports asked per round (0: all, scaled otherwise)")
    parser.add_argument("--prometheus-timeout", type=float, default=120.0,
                        help="the API's seconds per Prometheus call (its default, 10, answered 503 here)")
    parser.add_argument("--period", help="default: the quarter of now, UTC (e.g. 2026-Q4)")
    parser.add_argument("--profile", action="store_true", help="then profile one pack and count its queries by caller")
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=int(THREADS))
    print(f"numpy thread pools: {THREADS} (OMP/OPENBLAS/MKL_NUM_THREADS, BENCH_THREADS)")
    thousand = owned(many(example_slas(), args.served))
    with LocalPrometheus() as prom:
        asyncio.run(prepare(prom, thousand[:max(args.recorded, len(example_slas()))], args.days))
        asyncio.run(bench(prom.url, thousand, args))


if __name__ == "__main__":
    main()

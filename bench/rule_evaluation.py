"""Prometheus rule-evaluation cost per SLA: pledge's rules vs raw `increase(x[30d])` long windows.

Why: long windows on raw counters are exact but slow at scale (DESIGN.md, trap 1); pledge builds its
windows over 1 h and its period from recorded 5 m rates instead. This measures what that buys, as
a ratio against a reference measured in the same Prometheus, on the same data, at the same time.

- SLAs: 99.9 %, rolling 30d, ratio SLI on `http_requests_total{service=...}`, 3 instances x 2 codes
  (six raw series per SLA, three of them 5xx), one sample a minute, bursty traffic.
- History: `--days` (default 4) ending when the bench starts. The rules keep their 30d windows:
  `[30d]` then covers every sample that exists, so both sets read all of it, and the 3d windows
  are full. Four days keep the run under 10 minutes on 2 cores; the period rules' cost grows with
  the history for both sets, so `--days 30` (about 20 minutes) gives the full-period figure.
- pledge: `generate(sla)` for every SLA, one rule file. The base rates it reads over long ranges
  (`names.LONG_HISTORY`, from level 0 of `dependency_levels`) get history from promtool; the
  live server evaluates everything else.
- reference: `_evaluation_data.reference_groups`, Pyrra-style: the same windows, burn rates and
  group intervals (30 s windows and alerts, 5 m period), each window a raw `increase()` ratio.
- Both rule files are loaded only after Prometheus has compacted the backfilled blocks (promtool
  writes one block per rule and range, and a query over a thousand overlapping blocks is slow for
  a reason no long-running server has) and one query has read all history (a first read of fresh
  blocks costs several times a warm one, and would land on whichever group reads them first).
- Cost: `prometheus_rule_group_last_duration_seconds` of every evaluation until every 5 m group has
  run once (30 s groups run about ten times); per group the median, per kind of group the median
  over SLAs; weighted by interval into evaluation seconds per minute. Samples read: every rule of
  one SLA queried with `stats=all`. Per-rule times: `/api/v1/rules`, last evaluation.

Nothing scrapes during the measurement, so the raw counters end a few minutes before "now": both
sets' 5 m windows (and pledge's live base rates) come back empty. They read a few samples per series
either way, so the cost figures barely move; the alert states are meaningless here.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx

from _evaluation_data import INSTANCES, METRIC, NAMESPACE, SCRAPE_STEP, history, reference_groups, service, sla
from pledge.prom import PrometheusClient
from pledge.testing import LocalPrometheus, backfill_openmetrics, backfill_rules
from pledge.rules import RuleGroup, dependency_levels, generate, names, rule_file, to_yaml
from pledge.rules.generate import PERIOD_INTERVAL
from pledge.rules.sums import SLI_INTERVAL
from pledge.sla.duration import format_duration
from pledge.sla.units import DAY
from pledge.testing.synthetic import Timeline

SETS = ("pledge", "reference")
SAMPLE_SLA = 0
POLL_SECONDS = 10.0
MIN_FAST_EVALUATIONS = 5
COMPACTION_TIMEOUT = 300.0
MEASURE_TIMEOUT = 600.0
_GROUP_METRIC = re.compile(
    r'^prometheus_rule_group_last_(duration_seconds|evaluation_timestamp_seconds)\{rule_group="([^"]*)"\} (\S+)$',
    re.M,
)
_BLOCKS_LOADED = re.compile(r"^prometheus_tsdb_blocks_loaded (\S+)$", re.M)
_WINDOWS = re.compile(r":(?:rate|increase)(\w+)\{")


def kind(group: str) -> str:
    """The part of a group name every SLA shares: "sli", "windows", "alerts", "period"."""
    return group.rsplit("-", 1)[-1]


@dataclass
class RuleSet:
    """One rule file and what was measured for it."""

    name: str
    path: Path
    groups: list[RuleGroup]
    durations: dict[str, list[float]] = field(default_factory=dict)  # group -> seconds per evaluation
    rule_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # rule -> per SLA
    samples: dict[str, int] = field(default_factory=dict)  # rule -> samples read, one SLA
    unhealthy: list[str] = field(default_factory=list)

    @cached_property
    def intervals(self) -> dict[str, int]:
        return {g.name: g.interval for g in self.groups}

    def typical(self) -> dict[str, tuple[int, float]]:
        """Group kind -> (interval, seconds per evaluation of the median SLA).

        Each group's median over its evaluations, then the median over SLAs: the SLAs are alike by
        construction, and a 5 m group runs only once or twice, so a sum over groups would mostly
        measure the odd evaluation that waited for a CPU on a shared machine.
        """
        medians: dict[str, list[float]] = defaultdict(list)
        for group in self.groups:
            if group.name in self.durations:
                medians[kind(group.name)].append(statistics.median(self.durations[group.name]))
        intervals = {kind(g): i for g, i in self.intervals.items()}
        return {k: (intervals[k], statistics.median(v)) for k, v in medians.items()}

    def per_round(self, interval: int) -> float:
        """Seconds for one SLA to evaluate every group that runs at ``interval``."""
        return sum(seconds for i, seconds in self.typical().values() if i == interval)

    def per_minute(self) -> float:
        """Evaluation seconds one SLA costs Prometheus per minute of wall time."""
        return sum(seconds * 60 / interval for interval, seconds in self.typical().values())

    def summed_per_minute(self) -> float:
        """Sum over all groups of their median, per minute: outliers included."""
        return sum(statistics.median(d) * 60 / self.intervals[g] for g, d in self.durations.items())

    def samples_per_minute(self, rule_intervals: dict[str, int]) -> float:
        """Samples one SLA's rules read per minute."""
        return sum(n * 60 / rule_intervals[rule] for rule, n in self.samples.items())


def say(message: str) -> None:
    print(message, flush=True)


def write_rule_files(directory: Path, count: int) -> tuple[RuleSet, RuleSet, Path]:
    """Both rule files, and the level-0 file of pledge base rates that need history."""
    agreements = [sla(i) for i in range(count)]
    pledge = [g for a in agreements for g in generate(a)]
    reference = [g for a in agreements for g in reference_groups(a)]
    base = [
        RuleGroup(g.name, g.interval, rules)
        for g in dependency_levels(pledge)[0]
        if (rules := tuple(r for r in g.rules if r.record in names.LONG_HISTORY))
    ]
    paths = [directory / f"{name}.yml" for name in (*SETS, "pledge-base-rates")]
    for path, groups in zip(paths, (pledge, reference, base)):
        path.write_text(to_yaml(rule_file(groups)))
    return RuleSet("pledge", paths[0], pledge), RuleSet("reference", paths[1], reference), paths[2]


def _percent_printer(label: str) -> Callable[[int, int], None]:
    """A progress callback that prints every 10 %."""
    shown = [-1]

    def progress(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth > shown[0]:
            shown[0] = tenth
            say(f"  {label}: {tenth * 10} % of {total:,} samples")

    return progress


async def metrics(http: httpx.AsyncClient) -> str:
    """Prometheus' own /metrics: with no scrape configured it is not in the TSDB."""
    response = await http.get("/metrics")
    response.raise_for_status()
    return response.text


async def blocks_loaded(http: httpx.AsyncClient) -> int:
    found = _BLOCKS_LOADED.search(await metrics(http))
    return int(float(found.group(1))) if found else 0


async def backfill(prom: LocalPrometheus, http: httpx.AsyncClient, count: int, days: float, base_rates: Path) -> None:
    """Raw counters, then pledge's base rates over them; returns once the blocks are compacted."""
    end = time.time() // SCRAPE_STEP * SCRAPE_STEP
    timeline = Timeline(end - days * DAY, end, SCRAPE_STEP)
    clock = time.monotonic()
    series = list(history(count, timeline))
    total = sum(len(s.samples) for s in series)
    say(f"generated {len(series):,} raw series, {total:,} samples in {time.monotonic() - clock:.0f} s")
    clock = time.monotonic()
    await backfill_openmetrics(prom, series, progress=_percent_printer("writing OpenMetrics"))
    del series
    raw_blocks = await blocks_loaded(http)
    say(f"raw history loaded in {time.monotonic() - clock:.0f} s ({raw_blocks} blocks)")
    clock = time.monotonic()
    say("backfilling pledge's base rates over the whole history with promtool (30 s steps) ...")
    await backfill_rules(prom, [base_rates], timeline.start, timeline.end)
    say(f"  done in {time.monotonic() - clock:.0f} s ({await blocks_loaded(http)} blocks)")
    clock = time.monotonic()
    while (blocks := await blocks_loaded(http)) > raw_blocks:
        if time.monotonic() - clock > COMPACTION_TIMEOUT:
            raise RuntimeError(f"Prometheus still has {blocks} blocks after {COMPACTION_TIMEOUT:.0f} s")
        await asyncio.sleep(2)
    say(f"backfilled blocks compacted in {time.monotonic() - clock:.0f} s")


async def touch_history(http: httpx.AsyncClient, days: float) -> None:
    """Read every series over the whole history once, as a long-running server has long done.

    promtool's backfill already read the raw counters; without this, the first touch of the freshly
    compacted base-rate chunks (page faults, several times the warm cost) would be charged to
    pledge's 5 m groups, which are measured on a single evaluation.
    """
    clock = time.monotonic()
    for name in sorted({METRIC, *names.LONG_HISTORY}):
        query = f"count(count_over_time({name}[{math.ceil(days) + 1}d]))"
        response = await http.post("/api/v1/query", data={"query": query}, timeout=300.0)
        response.raise_for_status()
    say(f"read all history once in {time.monotonic() - clock:.0f} s")


async def measure(http: httpx.AsyncClient, sets: Sequence[RuleSet], since: float) -> None:
    """Poll per-group durations until every group ran and every 30 s group ran a few times."""
    by_file = {str(s.path): s for s in sets}
    seen: dict[str, dict[float, float]] = defaultdict(dict)
    needed = {
        name: 1 if interval >= PERIOD_INTERVAL else MIN_FAST_EVALUATIONS
        for s in sets for name, interval in s.intervals.items()
    }
    clock = time.monotonic()
    while True:
        await asyncio.sleep(POLL_SECONDS)
        values: dict[str, dict[str, float]] = defaultdict(dict)
        for metric, group, value in _GROUP_METRIC.findall(await metrics(http)):
            values[group][metric] = float(value)
        for group, pair in values.items():
            if pair.get("evaluation_timestamp_seconds", 0.0) > since and group.partition(";")[0] in by_file:
                seen[group][pair["evaluation_timestamp_seconds"]] = pair["duration_seconds"]
        done = sum(len(seen[f"{s.path};{g}"]) >= needed[g] for s in sets for g in s.intervals)
        say(f"  {time.monotonic() - clock:4.0f} s: {done} of {len(needed)} groups measured")
        if done == len(needed):
            break
        if time.monotonic() - clock > MEASURE_TIMEOUT:
            raise RuntimeError(f"only {done} of {len(needed)} groups evaluated within {MEASURE_TIMEOUT:.0f} s")
    for group, evaluations in seen.items():
        path, _, name = group.partition(";")
        by_file[path].durations[name] = list(evaluations.values())


def rule_keys(rules: list[dict[str, Any]]) -> list[str]:
    """Rule names; where several share one (burn alerts), plus the windows their query reads."""
    names_used = Counter(rule["name"] for rule in rules)
    return [
        f"{rule['name']}[{'/'.join(_WINDOWS.findall(rule['query'])) or index}]"
        if names_used[rule["name"]] > 1 else str(rule["name"])
        for index, rule in enumerate(rules)
    ]


async def inspect_rules(prom_url: str, http: httpx.AsyncClient, sets: Sequence[RuleSet]) -> dict[str, int]:
    """Per-rule last evaluation times and health; samples read by one SLA's rules (rule -> interval)."""
    by_file = {str(s.path): s for s in sets}
    async with PrometheusClient(prom_url, timeout=60.0) as client:
        groups = await client.rule_groups()
    sample_groups = f"-{NAMESPACE}-{service(SAMPLE_SLA)}-"
    rule_intervals: dict[str, int] = {}
    for group in groups:
        rules = by_file[group["file"]]
        for key, rule in zip(rule_keys(group["rules"]), group["rules"]):
            rules.rule_seconds[key].append(float(rule["evaluationTime"]))
            if rule["health"] != "ok":
                rules.unhealthy.append(f"{group['name']}/{key}: {rule.get('lastError', rule['health'])}")
            if sample_groups in group["name"]:
                form = {"query": rule["query"], "stats": "all"}
                response = (await http.post("/api/v1/query", data=form)).json()
                rules.samples[key] = response["data"]["stats"]["samples"]["totalQueryableSamples"]
                rule_intervals[key] = int(group["interval"])
    return rule_intervals


def report(sets: Sequence[RuleSet], rule_intervals: dict[str, int], count: int) -> None:
    pledge, reference = sets
    say("\none SLA, median over SLAs of each group's median evaluation time:")
    for rules in sets:
        typical = rules.typical().items()
        parts = ", ".join(f"{k} {format_duration(i)} {seconds * 1000:.2f} ms" for k, (i, seconds) in typical)
        say(f"  {rules.name:<10} {parts}")
    rows: list[tuple[str, Callable[[RuleSet], str]]] = [
        ("rules per SLA", lambda s: f"{sum(len(g.rules) for g in s.groups) / count:g}"),
        ("per SLA: evaluation ms per minute", lambda s: f"{s.per_minute() * 1000:.2f}"),
        ("per SLA: samples read per minute", lambda s: f"{s.samples_per_minute(rule_intervals):,.0f}"),
        (f"{count} SLAs: s per 30 s round", lambda s: f"{s.per_round(SLI_INTERVAL) * count:.3f}"),
        (f"{count} SLAs: s per 5 m round", lambda s: f"{s.per_round(PERIOD_INTERVAL) * count:.3f}"),
        (f"{count} SLAs: evaluation s per minute", lambda s: f"{s.per_minute() * count:.3f}"),
        ("  same, summed over groups (outliers in)", lambda s: f"{s.summed_per_minute():.3f}"),
    ]
    say(f"\n{'':<42}{'pledge':>12}{'reference':>12}")
    for label, cell in rows:
        say(f"{label:<42}{cell(pledge):>12}{cell(reference):>12}")
    say("")
    ratios: list[tuple[str, float, float]] = [
        ("evaluation time per minute", pledge.per_minute(), reference.per_minute()),
        ("30 s groups", pledge.per_round(SLI_INTERVAL), reference.per_round(SLI_INTERVAL)),
        ("5 m groups", pledge.per_round(PERIOD_INTERVAL), reference.per_round(PERIOD_INTERVAL)),
        ("samples read per minute", pledge.samples_per_minute(rule_intervals),
         reference.samples_per_minute(rule_intervals)),
    ]
    for label, ours, theirs in ratios:
        say(f"ratio reference / pledge, {label}: {theirs / ours:.2f}x")
    for rules in sets:
        say(f"\n{rules.name} rules by cost (median over SLAs of the last evaluation; samples: {service(SAMPLE_SLA)})")
        for key, seconds in sorted(rules.rule_seconds.items(), key=lambda kv: -statistics.median(kv[1])):
            every, ms = format_duration(rule_intervals[key]), statistics.median(seconds) * 1000
            say(f"  {key:<46} every {every:<4}{ms:>8.3f} ms{rules.samples.get(key, 0):>10,} samples")
        for problem in rules.unhealthy[:5]:
            say(f"  UNHEALTHY {problem}")
        if len(rules.unhealthy) > 5:
            say(f"  ... {len(rules.unhealthy) - 5} more unhealthy rules")


async def run(count: int, days: float) -> None:
    started = time.monotonic()
    say(f"rule evaluation: {count} SLAs x {len(INSTANCES) * 2} raw series, {days:g} days of history at "
        f"{SCRAPE_STEP} s, rules with 30d windows, one Prometheus")
    with tempfile.TemporaryDirectory(prefix="pledge-bench-") as tmp, LocalPrometheus() as prom:
        pledge, reference, base_rates = write_rule_files(Path(tmp), count)
        sets = (pledge, reference)
        async with httpx.AsyncClient(base_url=prom.url, timeout=60.0) as http:
            await backfill(prom, http, count, days, base_rates)
            await touch_history(http, days)
            since = time.time()
            prom.reload([pledge.path, reference.path])
            say("measuring: until every 5 m group has evaluated once (about 5 minutes) ...")
            await measure(http, sets, since)
            rule_intervals = await inspect_rules(prom.url, http, sets)
    report(sets, rule_intervals, count)
    say(f"\ntotal runtime {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--slas", type=int, default=200, help="number of SLAs (default 200)")
    parser.add_argument("--days", type=float, default=4, help="days of synthetic history (default 4)")
    args = parser.parse_args()
    asyncio.run(run(args.slas, args.days))


if __name__ == "__main__":
    main()

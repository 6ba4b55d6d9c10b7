"""Prometheus rule-evaluation cost per SLO: pledge's tiles vs its old layout vs raw `increase()`.

Why: issue "Rules at a fifth of today's cost". pledge reads windows over 1 h and its period from
5 m tiles (exact counter growth, pledge.rules.tiles) and hour tiles, evaluated every 5 m. One run
measures it against two references in the same Prometheus, on the same data, at the same time.

- SLAs: 99.9 %, rolling 30d, ratio SLI on `http_requests_total{service=...}`, 3 instances x 2 codes
  (six raw series per SLA, three of them 5xx), one sample a minute, bursty traffic; one SLO each.
- Sets: pledge, `generate(sla)`; old, `_evaluation_data.old_groups` (REFERENCE: the layout before
  the tiles, commit 58b9ad4: 30 s base rates `rate5m`, long windows and the period as their
  `sum_over_time`); raw, `_evaluation_data.reference_groups` (Pyrra-style `increase()` ratios).
- History: `--days` (default 4) ending when the bench starts; the rules keep their 30d windows, so
  `[30d]` covers every sample that exists and the 3d windows are full. Four days keep 20 SLAs under
  10 minutes on 2 cores; the period rules read more with more history, so `--days 30` gives the
  full-period figure. promtool backfills, each group at its own interval, what the rules read over
  long ranges: pledge's 5 m and hour tiles (`names.LONG_HISTORY`, pass by pass of
  `write_passes`), the old layout's base rates. Every pass of a set is written to the path the
  live server then loads, so the live groups keep the backfilled groups' evaluation moments.
- The rule files are loaded only after Prometheus has compacted the backfilled blocks and one query
  has read all history (a first read of fresh blocks costs several times a warm one).
- Figures per SLO: samples read per 30 s (every rule of one SLA queried with `stats=all`, weighted
  by 30 s / its group's interval); evaluation ms per wall-clock second
  (`prometheus_rule_group_last_duration_seconds` until every 5 m group has run once: per group the
  median, per kind of group the median over SLAs, divided by the interval); rules; recorded series
  (the series API, one SLA, last 2 h). Ratios: each reference / pledge.

Nothing scrapes during the measurement, so the raw counters end a few minutes before "now": the 5 m
windows and live tiles come back empty. They read a few samples per series either way, so the cost
figures barely move; the alert states are meaningless here.
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

from _evaluation_data import (INSTANCES, METRIC, NAMESPACE, OLD_LONG_HISTORY, SCRAPE_STEP, history, old_groups,
                              reference_groups, service, sla)
from pledge.prom import PrometheusClient
from pledge.testing import LocalPrometheus, backfill_openmetrics, backfill_rules
from pledge.tsdb.passes import Pass, write_passes
from pledge.rules import RuleGroup, generate, names, rule_file, to_yaml
from pledge.rules.tiles import SLI_INTERVAL, TILE
from pledge.sla import ServiceLevelAgreement
from pledge.sla.duration import format_duration
from pledge.sla.units import DAY, HOUR
from pledge.testing.synthetic import Timeline

SAMPLE_SLA = 0
SAMPLES_GOAL = 8_000  # per SLO per 30 s
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
    """The part of a group name every SLA shares: "sli", "tiles", "alerts", "period", "windows"."""
    return group.rsplit("-", 1)[-1]


@dataclass
class RuleSet:
    """One rule file, the history it needs, and what was measured for it."""

    name: str
    path: Path
    groups: list[RuleGroup]
    record_prefix: str  # of every series the set records
    history: list[Pass]  # backfilled over the whole history, in order
    durations: dict[str, list[float]] = field(default_factory=dict)  # group -> seconds per evaluation
    rule_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # rule -> per SLA
    samples: dict[str, int] = field(default_factory=dict)  # rule -> samples read, one SLA
    rule_intervals: dict[str, int] = field(default_factory=dict)  # rule -> its group's interval
    recorded: int = 0  # series one SLA's rules record
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

    def ms_per_second(self) -> float:
        """Evaluation ms one SLO costs Prometheus per second of wall time."""
        return sum(seconds * 1000 / interval for interval, seconds in self.typical().values())

    def samples_per_round(self) -> float:
        """Samples one SLO's rules read per 30 s."""
        return sum(n * SLI_INTERVAL / self.rule_intervals[rule] for rule, n in self.samples.items())

    def rules_per_slo(self, count: int) -> float:
        return sum(len(g.rules) for g in self.groups) / count


def say(message: str) -> None:
    print(message, flush=True)


def rule_sets(directory: Path, count: int) -> list[RuleSet]:
    """pledge's rules, the old layout and the raw reference, each with its backfill passes."""
    agreements = [sla(i) for i in range(count)]

    def every(build: Callable[[ServiceLevelAgreement], list[RuleGroup]]) -> list[RuleGroup]:
        return [g for a in agreements for g in build(a)]

    pledge, old = every(generate), every(old_groups)
    old_base = [
        RuleGroup(g.name, g.interval, rules)
        for g in old if (rules := tuple(r for r in g.rules if r.record in OLD_LONG_HISTORY))
    ]
    return [
        RuleSet("pledge", directory / "pledge.yml", pledge, "pledge:",
                [p for p in write_passes(pledge, alerts=False) if p.span == "history"]),
        RuleSet("old", directory / "old.yml", old, "old:", [Pass("old-base-rates", old_base, "history")]),
        RuleSet("raw", directory / "raw.yml", every(reference_groups), "reference:", []),
    ]


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


async def backfill(prom: LocalPrometheus, http: httpx.AsyncClient, count: int, days: float,
                   sets: Sequence[RuleSet]) -> None:
    """Raw counters, then each set's long-range series over them; returns once the blocks are compacted."""
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
    for rules in sets:
        for one in rules.history:
            clock = time.monotonic()
            every = "/".join(sorted({format_duration(g.interval) for g in one.groups}))
            say(f"backfilling {rules.name} {one.name} over the whole history with promtool (every {every}) ...")
            await backfill_rules(prom, [one.write(rules.path)], timeline.start, timeline.end + 1)
            say(f"  done in {time.monotonic() - clock:.0f} s ({await blocks_loaded(http)} blocks)")
    clock = time.monotonic()
    while (blocks := await blocks_loaded(http)) > raw_blocks:
        if time.monotonic() - clock > COMPACTION_TIMEOUT:
            raise RuntimeError(f"Prometheus still has {blocks} blocks after {COMPACTION_TIMEOUT:.0f} s")
        await asyncio.sleep(2)
    say(f"backfilled blocks compacted in {time.monotonic() - clock:.0f} s")


async def touch_history(http: httpx.AsyncClient, days: float) -> None:
    """Read every backfilled series over the whole history once, as a long-running server has long done.

    Without this, the first touch of freshly compacted chunks (page faults, several times the warm
    cost) would be charged to whichever 5 m group reads them first, measured on a single evaluation.
    """
    clock = time.monotonic()
    for name in sorted({METRIC, *names.LONG_HISTORY, *OLD_LONG_HISTORY}):
        query = f'count(count_over_time({{__name__="{name}"}}[{math.ceil(days) + 1}d]))'
        response = await http.post("/api/v1/query", data={"query": query}, timeout=300.0)
        response.raise_for_status()
    say(f"read all history once in {time.monotonic() - clock:.0f} s")


async def measure(http: httpx.AsyncClient, sets: Sequence[RuleSet], since: float) -> None:
    """Poll per-group durations until every group ran and every 30 s group ran a few times."""
    by_file = {str(s.path): s for s in sets}
    seen: dict[str, dict[float, float]] = defaultdict(dict)
    needed = {
        f"{s.path};{name}": 1 if interval >= TILE else MIN_FAST_EVALUATIONS
        for s in sets for name, interval in s.intervals.items()
    }
    clock = time.monotonic()
    while True:
        await asyncio.sleep(POLL_SECONDS)
        values: dict[str, dict[str, float]] = defaultdict(dict)
        for metric, group, value in _GROUP_METRIC.findall(await metrics(http)):
            values[group][metric] = float(value)
        for group, pair in values.items():
            if pair.get("evaluation_timestamp_seconds", 0.0) > since and group in needed:
                seen[group][pair["evaluation_timestamp_seconds"]] = pair["duration_seconds"]
        done = sum(len(seen[group]) >= n for group, n in needed.items())
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


async def inspect_rules(prom_url: str, http: httpx.AsyncClient, sets: Sequence[RuleSet]) -> None:
    """Per-rule last evaluation times and health; samples read and series recorded by one SLA."""
    by_file = {str(s.path): s for s in sets}
    async with PrometheusClient(prom_url, timeout=60.0) as client:
        groups = await client.rule_groups()
    sample_groups = f"-{NAMESPACE}-{service(SAMPLE_SLA)}-"
    for group in groups:
        rules = by_file[group["file"]]
        for key, rule in zip(rule_keys(group["rules"]), group["rules"]):
            rules.rule_seconds[key].append(float(rule["evaluationTime"]))
            rules.rule_intervals[key] = int(group["interval"])
            if rule["health"] != "ok":
                rules.unhealthy.append(f"{group['name']}/{key}: {rule.get('lastError', rule['health'])}")
            if sample_groups in group["name"]:
                form = {"query": rule["query"], "stats": "all"}
                response = (await http.post("/api/v1/query", data=form)).json()
                rules.samples[key] = response["data"]["stats"]["samples"]["totalQueryableSamples"]
    for rules in sets:
        match = f'{{__name__=~"{re.escape(rules.record_prefix)}.+",sla="{service(SAMPLE_SLA)}"}}'
        form = {"match[]": match, "start": f"{time.time() - 2 * HOUR:.3f}"}
        response = await http.post("/api/v1/series", data=form)
        response.raise_for_status()
        rules.recorded = len(response.json()["data"])


def report(sets: Sequence[RuleSet], count: int) -> None:
    pledge, *references = sets
    say("\none SLO, median over SLAs of each group's median evaluation time:")
    for rules in sets:
        typical = rules.typical().items()
        parts = ", ".join(f"{k} {format_duration(i)} {seconds * 1000:.2f} ms" for k, (i, seconds) in typical)
        say(f"  {rules.name:<7} {parts}")
    rows: list[tuple[str, Callable[[RuleSet], float], str]] = [
        (f"samples read per 30 s (goal <= {SAMPLES_GOAL:,})", RuleSet.samples_per_round, ",.0f"),
        ("evaluation ms per wall-clock second", RuleSet.ms_per_second, ".3f"),
        ("rules", lambda s: s.rules_per_slo(count), "g"),
        ("recorded series", lambda s: s.recorded, "g"),
    ]
    say(f"\n{f'per SLO ({count} SLAs)':<44}" + "".join(f"{s.name:>10}" for s in sets)
        + "".join(f"{f'{s.name}/pledge':>14}" for s in references))
    for label, figure, form in rows:
        ours = figure(pledge)
        cells = "".join(f"{format(figure(s), form):>10}" for s in sets)
        ratios = "".join(f"{figure(s) / ours:>13.2f}x" if ours else f"{'-':>14}" for s in references)
        say(f"  {label:<42}{cells}{ratios}")
    for rules in sets:
        say(f"\n{rules.name} rules by cost (median over SLAs of the last evaluation; samples: {service(SAMPLE_SLA)})")
        for key, seconds in sorted(rules.rule_seconds.items(), key=lambda kv: -statistics.median(kv[1])):
            every, ms = format_duration(rules.rule_intervals[key]), statistics.median(seconds) * 1000
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
        sets = rule_sets(Path(tmp).resolve(), count)
        async with httpx.AsyncClient(base_url=prom.url, timeout=60.0) as http:
            await backfill(prom, http, count, days, sets)
            await touch_history(http, days)
            for rules in sets:
                rules.path.write_text(to_yaml(rule_file(rules.groups)))
            since = time.time()
            prom.reload([s.path for s in sets])
            say("measuring: until every 5 m group has evaluated once (about 5 minutes) ...")
            await measure(http, sets, since)
            await inspect_rules(prom.url, http, sets)
    report(sets, count)
    say(f"\ntotal runtime {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--slas", type=int, default=20, help="number of SLAs (default 20)")
    parser.add_argument("--days", type=float, default=4, help="days of synthetic history (default 4)")
    args = parser.parse_args()
    asyncio.run(run(args.slas, args.days))


if __name__ == "__main__":
    main()

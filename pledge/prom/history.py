"""Synthetic history into a running Prometheus: raw series, then recorded series level by level.

Shared by `pledge demo`, the integration tests and the benchmarks so all three exercise the same
path: openmetrics blocks for the raw counters, then one `promtool tsdb create-blocks-from rules`
pass per dependency level of the generated rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pledge.prom.backfill import Series, backfill_openmetrics, backfill_rules
from pledge.prom.local import LocalPrometheus
from pledge.rules.model import RuleGroup
from pledge.rules.names import LONG_HISTORY
from pledge.rules.render import dependency_levels, rule_file, to_yaml
from pledge.spec.duration import format_duration
from pledge.synthetic import Metric, Timeline

Step = Callable[[str], None]


def to_series(timeline: Timeline, metrics: Sequence[Metric]) -> list[Series]:
    stamps = timeline.timestamps
    return [Series(m.name, m.labels, list(zip(stamps, m.values)), "counter" if m.kind == "counter" else "gauge")
            for m in metrics]


def _split(level: list[RuleGroup], keep: Callable[[str], bool], interval: int | None = None) -> list[RuleGroup]:
    groups = [RuleGroup(g.name, interval or g.interval, tuple(r for r in g.rules if keep(r.name))) for g in level]
    return [g for g in groups if g.rules]


def write_passes(groups: list[RuleGroup], directory: Path) -> list[tuple[Path, bool]]:
    """Rule files in backfill order, one per dependency level and span, each flagged True when it
    needs the whole history (series that later rules read over long ranges) or False when the
    last minutes will do. The short spans are evaluated at the fastest interval, so their newest
    sample is fresh enough for alerts that read it right after the backfill."""
    passes = []
    fastest = min(g.interval for g in groups)
    for depth, level in enumerate(dependency_levels(groups)):
        for whole, part in ((True, _split(level, LONG_HISTORY.__contains__)),
                            (False, _split(level, lambda name: name not in LONG_HISTORY, fastest))):
            if part:
                path = directory / f"level{depth}-{'history' if whole else 'tail'}.yaml"
                path.write_text(to_yaml(rule_file(part)), encoding="utf-8")
                passes.append((path, whole))
    return passes


async def load_history(
    prom: LocalPrometheus,
    timeline: Timeline,
    metrics: Sequence[Metric],
    groups: list[RuleGroup],
    *,
    tail: int = 900,
    step: Step | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Raw history for the whole timeline, the base rates over all of it, and every other
    recorded series over the last ``tail`` seconds only: all a point-in-time reading needs, and
    it saves evaluating 30-day ranges thousands of times."""
    say = step or (lambda _: None)
    say(f"writing {sum(len(m.values) for m in metrics):,} raw samples ({len(metrics)} series)")
    await backfill_openmetrics(prom, to_series(timeline, metrics), progress=progress)
    interval = format_duration(min(g.interval for g in groups))
    end = timeline.end + 1
    for path, whole in write_passes(groups, prom.workdir):
        start = timeline.start if whole else end - tail
        say(f"recording {path.stem} ({format_duration(int(end - start))})")
        await backfill_rules(prom, [path], start, end, interval)

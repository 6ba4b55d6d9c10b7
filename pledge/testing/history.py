"""Synthetic history into a running Prometheus: raw series, then recorded series level by level,
then the ALERTS series the alerting rules would have written.

Shared by `pledge demo`, the integration tests and the benchmarks so all three exercise the same
path: openmetrics blocks for the raw counters, then one `promtool tsdb create-blocks-from rules`
pass per dependency level of the generated rules (pledge.tsdb.passes), the last one replaying the
alerts as recorded ``ALERTS``: a world built as of a past moment answers "what fired then" the way a
live Prometheus does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pledge.rules.model import RuleGroup
from pledge.rules.render import rule_file, to_yaml
from pledge.sla.duration import format_duration
from pledge.testing.backfill import Series, backfill_openmetrics, backfill_rules
from pledge.testing.local import LocalPrometheus
from pledge.testing.synthetic import Metric, Timeline
from pledge.tsdb.passes import write_passes

Step = Callable[[str], None]


def to_series(timeline: Timeline, metrics: Sequence[Metric]) -> list[Series]:
    stamps = timeline.timestamps
    return [Series(m.name, m.labels, list(zip(stamps, m.values)), "counter" if m.kind == "counter" else "gauge")
            for m in metrics]


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
    """Raw history for the whole timeline, the tiles over all of it, every other recorded
    series over the last ``tail`` seconds only, and the alerts they fire over the end of the tail
    (an alert's ``for`` reads that much before): all a point-in-time reading needs, and it saves
    evaluating 30-day ranges thousands of times."""
    say = step or (lambda _: None)
    say(f"writing {sum(len(m.values) for m in metrics):,} raw samples ({len(metrics)} series)")
    await backfill_openmetrics(prom, to_series(timeline, metrics), progress=progress)
    interval = format_duration(min(g.interval for g in groups))
    end = timeline.end + 1
    for one in write_passes(groups):
        start = one.start(timeline.start, end, tail, groups)
        say(f"recording {one.name} ({format_duration(int(end - start))})")
        await backfill_rules(prom, [one.write(rules_path(prom))], start, end, interval)


def rules_path(prom: LocalPrometheus) -> Path:
    """The one rule file path of a world: every backfill pass is evaluated from it, and the live rules
    are loaded from it (``go_live``)."""
    return prom.workdir / "rules.yaml"


def go_live(prom: LocalPrometheus, groups: list[RuleGroup]) -> Path:
    """Load the groups into the server, evaluated live from here on. From the path the passes were
    evaluated at, with the same group names, the server evaluates each group at promtool's moments:
    its first tile continues the backfilled ones, where tiles of another phase would overlap the
    last backfilled tile and count its events twice (a 6 h window then paged on a 3-minute outage)."""
    path = rules_path(prom)
    path.write_text(to_yaml(rule_file(groups)), encoding="utf-8")
    prom.reload([path])
    return path

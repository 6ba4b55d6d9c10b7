"""The rule files a backfill evaluates, in order: per dependency level of the generated rules, the
series later rules read over long ranges, then the rest, then the alerts replayed as recorded
``ALERTS`` series (promtool backfills no alerting rules). Shared by `pledge backfill`, the demo's and
the tests' worlds, so all of them record the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pledge.rules.model import Rule, RuleGroup
from pledge.rules.names import LONG_HISTORY, TILE
from pledge.rules.queries import ALERTS
from pledge.rules.render import dependency_levels, rule_file, to_yaml
from pledge.sla.duration import format_duration, parse_duration

Span = Literal["history", "tail", "alerts"]


def _split(level: list[RuleGroup], keep: Callable[[str], bool]) -> list[RuleGroup]:
    groups = [RuleGroup(g.name, g.interval, tuple(r for r in g.rules if keep(r.name))) for g in level]
    return [g for g in groups if g.rules]


def _held(rule: Rule, interval: int) -> str:
    """The alert's expression, kept only where it held for the rule's ``for`` at every evaluation
    (within one interval: subquery steps are aligned to the interval, live evaluations are not)."""
    if not rule.for_:
        return rule.expr
    seconds = parse_duration(rule.for_)
    held = f"count_over_time(({rule.expr})[{rule.for_}:{format_duration(interval)}])"
    return f"({rule.expr}) and {held} >= {max(1, seconds // interval)}"


def replayed_alerts(groups: list[RuleGroup]) -> list[RuleGroup]:
    """Each group's alerting rules as recording rules of the firing ``ALERTS`` series, with the
    labels Prometheus gives them (alertname, alertstate, the rule's labels), in a group of the
    same name (so evaluated at the same moments)."""
    replayed = []
    for group in groups:
        rules = tuple(Rule(_held(r, group.interval), record=ALERTS,
                           labels={**r.labels, "alertname": r.name, "alertstate": "firing"})
                      for r in group.rules if r.alert is not None)
        if rules:
            replayed.append(RuleGroup(group.name, group.interval, rules))
    return replayed


def _longest_for(groups: list[RuleGroup]) -> int:
    return max((parse_duration(r.for_) for g in groups for r in g.rules if r.for_), default=0)


@dataclass(frozen=True)
class Pass:
    """One rule file to backfill, and how far back it starts from the history's end."""

    name: str
    groups: list[RuleGroup]
    span: Span

    def start(self, history_start: float, end: float, tail: int, groups: list[RuleGroup]) -> float:
        """``history``: the whole timeline; ``tail``: the last ``tail`` seconds (in the tiles'
        phase, for stores that evaluate from the start); ``alerts``: the end of the tail, which an
        alert's ``for`` reads back from, and one evaluation of the slowest group at least."""
        if self.span == "history":
            return history_start
        if self.span == "tail":
            return end - tail - (end - tail - history_start) % TILE
        return end - max(max(g.interval for g in groups), tail - _longest_for(groups))

    def write(self, path: Path) -> Path:
        """The pass as a rule file at ``path``. promtool evaluates a group at the moments its name
        and file path hash to, as Prometheus does: write every pass to one path, so the groups keep
        their names and moments from pass to pass (a tile is the events between two of them)."""
        path.write_text(to_yaml(rule_file(self.groups)), encoding="utf-8")
        return path


def write_passes(groups: list[RuleGroup], alerts: bool = True) -> list[Pass]:
    """Rule files in backfill order: per dependency level, the series later rules read over long
    ranges (whole history) and the rest (the last minutes will do); then, with ``alerts``, the
    replayed alerts. Every group keeps its name and interval."""
    passes = []
    for depth, level in enumerate(dependency_levels(groups)):
        parts: tuple[tuple[Span, list[RuleGroup]], ...] = (
            ("history", _split(level, LONG_HISTORY.__contains__)),
            ("tail", _split(level, lambda name: name not in LONG_HISTORY)))
        passes += [Pass(f"level{depth}-{span}", part, span) for span, part in parts if part]
    if alerts and (replayed := replayed_alerts(groups)):
        passes.append(Pass("alerts-replayed", replayed, "alerts"))
    return passes

"""Rule groups -> Prometheus rule file or monitoring.coreos.com/v1 PrometheusRule, as data or YAML."""

from __future__ import annotations

import re
from typing import Any

import yaml

from pledge.rules.model import Rule, RuleGroup
from pledge.spec.duration import format_duration
from pledge.spec.model import ServiceLevelAgreement

RECORDED_NAME = re.compile(r"pledge:[a-z0-9_]+:[a-z0-9_]+")
MANAGED_BY = {"app.kubernetes.io/managed-by": "pledge"}


def rule_dict(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {"record": rule.record} if rule.record else {"alert": rule.alert}
    data["expr"] = rule.expr
    if rule.for_:
        data["for"] = rule.for_
    if rule.labels:
        data["labels"] = dict(sorted(rule.labels.items()))
    if rule.annotations:
        data["annotations"] = dict(sorted(rule.annotations.items()))
    return data


def group_dict(group: RuleGroup) -> dict[str, Any]:
    return {"name": group.name, "interval": format_duration(group.interval), "rules": [rule_dict(r) for r in group.rules]}


def rule_file(groups: list[RuleGroup]) -> dict[str, Any]:
    """The content of a Prometheus ``rule_files`` entry."""
    return {"groups": [group_dict(g) for g in groups]}


def rule_object_name(sla: ServiceLevelAgreement) -> str:
    return f"pledge-{sla.metadata.name}"


def prometheus_rule(sla: ServiceLevelAgreement, groups: list[RuleGroup], labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A prometheus-operator PrometheusRule; ``labels`` let a ruleSelector (e.g. release: x) pick it up."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": rule_object_name(sla),
            "namespace": sla.metadata.namespace,
            "labels": {**(labels or {}), **MANAGED_BY, "pledge.dev/sla": sla.metadata.name},
        },
        "spec": rule_file(groups),
    }


class _Dumper(yaml.SafeDumper):
    """Block style, long lines kept whole, and multi-line strings as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=1_000_000, allow_unicode=True)


def dependency_levels(groups: list[RuleGroup]) -> list[list[RuleGroup]]:
    """Recording rules split by how many recorded series they stand on (0 = raw metrics only).

    ``promtool tsdb create-blocks-from rules`` needs one pass per level when backfilling history.
    Alerting rules are left out: they are never backfilled.
    """
    level: dict[str, int] = {}
    per_rule: list[tuple[str, Rule, int]] = []
    for group in groups:
        for rule in group.rules:
            if rule.record is None:
                continue
            depth = 1 + max((level[n] for n in RECORDED_NAME.findall(rule.expr) if n in level), default=-1)
            level[rule.record] = max(level.get(rule.record, 0), depth)
            per_rule.append((group.name, rule, depth))
    levels: list[list[RuleGroup]] = []
    for depth in range(1 + max((d for *_, d in per_rule), default=-1)):
        by_group: dict[str, list[Rule]] = {}
        for name, rule, d in per_rule:
            if d == depth:
                by_group.setdefault(name, []).append(rule)
        interval = {g.name: g.interval for g in groups}
        levels.append([RuleGroup(f"{name}-level{depth}", interval[name], tuple(rules)) for name, rules in by_group.items()])
    return levels

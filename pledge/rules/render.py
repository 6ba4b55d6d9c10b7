"""Rule groups -> Prometheus rule file or monitoring.coreos.com/v1 PrometheusRule, as data or YAML."""

from __future__ import annotations

import json
import re
from typing import Any

from pledge.rules.model import Rule, RuleGroup
from pledge.sla.duration import format_duration
from pledge.sla.model import ServiceLevelAgreement

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


def parse_labels(text: str) -> dict[str, str]:
    """Labels for rule objects, as the CLIs' options and the operator's environment give them:
    "release=kps,team=sre" -> {"release": "kps", "team": "sre"} (empty text: no labels)."""
    labels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f'expected KEY=VALUE, got "{item}"')
        labels[key.strip()] = value.strip()
    return labels


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


_PLAIN = re.compile(r"^([A-Za-z_(/][^\n]*|[0-9]+[smhdw]([0-9]+[smhdw])*)$")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})


def _scalar(value: object) -> str:
    """A YAML scalar: plain when unambiguous, else JSON-quoted (JSON strings are valid YAML)."""
    if isinstance(value, bool) or not isinstance(value, str):
        return json.dumps(value)
    plain = (
        _PLAIN.match(value) and ": " not in value and " #" not in value
        and not value.endswith((":", " ")) and value.lower() not in _YAML_WORDS
    )
    return value if plain else json.dumps(value, ensure_ascii=False)


def _emit(data: object, indent: str, out: list[str]) -> None:
    """Block-style YAML for nested dicts, lists and scalars (the shapes rule files are made of)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                out.append(f"{indent}{_scalar(key)}:\n")
                _emit(value, indent + ("  " if isinstance(value, dict) else ""), out)
            else:
                out.append(f"{indent}{_scalar(key)}: {_scalar(value) if value or value == 0 else '{}' if isinstance(value, dict) else '[]' if isinstance(value, list) else _scalar(value)}\n")
    else:
        assert isinstance(data, list)
        for item in data:
            inner: list[str] = []
            _emit(item, indent + "  ", inner) if isinstance(item, (dict, list)) else inner.append(f"{indent}  {_scalar(item)}\n")
            first = inner[0]
            out.append(f"{indent}- {first[len(indent) + 2:]}")
            out.extend(inner[1:])


def to_yaml(data: object) -> str:
    """Deterministic, readable YAML, fast enough for 10,000 SLAs (PyYAML's emitter is 20x slower)."""
    out: list[str] = []
    _emit(data, "", out)
    return "".join(out)


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

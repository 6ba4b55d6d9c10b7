"""Pure: what a ruler would refuse in rendered rules, found before anything is written.

Prometheus, vmalert and Thanos Ruler refuse to reload *every* rule file while one is invalid, so one
bad SLA would stop rule updates for everyone. The operator and `pledge generate` run these checks on
the rules they are about to write (validation should already have refused the SLA: this is the last
line, for what the generator itself might get wrong). Each problem names the group and the rule.
"""

from __future__ import annotations

import re

import promql_parser
import yaml

from pledge.rules.model import Rule, RuleGroup
from pledge.rules.render import rule_file, to_yaml
from pledge.sla.errors import SpecError
from pledge.sla.loader import CSafeLoader
from pledge.sla.model import LABEL_NAME_REGEX, METRIC_NAME_REGEX

_LABEL_NAME = re.compile(LABEL_NAME_REGEX)
_METRIC_NAME = re.compile(METRIC_NAME_REGEX)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')


def template_problem(text: str) -> str | None:
    """Why Go's template parser would refuse ``text`` ("unclosed action"), or None. String
    literals inside an action may hold braces: ``{{ "{{" }}`` is how pledge writes a literal."""
    at = 0
    while (start := text.find("{{", at)) != -1:
        close = _closing(text, start + 2)
        if close is None:
            return f"unclosed template action at character {start}"
        at = close + 2
    return None


def _closing(text: str, at: int) -> int | None:
    """Where the action open at ``at`` closes, skipping its string literals; None if it never
    closes or another action opens first."""
    while True:
        close, opening, literal = text.find("}}", at), text.find("{{", at), _STRING.search(text, at)
        if close == -1:
            return None
        if literal is not None and literal.start() < close:
            at = literal.end()
        elif opening != -1 and opening < close:
            return None
        else:
            return close


def _rule_problems(rule: Rule) -> list[str]:
    found = []
    try:
        promql_parser.parse(rule.expr)
    except (ValueError, TypeError) as exc:
        found.append(f"expr is not valid PromQL: {exc}")
    if rule.record is not None and not _METRIC_NAME.fullmatch(rule.record):
        found.append(f"record {rule.record!r} is not a valid metric name")
    for kind, pairs in (("label", rule.labels), ("annotation", rule.annotations)):
        for name, value in pairs.items():
            if not _LABEL_NAME.fullmatch(name):
                found.append(f"{kind} name {name!r} is not valid")
            if rule.alert is not None and (problem := template_problem(value)):
                found.append(f"{kind} {name}: {problem}")
    return found


def problems(groups: list[RuleGroup]) -> list[str]:
    """Every reason a ruler would refuse ``groups``, as "group/rule: reason" lines."""
    found, seen = [], set()
    for group in groups:
        if group.name in seen:
            found.append(f"{group.name}: duplicate group name")
        seen.add(group.name)
        for index, rule in enumerate(group.rules):
            found += [f"{group.name}/{index} {rule.name}: {p}" for p in _rule_problems(rule)]
    document = rule_file(groups)
    try:
        if yaml.load(to_yaml(document), Loader=CSafeLoader) != document:  # libyaml's reader: 8x the pure one
            found.append("the rule file does not read back as written")
    except (ValueError, TypeError) as exc:
        found.append(f"the rule file cannot be written: {exc}")
    return found


def refuse(groups: list[RuleGroup], source: str = "") -> None:
    """Raise SpecError with the rules' problems, so callers report them like any invalid SLA."""
    if found := problems(groups):
        raise SpecError([f"rules: {p}" for p in found], source)

"""Rule groups -> Prometheus rule file or monitoring.coreos.com/v1 PrometheusRule, as data or YAML."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.emitter import ScalarAnalysis

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


# Strings other YAML readers take for something else, quoted even where PyYAML would read them back as
# text: YAML 1.2 numbers (Prometheus reads rule files with Go's yaml.v3, vmalert with yaml.v2: "1e2",
# "0o17", "+inf" are numbers there), Go number literals with underscores, and yaml.v2's y/n booleans.
_OTHER_READERS = re.compile(
    r"""[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9_]+)?|\.[0-9][0-9_]*(?:[eE][-+]?[0-9_]+)?"""
    r"""|0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][-+]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+"""
    r"""|\.?(?i:inf|infinity|nan))"""
    r"""|[yYnN~]|(?i:yes|no|on|off|true|false|null)"""
)
# Line breaks for YAML 1.1 (PyYAML) but not for YAML 1.2 (Go), and characters a block scalar cannot hold:
# strings with them are written double-quoted, where they are escapes (\r, \N, \L, \P, \uFEFF).
_NOT_IN_BLOCK = re.compile("[\r\x85\u2028\u2029\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# What both emitters can write in a literal block: printable text in the basic plane (libyaml escapes
# astral characters, so it could not), with line feeds.
_BLOCK_TEXT = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
# analyze_scalar's fast path: printable characters (no tabs, breaks, BOM, astral planes: those take the
# long way), nothing at the start that begins other YAML, no ": ", " #", trailing ":" or space.
_CERTAINLY_PLAIN = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]+")
_INDICATORS = frozenset(" -?:,[]{}#&*!|>'\"%@`")
_FLOW_INDICATORS = re.compile(r"[,?\[\]{}:]")
_LINE_BREAKS = re.compile("[\n\x85\u2028\u2029]")
_UNBOUNDED = 1 << 62  # width: no line is folded (expressions run to 10,000 characters)
_C_UNBOUNDED = (1 << 31) - 1  # libyaml keeps the width in a C int


class RuleFileDumper(yaml.SafeDumper):
    """Block style in the dicts' own key order, no anchors, no folding; text plain where every YAML
    reader gives it back as the same text, a literal block (``|``) when it has several lines and
    round-trips exactly that way, double-quoted otherwise (every character has an escape there)."""

    def ignore_aliases(self, data: object) -> bool:
        return True  # a dict shared by two rules (labels) is written twice, never as &anchor / *alias

    def analyze_scalar(self, scalar: str) -> ScalarAnalysis:
        """PyYAML's analysis walks each character in Python (half the time for 10,000-character
        expressions); for text that is plain beyond doubt, the same verdict from a few C-speed scans."""
        if not _CERTAINLY_PLAIN.fullmatch(scalar) or scalar[0] in _INDICATORS or scalar[-1] in " :" \
                or ": " in scalar or " #" in scalar or scalar.startswith("..."):
            return super().analyze_scalar(scalar)
        return ScalarAnalysis(
            scalar=scalar, empty=False, multiline=False, allow_flow_plain=not _FLOW_INDICATORS.search(scalar),
            allow_block_plain=True, allow_single_quoted=True, allow_double_quoted=True, allow_block=True,
        )

    def write_plain(self, text: str, split: bool = True) -> None:
        """PyYAML's writer, without its character walk: at unbounded width a one-line plain scalar is
        written as it is (after the separating space)."""
        if self.best_width < _UNBOUNDED or _LINE_BREAKS.search(text):
            return super().write_plain(text, split)
        if self.root_context:
            self.open_ended = True
        if not text:
            return
        data = text if self.whitespace else " " + text
        self.whitespace = self.indention = False
        self.column += len(data)
        self.stream.write(data.encode(self.encoding) if self.encoding else data)

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style  # one quoting style, as JSON writes it: '' doubling is less known

    def represent_text(self, data: str) -> yaml.ScalarNode:
        return self.represent_scalar("tag:yaml.org,2002:str", str.__str__(data), style=text_style(self, data))


def _certainly_plain(text: str) -> bool:
    return bool(_CERTAINLY_PLAIN.fullmatch(text)) and text[0] not in _INDICATORS and text[-1] not in " :" \
        and ": " not in text and " #" not in text and not text.startswith("...")


def text_style(resolver: yaml.resolver.BaseResolver, text: str) -> str | None:
    """The representer decides every style, so both emitters (PyYAML's and libyaml's) write the same
    file: a literal block for several lines that fit one, plain for text every reader takes as the
    same text, double quotes for the rest (never single: '' doubling is less known)."""
    text = str.__str__(text)  # str subclasses (enums) as their text
    if "\n" in text and _BLOCK_TEXT.fullmatch(text) and text[0] not in " \n" and not text.endswith("\n\n"):
        return "|"  # a plain block: no indentation or keep indicators, on which the emitters differ
    plain = _certainly_plain(text) and not _OTHER_READERS.fullmatch(text) \
        and resolver.resolve(yaml.ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"  # type: ignore[no-untyped-call]
    return None if plain else '"'


class FastRuleFileDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The same file as RuleFileDumper, written by libyaml (about four times faster) where PyYAML has it."""

    def ignore_aliases(self, data: object) -> bool:
        return True

    def represent_text(self, data: str) -> yaml.ScalarNode:
        node: yaml.ScalarNode = self.represent_scalar("tag:yaml.org,2002:str", str.__str__(data),
                                                      style=text_style(self, data))
        return node


RuleFileDumper.add_representer(str, RuleFileDumper.represent_text)
RuleFileDumper.add_multi_representer(str, RuleFileDumper.represent_text)
FastRuleFileDumper.add_representer(str, FastRuleFileDumper.represent_text)
FastRuleFileDumper.add_multi_representer(str, FastRuleFileDumper.represent_text)


def _check(data: object, where: str) -> None:
    """What the dumper cannot write as a YAML file that reads back the same, named by where it is."""
    if isinstance(data, dict):
        for key, value in data.items():
            _check(key, f"{where} (a key)")
            _check(value, f"{where}.{key}" if isinstance(key, str) and not _SURROGATE.search(key) else f"{where}[{key!r}]")
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _check(item, f"{where}[{index}]")
    elif isinstance(data, str):
        if _SURROGATE.search(data):
            raise ValueError(f"{where}: {data!r} holds a lone surrogate, which UTF-8 (and so YAML) cannot hold")
    elif data is not None and not isinstance(data, (bool, int, float)):
        raise TypeError(f"{where}: {type(data).__name__} {data!r} has no YAML form here (dict, list, str, number, bool, None)")


def to_yaml(data: object) -> str:
    """Deterministic, readable YAML that ``yaml.safe_load`` (and Go's YAML readers) give back as ``data``.

    Raises ValueError (naming the place, e.g. ``$.groups[0].rules[3].labels.team``) for text UTF-8
    cannot hold, and TypeError for values other than dicts, lists, str, int, float, bool and None.
    libyaml's emitter (PyYAML's C one) writes an SLA's rule file in about 4-5 ms, PyYAML's own in
    15-25 ms; the hand-written writer before them took 1-2 ms and could write broken files.
    """
    _check(data, "$")
    fast = FastRuleFileDumper is not RuleFileDumper and yaml.__with_libyaml__
    return yaml.dump(
        data, Dumper=FastRuleFileDumper if fast else RuleFileDumper, sort_keys=False, default_flow_style=False,
        allow_unicode=True, width=_C_UNBOUNDED if fast else _UNBOUNDED, indent=2,
    )


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
        levels.append([RuleGroup(name, interval[name], tuple(rules)) for name, rules in by_group.items()])
    return levels

"""Label selectors over an SLA's ``metadata.labels``, in kubectl's syntax, so a scope written for
``kubectl get sla -l ...`` means the same to pledge: ``team=payments,tier!=bronze``,
``env in (prod,staging)``, ``region notin (eu)``, ``critical`` (the label is set), ``!legacy`` (it is not).

Pure: parsed once into requirements, matched against a label mapping; never pasted into PromQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Operator = Literal["=", "!=", "in", "notin", "exists", "!"]

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET = re.compile(rf"^({_KEY})\s+(in|notin)\s+\(([^()]*)\)$")
_EQUALITY = re.compile(rf"^({_KEY})\s*(==|=|!=)\s*({_VALUE})$")
_EXISTS = re.compile(rf"^(!?)\s*({_KEY})$")
_VALUE_ONLY = re.compile(rf"^{_VALUE}$")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        have = labels.get(self.key)
        if self.operator == "exists":
            return have is not None
        if self.operator == "!":
            return have is None
        if self.operator in ("=", "in"):
            return have in self.values
        return have not in self.values  # != and notin: an SLA without the label matches, as in Kubernetes


@dataclass(frozen=True)
class Selector:
    requirements: tuple[Requirement, ...]
    text: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


def _split(text: str) -> list[str]:
    """Requirements are separated by commas outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise ValueError(f"unbalanced ')' in {text!r}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise ValueError(f"unbalanced '(' in {text!r}")
    return [*parts, "".join(current)]


def _requirement(part: str) -> Requirement:
    part = part.strip()
    if found := _SET.match(part):
        values = [v.strip() for v in found.group(4).split(",")]
        bad = [v for v in values if not _VALUE_ONLY.match(v)]
        if bad or not any(values):
            raise ValueError(f"{part!r}: a set needs label values, e.g. 'env in (prod,staging)'")
        return Requirement(found.group(1), "in" if found.group(3) == "in" else "notin", frozenset(values))
    if found := _EQUALITY.match(part):
        operator: Operator = "!=" if found.group(3) == "!=" else "="
        return Requirement(found.group(1), operator, frozenset([found.group(4)]))
    if found := _EXISTS.match(part):
        return Requirement(found.group(2), "!" if found.group(1) else "exists")
    raise ValueError(f"{part!r} is not a label requirement: use key=value, key!=value, key in (a,b), "
                     "key notin (a,b), key or !key")


def parse_selector(text: str) -> Selector:
    """``team=payments,tier!=bronze`` into a Selector; ValueError naming the part that is wrong."""
    if not text.strip():
        raise ValueError("empty selector: give at least one requirement, e.g. team=payments")
    return Selector(tuple(_requirement(p) for p in _split(text)), text.strip())

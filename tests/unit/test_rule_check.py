"""The last line before a rule file is written: what a ruler would refuse is found, named, and stops
the write (pledge.rules.check), and every example's rules pass it."""

from __future__ import annotations

from pathlib import Path

import pytest

import pledge
from pledge.rules import generate
from pledge.rules.check import problems, refuse, template_problem
from pledge.rules.model import Rule, RuleGroup
from pledge.sla import SpecError, parse_yaml

EXAMPLES = sorted((Path(pledge.__file__).parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("text", ["plain", "{{ $value | humanizePercentage }}", '{{ "{{" }} .Foo', 'a {{ "}}" }} b',
                                  "{{ $labels.customer }} and {{ $value }}", "}} alone", '{{ `{{` }}'])
def test_templates_a_ruler_accepts(text: str) -> None:
    assert template_problem(text) is None


@pytest.mark.parametrize(("text", "where"), [("{{ .Foo", 0), ("ok {{ a }} then {{ b", 16), ("{{ {{ }}", 0)])
def test_unclosed_actions_are_found(text: str, where: int) -> None:
    assert template_problem(text) == f"unclosed template action at character {where}"


def test_each_problem_names_its_group_and_rule() -> None:
    group = RuleGroup("g", 30, (
        Rule("sum(rate(x[5m])", record="pledge:x:rate5m"),
        Rule("up == 0", alert="Down", labels={"team": "{{ .Foo"}, annotations={"1e2": "x"}),
        Rule("up", record="not a metric"),
    ))
    found = problems([group, group])
    assert found[0].startswith("g/0 pledge:x:rate5m: expr is not valid PromQL")
    assert found[1:] == ["g/1 Down: label team: unclosed template action at character 0",
                         "g/1 Down: annotation name '1e2' is not valid",
                         "g/2 not a metric: record 'not a metric' is not a valid metric name",
                         "g: duplicate group name"] + found[5:]
    with pytest.raises(SpecError, match=r"rules: g/1 Down: label team"):
        refuse([group], "shop/checkout")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_passes(path: Path) -> None:
    for sla in parse_yaml(path.read_text(), path.name):
        assert problems(generate(sla)) == []

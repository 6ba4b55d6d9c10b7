"""Every example SLA's rules pass `promtool check rules` (lint findings fatal), in both formats."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pledge.testing import check_rules
from pledge.rules import generate, prometheus_rule, rule_file, to_yaml
from pledge.sla import parse_yaml

pytestmark = pytest.mark.integration

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))


def test_there_are_at_least_six_examples() -> None:
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_generated_rules_pass_promtool(path: Path, tmp_path: Path) -> None:
    for sla in parse_yaml(path.read_text(), str(path)):
        groups = generate(sla)
        plain = tmp_path / "rules.yaml"
        plain.write_text(to_yaml(rule_file(groups)))
        assert check_rules(plain) == sum(len(g.rules) for g in groups)
        # the PrometheusRule's spec is exactly a rule file: what prometheus-operator hands Prometheus
        operator = tmp_path / "from-prometheusrule.yaml"
        operator.write_text(yaml.safe_dump(prometheus_rule(sla, groups)["spec"]))
        assert check_rules(operator) == sum(len(g.rules) for g in groups)

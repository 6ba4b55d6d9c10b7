"""Pure rule generation: SLA -> Prometheus recording and alerting rules."""

from pledge.rules.generate import generate
from pledge.rules.model import Rule, RuleGroup
from pledge.rules.render import dependency_levels, prometheus_rule, rule_file, rule_object_name, to_yaml

__all__ = ["Rule", "RuleGroup", "dependency_levels", "generate", "prometheus_rule", "rule_file", "rule_object_name", "to_yaml"]

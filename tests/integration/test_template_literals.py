"""User text in alert labels and annotations is shown literally by Prometheus and vmalert, never run
as a Go template: `{{ .Foo` would break the rule file, `{{ query "up" }}` would run PromQL in every alert.
promtool (and, in tests/victoria, vmalert) accept the escaped rules, and `promtool test rules` renders the text back verbatim."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pledge.rules import generate
from pledge.testing import check_rules
from pledge.tsdb.promtool import promtool
from tests.support.hostile import HOSTILE, hostile_sla, write_rules

pytestmark = pytest.mark.integration


def test_hostile_text_passes_promtool_check_rules(tmp_path: Path) -> None:
    rules = write_rules(tmp_path)
    assert check_rules(rules) == sum(len(g.rules) for g in generate(hostile_sla()))


def test_promtool_renders_user_text_verbatim(tmp_path: Path) -> None:
    """SLABudgetExhausted fires on a spent budget; its labels and annotations come back as written."""
    rules = write_rules(tmp_path)
    identity = 'sla="checkout",sla_namespace="shop",objective="availability"'
    expected_labels: dict[str, Any] = {
        "alertname": "SLABudgetExhausted", "sla": "checkout", "sla_namespace": "shop", "objective": "availability",
        "severity": "page", "state": "Breached", "service": "checkout", "team": HOSTILE["label"],
        "customer": HOSTILE["customer"], "sla_tier": HOSTILE["tier"], "owner": HOSTILE["owner"],
    }
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "30s",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": f"pledge:sli_error_ratio:period{{{identity}}}", "values": "0.5x10"}],
            "alert_rule_test": [{
                "eval_time": "5m", "alertname": "SLABudgetExhausted",
                "exp_alerts": [{"exp_labels": expected_labels, "exp_annotations": {
                    "note": HOSTILE["annotation"],
                    "runbook_url": HOSTILE["runbook"],
                    "summary": "shop/checkout availability is below its 99.9 % target for the period",
                    "description": "The period's error budget is spent: the SLA is breached. Error ratio: 50%.",
                }}],
            }],
        }],
    }
    test_file = tmp_path / "test.yaml"
    test_file.write_text(yaml.safe_dump(test))
    assert "SUCCESS" in promtool("test", "rules", test_file).stdout

"""Sloth's getting-started SLO routes its page by ``routing_key`` and its ticket by ``slack_channel``:
pledge's rules for the imported SLA fire their page and ticket with those labels, as Sloth's own
generated rules (tests/data/peers/sloth/_gen/getting-started.yml) do, in one promtool run.

A 30-minute full outage from 6h: near its end both severities fire on both sides. Two proofs:
``promtool test rules`` passes with the labels pledge's alerts must carry per severity (and must not:
no page with the ticket's channel), and the routing labels of each severity's firing alerts are the
same set for Sloth and for pledge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pledge.rules import generate, rule_file, to_yaml
from pledge.sla import parse_sla
from pledge.tsdb.promtool import promtool
from tests.support.peers import PEERS, imported
from tests.support.promtool_unit import counter_values, probe

pytestmark = pytest.mark.integration

STEP, RATE, HOUR = 30, 10.0, 3600
OUTAGE = (6 * HOUR, 6 * HOUR + 30 * 60)
END = 8 * HOUR
WHEN = OUTAGE[1] - 60  # both severities fire on both sides by then (the ticket pairs read 2h/1d and 6h/3d)
ROUTING = "category, routing_key, slack_channel, alert_name"  # the user's labels, Sloth's name kept as alert_name
PLEDGE = 'alertstate="firing",alertname="SLAErrorBudgetBurn",sla="myservice-requests-availability"'
SLOTH = 'alertstate="firing",alertname="MyServiceHighErrorRate"'


def outage() -> dict[str, str]:
    """RATE requests/s of myservice, all failing (code 500) during OUTAGE."""
    steps = [STEP * (i + 1) for i in range(END // STEP)]
    bad = [RATE * STEP if OUTAGE[0] < t <= OUTAGE[1] else 0.0 for t in steps]
    metric = 'http_request_duration_seconds_count{job="myservice"'
    return {f'{metric},code="200"}}': counter_values([RATE * STEP - b for b in bad]),
            f'{metric},code="500"}}': counter_values(bad)}


@pytest.fixture(scope="module")
def pledge_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pledge's rules for the SLA `pledge import` makes of Sloth's getting-started.yml."""
    [mapping] = imported("sloth/getting-started.yml")
    assert mapping.document is not None and mapping.fidelity != "dropped"
    path = tmp_path_factory.mktemp("sloth-labels") / "pledge.yaml"
    path.write_text(to_yaml(rule_file(generate(parse_sla(mapping.document)))))
    return path


def test_promtool_page_carries_routing_key_and_ticket_slack_channel(pledge_rules: Path, tmp_path: Path) -> None:
    per_severity = f"group by (severity, {ROUTING}) (ALERTS{{{PLEDGE}}})"
    expected = [
        {"labels": '{alert_name="MyServiceHighErrorRate",category="availability",routing_key="myteam",severity="page"}',
         "value": 1},
        {"labels": '{alert_name="MyServiceHighErrorRate",category="availability",severity="ticket",slack_channel="#alerts-myteam"}',
         "value": 1},
    ]
    test: dict[str, Any] = {
        "rule_files": [str(pledge_rules)],
        "evaluation_interval": f"{STEP}s",
        "tests": [{
            "interval": f"{STEP}s",
            "input_series": [{"series": name, "values": values} for name, values in outage().items()],
            "promql_expr_test": [
                {"expr": per_severity, "eval_time": f"{OUTAGE[0] - HOUR}s", "exp_samples": []},  # healthy: nothing
                {"expr": per_severity, "eval_time": f"{WHEN}s", "exp_samples": expected},
            ],
        }],
    }
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(test))
    result = promtool("test", "rules", path)
    assert "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_each_severity_routes_with_sloths_labels(pledge_rules: Path) -> None:
    probes = {(side, severity): f"group by ({ROUTING}) (ALERTS{{{matchers}}})"
              for severity in ("page", "ticket")
              for side, matchers in (("pledge", f'{PLEDGE},severity="{severity}"'),
                                     ("sloth", f'{SLOTH},sloth_severity="{severity}"'))}
    found = probe([pledge_rules, PEERS / "sloth/_gen/getting-started.yml"], outage(),
                  [(expr, WHEN) for expr in probes.values()])
    labels = {key: [s.labels for s in found[(expr, WHEN)]] for key, expr in probes.items()}
    sloth_name = {"alert_name": "MyServiceHighErrorRate"}  # Sloth's alert name, a label on pledge's side
    assert labels[("pledge", "page")] == [{**sloth_name, "category": "availability", "routing_key": "myteam"}]
    assert labels[("pledge", "ticket")] == [{**sloth_name, "category": "availability", "slack_channel": "#alerts-myteam"}]
    for severity in ("page", "ticket"):
        assert [{**s, **sloth_name} for s in labels[("sloth", severity)]] == labels[("pledge", severity)]

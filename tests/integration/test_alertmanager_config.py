"""`pledge alertmanager`: the configuration amtool accepts, and the routes amtool says each alert takes
(``amtool config routes test``, Alertmanager's own routing code), for the example SLAs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pledge.api.sources import packaged_examples
from pledge.commands.main import main
from pledge.rules import generate
from pledge.sla import parse_sla
from pledge.testing.alertmanager import check_config
from pledge.tsdb.promtool import find_binary
from tests.support.slas import document

pytestmark = pytest.mark.integration


def written(tmp_path: Path, *options: str) -> Path:
    path = tmp_path / "alertmanager.yml"
    result = CliRunner().invoke(main, ["alertmanager", *options, "-o", str(path), str(packaged_examples())])
    assert result.exit_code == 0, result.output
    return path


def routed(config: Path, **labels: str) -> list[str]:
    """The receivers Alertmanager picks for an alert with ``labels``."""
    command = [find_binary("amtool"), "config", "routes", "test", f"--config.file={config}",
               *(f"{k}={v}" for k, v in labels.items())]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return result.stdout.strip().split(",")


@pytest.mark.parametrize("options", [(), ("--customer-route",)], ids=["owners", "customer-route"])
def test_amtool_accepts_it(tmp_path: Path, options: tuple[str, ...]) -> None:
    report = check_config(written(tmp_path, *options))
    assert "SUCCESS" in report and "1 inhibit rules" in report


def test_routes_by_owner_and_severity(tmp_path: Path) -> None:
    config = written(tmp_path, "--customer-route")
    pledge = {"sla_namespace": "shop", "sla": "checkout", "objective": "availability"}
    assert routed(config, **pledge, owner="team-payments", severity="page") == ["team-payments-page"]
    assert routed(config, **pledge, owner="team-payments", severity="ticket") == ["team-payments-ticket"]
    assert routed(config, **pledge, owner="team-search", severity="page") == ["team-search-page"]
    prediction = {**pledge, "alertname": "SLABreachPredicted", "customer": "acme", "owner": "team-payments",
                  "severity": "ticket"}
    assert routed(config, **prediction) == ["customer-success", "team-payments-ticket"]
    assert routed(config, **{**prediction, "customer": ""}) == ["team-payments-ticket"]  # not a customer SLA
    assert routed(config, alertname="Watchdog") == ["pledge-default"]  # not pledge's: left to your own tree


def test_groups_and_inhibits_per_objective_and_group(tmp_path: Path) -> None:
    config = yaml.safe_load(written(tmp_path).read_text())
    pledge_route = config["route"]["routes"][0]
    assert pledge_route["group_by"] == ["sla_namespace", "sla", "objective", "customer"]  # checkout groups by customer
    (rule,) = config["inhibit_rules"]
    assert rule["source_matchers"][0] == 'severity="page"'
    assert rule["target_matchers"][:2] == ['severity="ticket"', 'alertname="SLAErrorBudgetBurn"']
    assert rule["equal"] == pledge_route["group_by"]


def test_labels_per_severity_route_as_before_and_never_split_an_inhibition(tmp_path: Path) -> None:
    """Sloth's getting-started labels its page routing_key=myteam and its ticket slack_channel=...:
    both still reach the owner's receivers, and the page's inhibition of the ticket holds."""
    sla = tmp_path / "sla.yaml"
    sla.write_text(yaml.safe_dump(document("checkout", "shop", owner="myteam", grouping=["customer"], alerting={
        "severities": {"page": {"labels": {"routing_key": "myteam"}},
                       "ticket": {"labels": {"slack_channel": "#alerts-myteam", "customer": "not-the-group"}}}})))
    path = tmp_path / "alertmanager.yml"
    result = CliRunner().invoke(main, ["alertmanager", "-o", str(path), str(sla)])
    assert result.exit_code == 0, result.output
    pledge = {"sla_namespace": "shop", "sla": "checkout", "objective": "availability", "owner": "myteam"}
    assert routed(path, **pledge, severity="page", routing_key="myteam") == ["myteam-page"]
    assert routed(path, **pledge, severity="ticket", slack_channel="#alerts-myteam") == ["myteam-ticket"]
    (rule,) = yaml.safe_load(path.read_text())["inhibit_rules"]
    assert rule["equal"] == ["sla_namespace", "sla", "objective", "customer"]
    # a grouping label keeps each group's value: a per-severity label of that name never reaches the alert
    alerts = [r for g in generate(parse_sla(yaml.safe_load(sla.read_text()))) for r in g.rules if r.alert]
    assert all("customer" not in r.labels for r in alerts)
    assert {r.labels.get("routing_key") for r in alerts if r.labels["severity"] == "page"} == {"myteam"}

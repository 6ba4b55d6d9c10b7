"""The dashboards' shape: one per SLA plus the overview, every panel with a query, every query valid
PromQL (promql-parser, variables replaced as Grafana does), and the command that writes them."""

from __future__ import annotations

from pathlib import Path

import promql_parser
import pytest
from click.testing import CliRunner

from pledge.api.sources import packaged_examples
from pledge.commands.main import main
from pledge.dashboards import as_json, detail, uid
from pledge.sla import parse_sla
from tests.support.dashboards import ALL_QUERIES, BOARDS, LABEL_VALUES, SLAS, Query, promql
from tests.support.slas import document


@pytest.mark.parametrize("query", ALL_QUERIES, ids=lambda q: q.id)
def test_every_query_parses(query: Query) -> None:
    found = LABEL_VALUES.match(query.expr)
    promql_parser.parse(found.group(1) if found else promql(query.expr))


def test_every_sla_has_its_dashboard_and_every_panel_a_query() -> None:
    assert sorted(BOARDS) == sorted(["pledge-overview.json", *(f"{uid(s)}.json" for s in SLAS)])
    for name, board in BOARDS.items():
        shown = [p for p in board["panels"] if p["type"] != "row"]
        assert shown and all(p.get("targets") for p in shown), name
        assert len({p["id"] for p in board["panels"]}) == len(board["panels"]), f"{name}: panel ids repeat"
        assert board["uid"] == name.removesuffix(".json") and len(board["uid"]) <= 40


def test_detail_draws_each_tier_against_its_threshold() -> None:
    board = BOARDS["pledge-shop-checkout.json"]
    burn = {p["title"]: p for p in board["panels"] if p["title"].startswith("Burn rate")}
    assert sorted(burn) == ["Burn rate: page-fast (page)", "Burn rate: page-slow (page)",
                            "Burn rate: ticket-fast (ticket)", "Burn rate: ticket-slow (ticket)"]
    fast = burn["Burn rate: page-fast (page)"]
    assert [t["expr"].split("{")[0] for t in fast["targets"]] == ["pledge:sli_error_ratio:rate1h", "pledge:sli_error_ratio:rate5m"]
    steps = fast["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[-1]["value"] == 14.4  # the 1h/5m pair pages at 14.4 times the budget rate


def test_long_names_get_a_short_stable_uid() -> None:
    long = SLAS[0].model_copy(update={"metadata": SLAS[0].metadata.model_copy(update={"name": "n" * 60})})
    assert len(uid(long)) <= 40 and uid(long) == uid(long) != uid(SLAS[0])


def test_dashboards_command_writes_them(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dashboards", "-o", str(tmp_path), str(packaged_examples())])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(BOARDS)
    printed = CliRunner().invoke(main, ["dashboards"])
    assert printed.exit_code == 0 and len(printed.output.splitlines()) == 1  # the overview alone, one JSON line


def test_detail_names_the_labels_each_tiers_alert_carries() -> None:
    """Labels per severity and per tier reach the burn panel of each tier: what routes its alert."""
    sla = parse_sla(document("checkout", "shop", alerting={
        "labels": {"team": "payments"},
        "severities": {"page": {"labels": {"routing_key": "myteam"}}, "ticket": {"labels": {"slack_channel": "#alerts"}}},
        "tiers": [{"name": "page-fast", "labels": {"pager": "fast"}}]}))
    burn = {p["title"]: p["description"] for p in as_json(detail(sla))["panels"] if p["title"].startswith("Burn rate")}
    assert burn["Burn rate: page-fast (page)"].endswith(
        "Its alert carries pager=fast, routing_key=myteam, team=payments (with severity=page).")
    assert burn["Burn rate: ticket-slow (ticket)"].endswith(
        "Its alert carries slack_channel=#alerts, team=payments (with severity=ticket).")
    plain = parse_sla(document("checkout", "shop"))
    assert all("carries" not in p.get("description", "") for p in as_json(detail(plain))["panels"])

"""Labels and annotations per severity and per burn tier (issue 31): the model merges them over the
SLA-wide ones (tier over severity over SLA-wide), refuses what it refuses SLA-wide, and every
generated alert carries those of its own severity label and tier."""

from __future__ import annotations

from typing import Any

import pytest

from pledge.rules import generate
from pledge.rules.model import Rule
from pledge.sla import ServiceLevelAgreement, SpecError, parse_sla
from tests.support.slas import document

ALERTING: dict[str, Any] = {
    "labels": {"team": "payments", "where": "sla"},
    "annotations": {"dashboard": "https://grafana/sla", "runbook_url": "https://run/sla-annotation"},
    "runbook": "https://run/sla",
    "severities": {
        "page": {"labels": {"routing_key": "myteam", "where": "page"}, "annotations": {"runbook_url": "https://run/page"}},
        "ticket": {"labels": {"slack_channel": "#alerts-myteam", "where": "ticket"}},
    },
    "tiers": [{"name": "page-fast", "labels": {"where": "page-fast", "fast": "yes"}, "annotations": {"note": "{{ fast"}},
              {"name": "page-slow", "severity": "ticket"}],
    "breachPrediction": {"enabled": True, "severity": "page"},
}


def sla(**alerting: Any) -> ServiceLevelAgreement:
    return parse_sla(document("checkout", "shop", warning="99.95", alerting={**ALERTING, **alerting}))


def alerts(found: ServiceLevelAgreement) -> list[Rule]:
    return [r for g in generate(found) for r in g.rules if r.alert is not None]


def by_tier(found: ServiceLevelAgreement) -> dict[str, Rule]:
    return {r.labels["burn_tier"]: r for r in alerts(found) if r.alert == "SLAErrorBudgetBurn"}


def test_burn_alerts_merge_tier_over_severity_over_sla() -> None:
    tiers = by_tier(sla())
    fast, slow, ticket = tiers["page-fast"].labels, tiers["page-slow"].labels, tiers["ticket-fast"].labels
    assert (fast["where"], fast["fast"], fast["routing_key"], fast["team"]) == ("page-fast", "yes", "myteam", "payments")
    assert "slack_channel" not in fast
    # page-slow made a ticket: it carries the ticket's labels, not the page's
    assert (slow["severity"], slow["where"], slow["slack_channel"]) == ("ticket", "ticket", "#alerts-myteam")
    assert "routing_key" not in slow and "fast" not in slow
    assert (ticket["where"], ticket["slack_channel"], ticket["team"]) == ("ticket", "#alerts-myteam", "payments")
    assert "routing_key" not in ticket


def test_annotations_merge_like_labels_and_a_specific_runbook_url_wins() -> None:
    tiers = by_tier(sla())
    fast, ticket = tiers["page-fast"].annotations, tiers["ticket-slow"].annotations
    assert fast["runbook_url"] == "https://run/page"  # the page's own over the SLA's runbook
    assert fast["note"] == '{{ "{{" }} fast'  # user text stays a literal
    assert fast["dashboard"] == ticket["dashboard"] == "https://grafana/sla"
    assert ticket["runbook_url"] == "https://run/sla"  # runbook over the SLA-wide annotation, as before
    assert "note" not in ticket
    assert "summary" in fast and "description" in fast  # pledge's own are never replaced


@pytest.mark.parametrize(("alert", "severity"), [("SLABudgetExhausted", "page"), ("SLABudgetAtRisk", "ticket"),
                                                 ("SLAMetricAbsent", "ticket"), ("SLABreachPredicted", "page")])
def test_other_alerts_carry_the_labels_of_their_severity(alert: str, severity: str) -> None:
    (rule,) = [r for r in alerts(sla()) if r.alert == alert]
    assert rule.labels["severity"] == severity
    assert rule.labels["where"] == severity and rule.labels["team"] == "payments"
    assert ("routing_key" in rule.labels) == (severity == "page")
    assert ("slack_channel" in rule.labels) == (severity == "ticket")
    assert "fast" not in rule.labels  # a tier's labels are its burn alert's alone
    assert rule.annotations["runbook_url"] == ("https://run/page" if severity == "page" else "https://run/sla")


def test_an_sla_without_them_is_unchanged() -> None:
    plain = parse_sla(document("checkout", "shop", alerting={"labels": {"team": "payments"}, "runbook": "https://run"}))
    for rule in alerts(plain):
        assert rule.labels["team"] == "payments" and rule.annotations["runbook_url"] == "https://run"
    assert plain.spec.alerting.labels_for("page", "page-fast") == {"team": "payments"}


@pytest.mark.parametrize(("alerting", "problem"), [
    ({"severities": {"page": {"labels": {"severity": "critical"}}}},
     "spec.alerting.severities.page.labels: reserved label name(s) severity: set by pledge itself"),
    ({"severities": {"ticket": {"labels": {"sla": "x", "objective": "y"}}}},
     "spec.alerting.severities.ticket.labels: reserved label name(s) objective, sla: set by pledge itself"),
    ({"tiers": [{"name": "page-fast", "labels": {"burn_tier": "mine"}}]},
     "spec.alerting.tiers[0].labels: reserved label name(s) burn_tier: set by pledge itself"),
    ({"severities": {"page": {"annotations": {"9lives": "x"}}}},
     'spec.alerting.severities.page.annotations: "9lives" is not a valid name'),
    ({"tiers": [{"name": "ticket-slow", "enabled": False, "labels": {"x": "y"}}]},
     'spec.alerting.tiers[0]: "ticket-slow" is disabled, so it has no alert to carry labels or annotations'),
    ({"severities": {"warning": {"labels": {"x": "y"}}}}, "spec.alerting.severities.warning"),
])
def test_refused_with_the_field_named(alerting: dict[str, Any], problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_sla(document("checkout", "shop", alerting=alerting))
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems

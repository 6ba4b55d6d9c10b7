"""Generated alerts: one burn alert per tier, the state alerts, the absent and predicted-breach alerts,
and user text as Go-template literals."""

from __future__ import annotations

import re
from decimal import Decimal

import promql_parser
import pytest

from pledge.rules import generate
from pledge.rules.templates import literal
from pledge.slo.windows import alert_windows
from tests.support.generated import ALL, RATIO, alerts_of, all_slas, burn_tier, groups_of, rules_of
from tests.support.promql import ast_of, metric_of, nodes, recorded_names, strip
from tests.support.slas import with_spec


# --- (10) alerts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_burn_alert_per_tier(name: str) -> None:
    sla = all_slas()[name]
    tiers = alert_windows(sla.spec.alerting, sla.spec.window)
    for objective in sla.spec.objectives:
        order = [t.name for t in tiers]  # tiers on tiles alone sit in -tiles, which comes before -alerts
        burns = sorted((r for r in alerts_of(name, "SLAErrorBudgetBurn") if r.labels["objective"] == objective.name),
                       key=lambda r: order.index(burn_tier(r)))
        assert len(burns) == len(tiers)
        for rule, tier in zip(burns, tiers):
            labels = rule.labels
            assert labels["severity"] == tier.severity in ("page", "ticket")
            assert burn_tier(rule) == tier.name
            assert promql_parser.parse_duration(labels["long_window"]).total_seconds() == tier.long
            assert promql_parser.parse_duration(labels["short_window"]).total_seconds() == tier.short
            assert Decimal(labels["burn_rate"]) == tier.burn_rate
            windows = sorted(n for n in recorded_names(ast_of(rule.expr)))
            assert windows == sorted({f"pledge:sli_error_ratio:rate{labels['long_window']}",
                                      f"pledge:sli_error_ratio:rate{labels['short_window']}"})
            budget = (Decimal(100) - objective.target) / 100
            assert {Decimal(t) for t in re.findall(r"> ([0-9.]+)\)", rule.expr)} == {tier.burn_rate * budget}
            for key, value in sla.spec.alerting.labels.items():
                assert labels[key] == value
            assert "summary" in rule.annotations and "description" in rule.annotations


@pytest.mark.parametrize("name", ALL)
def test_budget_at_risk_only_with_a_warning(name: str) -> None:
    calendar = all_slas()[name].spec.window.calendar
    for objective in all_slas()[name].spec.objectives:
        at_risk = [r for r in alerts_of(name, "SLABudgetAtRisk") if r.labels["objective"] == objective.name]
        exhausted = [r for r in alerts_of(name, "SLABudgetExhausted") if r.labels["objective"] == objective.name]
        # a calendar period below target so far is behind, not breached (pledge.slo.budget.state)
        assert len(exhausted) == 1 and exhausted[0].labels["state"] == ("Breached" if calendar is None else "Behind")
        words = exhausted[0].annotations["summary"] + " " + exhausted[0].annotations["description"]
        if calendar is not None:
            assert f"so far this {calendar}" in words and f"only once the errors so far exceed the whole {calendar}'s budget" in words
            assert "is breached" not in words
        else:
            assert "the SLA is breached" in words
        if objective.warning is None:
            assert at_risk == []
        else:
            (rule,) = at_risk
            assert rule.labels["state"] == "AtRisk" and rule.labels["severity"] == "ticket"
            tolerance = (Decimal(100) - objective.warning) / 100
            budget = (Decimal(100) - objective.target) / 100
            top = strip(ast_of(rule.expr))
            assert str(top.op) == "<=" and Decimal(str(top.rhs.val)) == budget
            assert str(strip(top.lhs).op) == ">" and Decimal(repr(strip(top.lhs).rhs.val)) == tolerance


@pytest.mark.parametrize("name", ALL)
def test_absent_alert_iff_enabled(name: str) -> None:
    sla = all_slas()[name]
    absent = alerts_of(name, "SLAMetricAbsent")
    if not sla.spec.alerting.absent:
        assert absent == []
        return
    assert len(absent) == len(sla.spec.objectives)
    for rule in absent:
        assert rule.for_ == str(sla.spec.alerting.absent_for)
        parsed = strip(ast_of(rule.expr))
        if sla.spec.exclusions:
            parsed = strip(parsed.lhs)
        # fires only for series seen within the last day: never for a service that never had traffic
        assert str(parsed.op) == "unless"
        present = strip(parsed.lhs)
        assert isinstance(present, promql_parser.Call) and present.func.name == "present_over_time"


@pytest.mark.parametrize("name", ALL)
def test_runbook_annotation_iff_runbook(name: str) -> None:
    sla = all_slas()[name]
    alerts = alerts_of(name)
    assert alerts or sla.spec.alerting.policy == "none"
    for rule in alerts:
        assert rule.annotations.get("runbook_url") == sla.spec.alerting.runbook
        for key, value in sla.spec.alerting.annotations.items():
            assert rule.annotations[key] == value


def test_policy_none_keeps_only_state_alerts() -> None:
    names = sorted({r.alert for r in alerts_of("probes-quiet") if r.alert is not None})
    assert names == ["SLABudgetExhausted"]


def test_alert_names_are_the_documented_ones() -> None:
    names = {r.alert for n in ALL for r in alerts_of(n)}
    assert names == {"SLAErrorBudgetBurn", "SLABudgetAtRisk", "SLABudgetExhausted", "SLAMetricAbsent", "SLABreachPredicted"}


# --- (10b) predicted breach ------------------------------------------------------------------------------

GAUGE = "pledge_breach_probability"
EQUAL = promql_parser.MatchOp.Equal


@pytest.mark.parametrize("name", ALL)
def test_breach_predicted_alert_iff_enabled(name: str) -> None:
    sla = all_slas()[name]
    prediction = sla.spec.alerting.breach_prediction
    predicted = alerts_of(name, "SLABreachPredicted")
    if not prediction.enabled:
        assert predicted == []
        return
    assert [r.labels["objective"] for r in predicted] == [o.name for o in sla.spec.objectives]
    (group,) = [g for g in groups_of(name) if any(r in predicted for r in g.rules)]
    assert group.name.endswith("-alerts")
    for rule in predicted:
        assert rule.for_ == str(prediction.for_)
        assert rule.labels["severity"] == prediction.severity
        top = strip(ast_of(rule.expr))
        assert str(top.op) == ">=" and Decimal(repr(top.rhs.val)) == prediction.min_probability
        aggregation = strip(top.lhs)
        # one alert per group value, however many API replicas export the gauge
        assert str(aggregation.op) == "max"
        assert aggregation.modifier is None if not sla.spec.grouping else (
            aggregation.modifier.type == promql_parser.AggModifierType.By and aggregation.modifier.labels == sla.spec.grouping)
        gauge = strip(aggregation.expr)
        assert isinstance(gauge, promql_parser.VectorSelector) and gauge.name == GAUGE
        # the gauge's contract: the recorded series' identity labels (sla, sla_namespace, objective)
        assert {m.name: (m.op, m.value) for m in gauge.matchers.matchers} == {
            "sla": (EQUAL, sla.metadata.name), "sla_namespace": (EQUAL, sla.metadata.namespace),
            "objective": (EQUAL, rule.labels["objective"])}
        assert "summary" in rule.annotations and "{{ $value | humanizePercentage }}" in rule.annotations["description"]


def test_breach_predicted_labels_match_the_other_alerts() -> None:
    """Routing works the same as for the burn alerts: identity, service, sla_tier, owner and the SLA's labels."""
    for name in ("checkout-grouped", "two-objectives"):
        for predicted in alerts_of(name, "SLABreachPredicted"):
            (exhausted,) = [r for r in alerts_of(name, "SLABudgetExhausted") if r.labels["objective"] == predicted.labels["objective"]]
            expected = {k: v for k, v in exhausted.labels.items() if k not in ("state", "severity")}
            assert {k: v for k, v in predicted.labels.items() if k != "severity"} == expected
            assert predicted.annotations.keys() == exhausted.annotations.keys()


def test_breach_predicted_settings_reach_the_rule() -> None:
    (availability, latency) = alerts_of("two-objectives", "SLABreachPredicted")
    assert availability.expr == (f'max ({GAUGE}{{objective="availability",sla="two-objectives",sla_namespace="test"}})'
                                 " >= 0.925")
    assert (availability.for_, availability.labels["severity"]) == ("30m", "page")
    assert "fires from 92.5 %" in latency.annotations["description"]
    (grouped, _) = alerts_of("checkout-grouped", "SLABreachPredicted")
    assert grouped.expr.startswith("max by (customer) (") and grouped.expr.endswith(") >= 0.8")
    assert (grouped.for_, grouped.labels["severity"]) == ("15m", "ticket")
    assert "customer" not in grouped.labels and "{{ $labels.customer }}" in grouped.annotations["summary"]


@pytest.mark.parametrize("name", ALL)
def test_only_the_prediction_alert_reads_the_gauge(name: str) -> None:
    """SLAMetricAbsent and every recording rule ignore the gauge: a forecast that is missing says nothing
    about the SLI's data."""
    for rule in rules_of(name):
        reads = {metric_of(n) for n in nodes(ast_of(rule.expr)) if isinstance(n, promql_parser.VectorSelector)}
        assert (GAUGE in reads) == (rule.alert == "SLABreachPredicted"), rule.name


# --- user text is a Go-template literal in alerts ------------------------------------------------------


@pytest.mark.parametrize(("text", "escaped"), [
    ("team-payments", "team-payments"),
    ("{{ .Foo", '{{ "{{" }} .Foo'),
    ('{{ query "up" }}', '{{ "{{" }} query "up" {{ "}}" }}'),
    ("{{{", '{{ "{{" }}{'),
    ("a}}}", 'a{{ "}}" }}}'),
    ("{ } {x}", "{ } {x}"),
])
def test_literal_escapes_every_template_delimiter(text: str, escaped: str) -> None:
    assert literal(text) == escaped


def test_user_text_in_alerts_is_literal_and_pledge_templates_stay() -> None:
    sla = with_spec("hostile", {
        "service": "api", "owner": "team }} x", "objectives": [{"name": "availability", "target": "99.9", "sli": RATIO}],
        "alerting": {"labels": {"team": "{{ .Foo"}, "annotations": {"note": '{{ query "up" }}'},
                     "runbook": "https://x/{{ .Foo }}"},
    })
    alerts = [r for g in generate(sla) for r in g.rules if r.alert]
    assert alerts
    for alert in alerts:
        assert alert.labels["team"] == '{{ "{{" }} .Foo'
        assert alert.labels["owner"] == 'team {{ "}}" }} x'
        assert alert.annotations["note"] == '{{ "{{" }} query "up" {{ "}}" }}'
        assert alert.annotations["runbook_url"] == 'https://x/{{ "{{" }} .Foo {{ "}}" }}'
    burn = next(a for a in alerts if a.alert == "SLAErrorBudgetBurn")
    assert burn.annotations["description"].endswith("{{ $value | humanizePercentage }}.")
    recorded = [r for g in generate(sla) for r in g.rules if r.record and "owner" in r.labels]
    assert recorded and all(r.labels["owner"] == "team }} x" for r in recorded)  # recording labels are no templates

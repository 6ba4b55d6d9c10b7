"""The PromQL of generated rules: raw series read at most 1 h back, every division guarded, identity
and grouping labels kept by every aggregation and match, clean numbers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import promql_parser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge.rules import generate, rule_file, to_yaml
from tests.support.generated import (
    ALL,
    GROUPED,
    HOUR_TILES,
    IDENTITY,
    PERIOD_EVENTS,
    RATIO,
    RAW_RANGE_LIMIT,
    TILES,
    alerts_of,
    all_slas,
    fastest_first,
    groups_of,
    records_of,
    rules_of,
)
from tests.support.promql import (
    ast_of,
    is_label_replace,
    metric_of,
    nodes,
    or_chain,
    part_sums,
    raw_reach,
    reads_pledge_series,
    reads_raw_series,
    reads_series,
    strip,
)
from tests.support.slas import with_spec


# --- (3) no long range over raw metrics ----------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_no_long_range_over_raw_series(name: str) -> None:
    """increase(x[30d]) over raw series is exact but very slow: raw metrics are read at most 1h back;
    longer windows are built from recorded pledge: series."""
    long_reads_of_recorded = 0
    for rule in rules_of(name):
        for metric, reach in raw_reach(ast_of(rule.expr)):
            if metric.startswith("pledge:"):
                long_reads_of_recorded += reach > RAW_RANGE_LIMIT
            else:
                assert reach <= RAW_RANGE_LIMIT, f"{rule.name} reads {metric} {reach} back: {rule.expr[:200]}"
    assert long_reads_of_recorded, "the period figures must come from recorded series"


def test_raw_reach_helper_sees_subqueries() -> None:
    reach = dict(raw_reach(ast_of("max_over_time(rate(x[5m])[2h:1m]) + sum_over_time(pledge:a:b[30d])")))
    assert reach == {"x": dt.timedelta(hours=2, minutes=5), "pledge:a:b": dt.timedelta(days=30)}
    reach = dict(raw_reach(ast_of("(y - y offset 5m) + sum_over_time(z[55m] offset 10m)")))
    assert reach == {"y": dt.timedelta(minutes=5), "z": dt.timedelta(minutes=65)}


# --- (4) no NaN: every division that could be by zero is guarded ----------------------------------------


def _unguarded_divisions(expr: str) -> list[str]:
    bad = []
    for node in nodes(ast_of(expr)):
        if isinstance(node, promql_parser.BinaryExpr) and str(node.op) == "/":
            denominator = strip(node.rhs)
            if isinstance(denominator, promql_parser.NumberLiteral):
                if denominator.val == 0:
                    bad.append(denominator.prettify())
                continue
            guarded = (isinstance(denominator, promql_parser.BinaryExpr) and str(denominator.op) == ">"
                       and not (denominator.modifier and denominator.modifier.return_bool)
                       and isinstance(strip(denominator.rhs), promql_parser.NumberLiteral)
                       and strip(denominator.rhs).val == 0)
            if not guarded:
                bad.append(denominator.prettify()[:120])
    return bad


@pytest.mark.parametrize("name", ALL)
def test_every_division_is_guarded_against_zero(name: str) -> None:
    divisions = 0
    for rule in rules_of(name):
        assert not _unguarded_divisions(rule.expr), (rule.name, _unguarded_divisions(rule.expr))
        divisions += rule.expr.count(" / ")
    assert divisions


def test_division_guard_helper() -> None:
    assert _unguarded_divisions("a / (b > 0)") == []
    assert _unguarded_divisions("a / on(x) (sum(b) > 0)") == []
    assert _unguarded_divisions("1 - a / 0.001") == []
    assert _unguarded_divisions("a / b") == ["b"]
    assert _unguarded_divisions("a / (b >= 0)") != []
    assert _unguarded_divisions("a / (b > bool 0)") != []


# --- (5) identifying labels --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_every_rule_carries_sla_namespace_and_objective(name: str) -> None:
    sla = all_slas()[name]
    objectives = {o.name for o in sla.spec.objectives}
    for rule in rules_of(name):
        assert rule.labels["sla"] == sla.metadata.name, rule.name
        assert rule.labels["sla_namespace"] == sla.metadata.namespace, rule.name
        assert rule.labels["objective"] in objectives, rule.name
    for objective in objectives:
        assert any(r.labels["objective"] == objective for r in records_of(name))


@pytest.mark.parametrize("name", ALL)
def test_recorded_series_are_read_with_their_identity(name: str) -> None:
    """Every read of a pledge: series selects its own SLA and objective, so one SLA never reads another's."""
    for rule in rules_of(name):
        for node in nodes(ast_of(rule.expr)):
            if isinstance(node, promql_parser.VectorSelector) and metric_of(node).startswith("pledge:"):
                labels = {m.name: m.value for m in node.matchers.matchers}
                assert {k: labels.get(k) for k in IDENTITY} == {k: rule.labels[k] for k in IDENTITY}, rule.name


def test_recording_names_follow_the_convention() -> None:
    names = {r.record for n in ALL for r in records_of(n)}
    assert all(re.fullmatch(r"pledge:[a-z_]+:[a-z0-9_]+", n or "") for n in names), names
    assert {"pledge:sli_requests:rate5m", "pledge:sli_error_ratio:rate5m", "pledge:sli_error_ratio:rate1h",
            *TILES, *HOUR_TILES, *PERIOD_EVENTS, "pledge:sli_error_ratio:period", "pledge:error_budget_remaining:ratio",
            "pledge:error_budget:ratio", "pledge:slo_target:ratio"} <= names
    # the old base rates are gone: errors are recorded per window only as a ratio, or as tiles
    assert not any(n and n.startswith("pledge:sli_errors:rate") for n in names), names


# --- (6) clean numbers -----------------------------------------------------------------------------------

NOISY_FLOAT = re.compile(r"\d\.\d*(?:9{6,}|0{6,}[1-9])")


def test_noisy_float_pattern() -> None:
    assert NOISY_FLOAT.search("x > 0.0009999999")
    assert NOISY_FLOAT.search("vector(0.30000000004)")
    assert not NOISY_FLOAT.search("x > 0.001 and 1793498400 and 0.0144")


@pytest.mark.parametrize("name", ALL)
def test_numbers_are_clean(name: str) -> None:
    text = to_yaml(rule_file(groups_of(name)))
    assert not NOISY_FLOAT.findall(text)


def test_budget_and_burn_thresholds_for_99_9() -> None:
    records = {r.record: r for r in records_of("api-availability")}
    assert records["pledge:error_budget:ratio"].expr == "vector(0.001)"
    assert records["pledge:slo_target:ratio"].expr == "vector(0.999)"
    assert records["pledge:slo_warning:ratio"].expr == "vector(0.9995)"
    assert records["pledge:error_budget_remaining:ratio"].expr.endswith(" / 0.001")
    burns = fastest_first(alerts_of("api-availability", "SLAErrorBudgetBurn"))
    rendered = [re.findall(r"> ([0-9.]+)\)", r.expr) for r in burns]
    assert rendered == [["0.0144", "0.0144"], ["0.006", "0.006"], ["0.003", "0.003"], ["0.001", "0.001"]]
    assert [r.labels["burn_rate"] for r in burns] == ["14.4", "6", "3", "1"]
    text = to_yaml(rule_file(groups_of("api-availability")))
    for number in ("0.0144", "0.006", "0.003", "0.001"):
        assert f"> {number})" in text


@settings(max_examples=40)
@given(st.decimals(min_value=Decimal("50"), max_value=Decimal("99.999"), places=3))
def test_budget_renders_exactly_for_any_target(target: Decimal) -> None:
    sla = with_spec("prop", {"service": "x", "objectives": [{"name": "a", "target": str(target), "sli": RATIO}]})
    groups = generate(sla)
    budget = (Decimal(100) - target) / Decimal(100)
    records = {r.record: r for g in groups for r in g.rules if r.record}
    assert records["pledge:error_budget:ratio"].expr == f"vector({format(budget.normalize(), 'f')})"
    burns = fastest_first([r for g in groups for r in g.rules if r.alert == "SLAErrorBudgetBurn"])
    for rule, rate in zip(burns, ("14.4", "6", "3", "1"), strict=True):
        (threshold,) = set(re.findall(r"> ([0-9.]+)\)", rule.expr))
        assert Decimal(threshold) == Decimal(rate) * budget
        assert threshold == format((Decimal(rate) * budget).normalize(), "f")
    assert not NOISY_FLOAT.findall(to_yaml(rule_file(groups)))


# --- (7) grouping labels in by (...) and on(...) --------------------------------------------------------


@pytest.mark.parametrize("name", GROUPED)
def test_grouping_labels_are_kept_by_aggregations_and_matches(name: str) -> None:
    """Every aggregation keeps the grouping labels. A match between two recorded series is on the identity
    and grouping labels; one between a sum over raw series (grouping labels only) and a recorded series is
    `on(<grouping>)` exactly; a sum of tile parts is `by (sla, sla_namespace, objective, <grouping>)`."""
    grouping = all_slas()[name].spec.grouping
    assert grouping
    aggregations = matches = raw_matches = 0
    for rule in rules_of(name):
        parsed = ast_of(rule.expr)
        sums = part_sums(parsed)
        for node in nodes(parsed):
            if isinstance(node, promql_parser.AggregateExpr):
                aggregations += 1
                assert node.modifier is not None and node.modifier.type == promql_parser.AggModifierType.By, rule.name
                assert set(grouping) <= set(node.modifier.labels), (rule.name, node.modifier.labels)
                if any(node is p for p in sums):
                    assert node.modifier.labels == [*IDENTITY, *grouping] and str(node.op) == "sum", rule.name
                elif reads_pledge_series(node):
                    raise AssertionError(f"{rule.name}: an aggregation over recorded series outside the tile parts")
            if is_label_replace(node):
                # a part's label is dropped by its sum: every label_replace is a part of one
                assert any(any(node is part for part in or_chain(p.expr)) for p in sums), rule.name
            if isinstance(node, promql_parser.BinaryExpr) and node.modifier and node.modifier.matching:
                matching = node.modifier.matching
                if matching.labels:
                    assert matching.type == promql_parser.LabelModifierType.Include
                    if reads_raw_series(node.lhs) or reads_raw_series(node.rhs):
                        raw_matches += 1
                        assert matching.labels == grouping, (rule.name, matching.labels)
                    else:
                        matches += 1
                        assert matching.labels == [*IDENTITY, *grouping], (rule.name, matching.labels)
    assert aggregations and matches and raw_matches


@pytest.mark.parametrize("name", ALL)
def test_recorded_series_are_joined_on_identity_labels(name: str) -> None:
    """Two recorded series meet only `on(sla, sla_namespace, objective, <grouping>)`: extra labels such as
    Thanos external labels or a changed target label must not break the match. A sum over raw series (the
    grouping labels only) meets a recorded series `on(<grouping>)`: `or on(<grouping>) 0 * recorded` and
    `/ on(<grouping>) (recorded > 0)`. A plain `or` only unites tile parts that carry their own
    pledge_part label, or that exclude each other by time."""
    grouping = all_slas()[name].spec.grouping
    expected = [*IDENTITY, *grouping]
    joins = raw_joins = 0
    for rule in rules_of(name):
        parsed = ast_of(rule.expr)
        parts = {id(part) for p in part_sums(parsed) for part in or_chain(p.expr)}
        for node in nodes(parsed):
            if not isinstance(node, promql_parser.BinaryExpr) or str(node.op) not in ("/", "*", "-", "+", "and", "unless", "or"):
                continue
            if not (reads_series(node.lhs) and reads_series(node.rhs)):
                continue  # a number or a time condition (`and on() (vector(time()) ...)`)
            if not reads_pledge_series(node):
                continue  # the SLI's own arithmetic, e.g. a counter read at both ends
            matching = node.modifier.matching if node.modifier else None
            if str(node.op) == "or" and matching is None:
                assert {id(strip(n)) for n in or_chain(node)} <= parts, rule.name
                continue
            assert matching is not None and matching.type == promql_parser.LabelModifierType.Include, rule.name
            if reads_raw_series(node.lhs) or reads_raw_series(node.rhs):
                raw_joins += 1
                assert reads_pledge_series(node.lhs) or reads_pledge_series(node.rhs), rule.name
                assert matching.labels == grouping, (rule.name, matching.labels)
            else:
                joins += 1
                assert matching.labels == expected, (rule.name, matching.labels)
    # every kind: the sli group's error ratios divide a raw sum by the recorded requests rate
    assert joins and raw_joins


@pytest.mark.parametrize("label", ["tier", "service", "state"])
def test_static_alert_labels_never_overwrite_a_grouping_label(label: str) -> None:
    """Grouping by e.g. the customer's tier gives one alert per tier value; a static `tier` label set by
    pledge would overwrite it and make the alerts of every group collide on one label set (Prometheus
    refuses such an alert vector). The spec must reserve the name, or the alert must keep the group's value."""
    sla = with_spec("clash", {"service": "api", "grouping": [label],
                         "objectives": [{"name": "a", "target": "99", "warning": "99.5", "sli": RATIO}]})
    clobbered = sorted({r.alert for g in generate(sla) for r in g.rules if r.alert and label in r.labels})
    assert not clobbered, f"alerts that set the grouping label {label!r} statically: {clobbered}"


def test_burn_alerts_keep_the_sla_tier() -> None:
    """The SLA's tier (gold, silver: multilevel SLAs) is on every alert under one label name; the burn alert's
    own tier (page-fast, ...) must not replace it, or routing on the SLA tier misses the pages."""
    for name in ("acme-monthly", "checkout-grouped", "two-objectives"):
        sla_tier = all_slas()[name].spec.tier
        assert sla_tier
        alerts = alerts_of(name)
        carrying = [{k for k, v in r.labels.items() if v == sla_tier} for r in alerts]
        assert all(carrying), (name, [r.labels for r, c in zip(alerts, carrying) if not c][:1])
        assert set.intersection(*carrying), (name, carrying)  # one label name for it on every alert

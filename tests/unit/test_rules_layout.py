"""Generated rules: every expression parses, generation is deterministic, the groups' layout and
dependency levels, the PrometheusRule object, and a validated SLA never gives an invalid rule."""

from __future__ import annotations

import datetime as dt

import promql_parser
import pytest
import yaml

from pledge.rules import dependency_levels, generate, prometheus_rule, rule_file, rule_object_name, to_yaml
from pledge.slo.windows import alert_windows
from pledge.sla import parse_sla
from pledge.sla.errors import SpecError
from tests.support.generated import (
    ALL,
    EXAMPLE_FILES,
    HOUR_TILES,
    PERIOD_EVENTS,
    RAW_RANGE_LIMIT,
    SLI_RECORDS,
    TILES,
    all_slas,
    burn_tier,
    duration,
    groups_of,
    rules_of,
    window_of,
)
from tests.support.promql import ast_of, recorded_names
from tests.support.slas import with_spec


# --- (1) parse, (2) deterministic ------------------------------------------------------------------------


def test_fixtures_cover_every_example_and_sli_kind() -> None:
    assert len(EXAMPLE_FILES) >= 5
    kinds = {o.sli.kind for s in all_slas().values() for o in s.spec.objectives}
    assert kinds == {"ratio", "latency", "bool_gauge", "raw"}
    assert {s.spec.window.calendar for s in all_slas().values()} >= {"week", "month", "quarter", None}


@pytest.mark.parametrize("name", ALL)
def test_every_expression_parses(name: str) -> None:
    rules = rules_of(name)
    assert rules
    for rule in rules:
        ast_of(rule.expr)


@pytest.mark.parametrize("name", ALL)
def test_generation_is_deterministic(name: str) -> None:
    sla = all_slas()[name]
    first, second = generate(sla), generate(sla)
    assert first == second
    assert to_yaml(rule_file(first)) == to_yaml(rule_file(second))
    assert to_yaml(prometheus_rule(sla, first)) == to_yaml(prometheus_rule(sla, second))
    reparsed = parse_sla(sla.model_dump(by_alias=True, exclude_none=True))
    assert to_yaml(rule_file(generate(reparsed))) == to_yaml(rule_file(first))


@pytest.mark.parametrize("name", ALL)
def test_yaml_reads_back_as_the_same_data(name: str) -> None:
    data = rule_file(groups_of(name))
    assert yaml.safe_load(to_yaml(data)) == data


STATE_ALERTS = ("SLABudgetAtRisk", "SLABudgetExhausted", "SLAMetricAbsent")


@pytest.mark.parametrize("name", ALL)
def test_group_layout(name: str) -> None:
    """-sli (30 s): the raw windows up to 1 h; -tiles (5 m): tiles, long windows, period, state alerts and
    the burn alerts of tiers on tiles alone; -alerts (30 s): the burn alerts reading a raw window, and
    predicted-breach alerts."""
    sla = all_slas()[name]
    prefix = f"pledge-{sla.metadata.namespace}-{sla.metadata.name}"
    groups = groups_of(name)
    tiers = [t for o in sla.spec.objectives for t in alert_windows(sla.spec.alerting, sla.spec.window)]
    has_alerts = any(min(t.long, t.short) <= RAW_RANGE_LIMIT.total_seconds() for t in tiers) or sla.spec.alerting.breach_prediction.enabled
    expected = [(f"{prefix}-sli", 30), (f"{prefix}-tiles", 300)] + [(f"{prefix}-alerts", 30)] * has_alerts
    assert [(g.name, g.interval) for g in groups] == expected
    sli, tiles, *alerts = groups
    assert [g["interval"] for g in rule_file(groups)["groups"]] == ["30s", "5m", "30s"][:len(groups)]
    # sli: for each objective and window <= 1h (5m always), the requests rate then the error ratio
    for objective in sla.spec.objectives:
        mine = [r.record for r in sli.rules if r.labels["objective"] == objective.name]
        assert all(r and SLI_RECORDS.fullmatch(r) for r in mine), mine
        windows = sorted({window_of(r or "") for r in mine})
        assert windows[0] == dt.timedelta(minutes=5) and windows[-1] <= RAW_RANGE_LIMIT
        assert mine == [f"pledge:sli_{kind}:rate{duration(w)}" for w in windows for kind in ("requests", "error_ratio")]
    # tiles, per objective: records first (the requests tile before the errors tile, which reads it), then
    # the state alerts and the burn alerts on tiles, which read this evaluation's records
    assert {r.alert for r in tiles.rules if r.alert} <= {*STATE_ALERTS, "SLAErrorBudgetBurn"}
    tile_tiers = sorted(burn_tier(r) for r in tiles.rules if r.alert == "SLAErrorBudgetBurn")
    assert tile_tiers == sorted(t.name for t in tiers if min(t.long, t.short) > RAW_RANGE_LIMIT.total_seconds())
    assert all(window_of(r.record) > RAW_RANGE_LIMIT for r in tiles.rules
               if r.record and r.record.startswith("pledge:sli_error_ratio:rate"))
    for objective in sla.spec.objectives:
        ordered = [r for r in tiles.rules if r.labels["objective"] == objective.name]
        records = [r.record for r in ordered if r.record]
        assert [r.record for r in ordered[:len(records)]] == records
        assert records[:2] == [TILES[1], TILES[0]]
        assert records.index(HOUR_TILES[0]) > 1 and records.index(HOUR_TILES[1]) > 1
    for group in alerts:
        assert {r.alert for r in group.rules} <= {"SLAErrorBudgetBurn", "SLABreachPredicted"} and group.rules
    assert not any(r.alert for r in sli.rules)


# --- (8) dependency levels --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_dependency_levels(name: str) -> None:
    groups = groups_of(name)
    levels = dependency_levels(groups)
    assert len(levels) >= 3
    level_of: dict[str, set[int]] = {}
    for depth, level in enumerate(levels):
        for group in level:
            assert group.name in {g.name for g in groups}  # its own name: promtool's moments hash from it
            for rule in group.rules:
                level_of.setdefault(rule.record or "", set()).add(depth)
    assert "" not in level_of, "alerting rules are never backfilled"
    # raw metrics only: the requests rates and tiles (and the constants); the errors tile reads the requests tile
    # (a gauge's or raw SLI's errors tile reads no total: the gauge itself)
    raw_only = {n for n, depths in level_of.items() if depths == {0}}
    assert {"pledge:sli_requests:rate5m", TILES[1]} <= raw_only
    assert not {*HOUR_TILES, *PERIOD_EVENTS} & raw_only
    counters = {o.sli.kind for o in all_slas()[name].spec.objectives} <= {"ratio", "latency"}
    assert level_of[TILES[0]] == {int(counters)} and level_of[HOUR_TILES[1]] == {1}
    assert level_of[HOUR_TILES[0]] == {1 + int(counters)}
    for depth, level in enumerate(levels):
        for group in level:
            for rule in group.rules:
                reads = recorded_names(ast_of(rule.expr))
                for read in reads:
                    assert read in level_of, (rule.record, read)
                    assert max(level_of[read]) < depth, f"{rule.record} at level {depth} reads {read} at {level_of[read]}"
                if depth == 0:
                    assert not reads
                else:
                    assert reads and max(max(level_of[r]) for r in reads) == depth - 1, rule.record
    recorded = sorted((r.record or "", r.labels["objective"]) for g in groups for r in g.rules if r.record)
    leveled = sorted((r.record or "", r.labels["objective"]) for lvl in levels for g in lvl for r in g.rules)
    assert recorded == leveled
    intervals = {g.name: g.interval for g in groups}
    for level in levels:
        for group in level:
            assert group.interval == intervals[group.name]


def test_dependency_levels_of_nothing() -> None:
    assert dependency_levels([]) == []


# --- (9) PrometheusRule --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_prometheus_rule_object(name: str) -> None:
    sla = all_slas()[name]
    groups = groups_of(name)
    obj = prometheus_rule(sla, groups, labels={"release": "kube-prometheus", "prometheus": "main"})
    assert obj["apiVersion"] == "monitoring.coreos.com/v1"
    assert obj["kind"] == "PrometheusRule"
    assert obj["metadata"]["name"] == f"pledge-{sla.metadata.name}" == rule_object_name(sla)
    assert obj["metadata"]["namespace"] == sla.metadata.namespace
    labels = obj["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "pledge"
    assert labels["release"] == "kube-prometheus" and labels["prometheus"] == "main"
    assert labels["pledge.dev/sla"] == sla.metadata.name
    assert obj["spec"] == rule_file(groups)
    assert prometheus_rule(sla, groups)["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "pledge", "pledge.dev/sla": sla.metadata.name}


def test_extra_labels_cannot_unset_managed_by() -> None:
    sla = all_slas()["api-availability"]
    obj = prometheus_rule(sla, groups_of("api-availability"), labels={"app.kubernetes.io/managed-by": "helm"})
    assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pledge"


def test_rule_dict_shape() -> None:
    data = rule_file(groups_of("edge-probes"))
    first_alert = next(r for g in data["groups"] for r in g["rules"] if "alert" in r)
    first_record = data["groups"][0]["rules"][0]
    assert list(first_record) == ["record", "expr", "labels"]
    assert list(first_alert)[:2] == ["alert", "expr"]
    absent = next(r for g in data["groups"] for r in g["rules"] if r.get("alert") == "SLAMetricAbsent")
    assert absent["for"] == "15m"
    assert list(absent["labels"]) == sorted(absent["labels"])


# --- validated SLAs always give valid rules ------------------------------------------------------------------


@pytest.mark.parametrize("selector", [
    'http_requests_total{code="500"} offset 1m',
    'http_requests_total{code="500"} @ 1700000000',
])
def test_selector_modifiers_never_produce_invalid_rules(selector: str) -> None:
    """pledge appends [window] to a selector; `x offset 1m[5m]` is not PromQL. Such a selector must be
    rejected by the spec (or handled), never turned into a rule Prometheus refuses."""
    spec = {"service": "x", "objectives": [{"name": "a", "target": "99", "sli": {
        "ratio": {"errors": selector, "total": "http_requests_total"}}}]}
    try:
        sla = with_spec("modifiers", spec)
    except SpecError:
        return
    for group in generate(sla):
        for rule in group.rules:
            promql_parser.parse(rule.expr)

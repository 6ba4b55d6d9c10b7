"""pledge.rules.generate and render: what the generator must get right (DESIGN, "Rules").

Every check walks promql_parser's AST rather than matching text, so it holds for any spelling.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import promql_parser
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge.rules import dependency_levels, generate, prometheus_rule, rule_file, rule_object_name, to_yaml
from pledge.rules.model import Rule, RuleGroup
from pledge.rules.templates import literal
from pledge.slo.windows import alert_windows
from pledge.sla import parse_sla, parse_yaml
from pledge.sla.errors import SpecError
from pledge.sla.model import ServiceLevelAgreement

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = sorted((ROOT / "examples").glob("*.yaml"))
IDENTITY = ("sla", "sla_namespace", "objective")
RAW_RANGE_LIMIT = dt.timedelta(hours=1)
TILES = ("pledge:sli_errors:increase5m", "pledge:sli_requests:increase5m")  # (errors, requests) 5 m tiles
HOUR_TILES = ("pledge:sli_errors:increase1h", "pledge:sli_requests:increase1h")
TILE_STEP = {**dict.fromkeys(TILES, dt.timedelta(minutes=5)), **dict.fromkeys(HOUR_TILES, dt.timedelta(hours=1))}
PERIOD_EVENTS = ("pledge:sli_errors:period_increase", "pledge:sli_requests:period_increase")
MAX_SAMPLES = 10_000  # promtool's rule tests refuse a query over more samples per series


def _sla(name: str, spec: dict[str, Any], namespace: str = "test") -> ServiceLevelAgreement:
    return parse_sla({"apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement",
                      "metadata": {"name": name, "namespace": namespace}, "spec": spec})


RATIO = {"ratio": {"errors": 'http_requests_total{job="api",code=~"5.."}', "total": 'http_requests_total{job="api"}'}}

SYNTHETIC: dict[str, dict[str, Any]] = {
    # calendar week in New York, good/total, two grouping labels, a daily exclusion, custom tiers
    "weekly-good": {
        "service": "api", "customer": "globex", "window": {"calendar": "week", "timezone": "America/New_York"},
        "grouping": ["customer", "region"],
        "objectives": [{"name": "availability", "target": "99.95", "warning": "99.99",
                        "sli": {"ratio": {"good": 'http_requests_total{job="api",code!~"5.."}',
                                          "total": 'http_requests_total{job="api"}'}}}],
        "alerting": {"runbook": "https://runbooks.example/api", "tiers": [
            {"name": "ticket-slow", "enabled": False},
            {"name": "page-instant", "severity": "page", "longWindow": "10m", "budgetConsumed": "1"}]},
        "exclusions": [{"schedule": "daily", "at": "03:30", "duration": "30m", "timezone": "America/New_York"}],
    },
    # calendar quarter, latency without selector, grouped
    "quarterly-latency": {
        "service": "rpc", "window": {"calendar": "quarter", "timezone": "Asia/Kolkata"}, "grouping": ["customer"],
        "objectives": [{"name": "latency", "target": "95", "sli": {"latency": {
            "histogram": "rpc_duration_seconds", "threshold": 0.25, "buckets": [0.1, 0.25, 0.5]}}}],
    },
    # raw SLI with grouping over 90 days, an absolute exclusion
    "raw-grouped": {
        "service": "batch", "window": {"rolling": "90d"}, "grouping": ["pipeline"],
        "objectives": [{"name": "success", "target": "98.5",
                        "sli": {"raw": {"errorRatio": "1 - avg_over_time(job_success{kind=\"batch\"}[{{window}}])"}}}],
        "exclusions": [{"start": "2026-02-01T00:00:00Z", "end": "2026-02-01T06:00:00Z", "reason": "migration"}],
    },
    # bool gauge grouped by instance, alerting off, no absent alert
    "probes-quiet": {
        "service": "dns", "window": {"rolling": "7d"}, "grouping": ["instance"],
        "objectives": [{"name": "up", "target": "99", "sli": {"boolGauge": {"metric": 'probe_success{job="dns"}'}}}],
        "alerting": {"policy": "none", "absent": False},
    },
    # two objectives and one of every exclusion form, rolling 28d, no grouping
    "two-objectives": {
        "service": "shop", "tier": "silver", "owner": "team-shop", "window": {"rolling": "28d"},
        "objectives": [
            {"name": "availability", "target": "99.9", "sli": RATIO},
            {"name": "latency", "target": "99", "warning": "99.5", "sli": {"latency": {
                "histogram": "http_request_duration_seconds", "selector": '{job="api"}', "threshold": 1}}},
        ],
        "alerting": {"labels": {"team": "shop"}, "absent": True, "absentFor": "20m",
                     "breachPrediction": {"enabled": True, "minProbability": "0.925", "for": "30m", "severity": "page"}},
        "exclusions": [
            {"start": "2026-11-01T02:00:00Z", "end": "2026-11-01T04:00:00Z"},
            {"schedule": "weekly", "day": "saturday", "at": "23:00", "duration": "2h", "timezone": "Europe/Berlin"},
        ],
    },
}


@cache
def _slas() -> dict[str, ServiceLevelAgreement]:
    slas = {p.stem: parse_yaml(p.read_text())[0] for p in EXAMPLE_FILES}
    slas.update({name: _sla(name, spec) for name, spec in SYNTHETIC.items()})
    return slas


@cache
def _groups(name: str) -> list[RuleGroup]:
    return generate(_slas()[name])


@cache
def _parsed(expr: str) -> Any:
    return promql_parser.parse(expr)


ALL = [p.stem for p in EXAMPLE_FILES] + list(SYNTHETIC)
GROUPED = [n for n in ALL if n in ("checkout-grouped", "weekly-good", "quarterly-latency", "raw-grouped", "probes-quiet")]


def _rules(name: str) -> list[Rule]:
    return [r for g in _groups(name) for r in g.rules]


def _records(name: str) -> list[Rule]:
    return [r for r in _rules(name) if r.record]


def _alerts(name: str, alert: str | None = None) -> list[Rule]:
    return [r for r in _rules(name) if r.alert and (alert is None or r.alert == alert)]


def _fastest_first(burns: list[Rule]) -> list[Rule]:
    """Burn alerts by burn rate, highest first (the tiers' order): tiers on tiles alone sit in -tiles, which
    comes before -alerts."""
    return sorted(burns, key=lambda r: -float(r.labels["burn_rate"]))


def _burn_tier(rule: Rule) -> str:
    """The burn-rate tier (page-fast, ...) of an SLAErrorBudgetBurn alert: `burn_tier`, or `tier` if unset."""
    return rule.labels.get("burn_tier") or rule.labels["tier"]


# --- AST helpers -------------------------------------------------------------------------------------------


def _children(node: Any) -> list[Any]:
    kind = type(node).__name__
    if kind in ("ParenExpr", "UnaryExpr", "SubqueryExpr"):
        return [node.expr]
    if kind == "AggregateExpr":
        return [node.expr] + ([node.param] if isinstance(node.param, promql_parser.Expr) else [])
    if kind == "BinaryExpr":
        return [node.lhs, node.rhs]
    if kind == "Call":
        return list(node.args)
    if kind == "MatrixSelector":
        return [node.vector_selector]
    return []


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        yield from _nodes(child)


def _metric(selector: Any) -> str:
    if selector.name:
        return str(selector.name)
    return next((m.value for m in selector.matchers.matchers if m.name == "__name__"), "")


def _raw_reach(node: Any, reach: dt.timedelta = dt.timedelta()) -> Iterator[tuple[str, dt.timedelta]]:
    """(metric, how far back it is read) for every selector: ranges of enclosing subqueries add up."""
    kind = type(node).__name__
    if kind == "MatrixSelector":
        yield _metric(node.vector_selector), reach + node.range + (node.vector_selector.offset or dt.timedelta())
        return
    if kind == "VectorSelector":
        yield _metric(node), reach + (node.offset or dt.timedelta())
        return
    if kind == "SubqueryExpr":
        reach = reach + node.range
    for child in _children(node):
        yield from _raw_reach(child, reach)


def _strip(node: Any) -> Any:
    while type(node).__name__ == "ParenExpr":
        node = node.expr
    return node


def _recorded_names(node: Any) -> set[str]:
    return {_metric(n) for n in _nodes(node) if isinstance(n, promql_parser.VectorSelector)
            and _metric(n).startswith("pledge:")}


def _reads_pledge_series(node: Any) -> bool:
    return bool(_recorded_names(node))


# --- (1) parse, (2) deterministic ------------------------------------------------------------------------


def test_fixtures_cover_every_example_and_sli_kind() -> None:
    assert len(EXAMPLE_FILES) >= 5
    kinds = {o.sli.kind for s in _slas().values() for o in s.spec.objectives}
    assert kinds == {"ratio", "latency", "bool_gauge", "raw"}
    assert {s.spec.window.calendar for s in _slas().values()} >= {"week", "month", "quarter", None}


@pytest.mark.parametrize("name", ALL)
def test_every_expression_parses(name: str) -> None:
    rules = _rules(name)
    assert rules
    for rule in rules:
        _parsed(rule.expr)


@pytest.mark.parametrize("name", ALL)
def test_generation_is_deterministic(name: str) -> None:
    sla = _slas()[name]
    first, second = generate(sla), generate(sla)
    assert first == second
    assert to_yaml(rule_file(first)) == to_yaml(rule_file(second))
    assert to_yaml(prometheus_rule(sla, first)) == to_yaml(prometheus_rule(sla, second))
    reparsed = parse_sla(sla.model_dump(by_alias=True, exclude_none=True))
    assert to_yaml(rule_file(generate(reparsed))) == to_yaml(rule_file(first))


@pytest.mark.parametrize("name", ALL)
def test_yaml_reads_back_as_the_same_data(name: str) -> None:
    data = rule_file(_groups(name))
    assert yaml.safe_load(to_yaml(data)) == data


SLI_RECORDS = re.compile(r"pledge:sli_(requests|error_ratio):rate[0-9a-z]+")
STATE_ALERTS = ("SLABudgetAtRisk", "SLABudgetExhausted", "SLAMetricAbsent")


def _window_of(record: str) -> dt.timedelta:
    return promql_parser.parse_duration(record.rsplit(":rate", 1)[1])


@pytest.mark.parametrize("name", ALL)
def test_group_layout(name: str) -> None:
    """-sli (30 s): the raw windows up to 1 h; -tiles (5 m): tiles, long windows, period, state alerts and
    the burn alerts of tiers on tiles alone; -alerts (30 s): the burn alerts reading a raw window, and
    predicted-breach alerts."""
    sla = _slas()[name]
    prefix = f"pledge-{sla.metadata.namespace}-{sla.metadata.name}"
    groups = _groups(name)
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
        windows = sorted({_window_of(r or "") for r in mine})
        assert windows[0] == dt.timedelta(minutes=5) and windows[-1] <= RAW_RANGE_LIMIT
        assert mine == [f"pledge:sli_{kind}:rate{_duration(w)}" for w in windows for kind in ("requests", "error_ratio")]
    # tiles, per objective: records first (the requests tile before the errors tile, which reads it), then
    # the state alerts and the burn alerts on tiles, which read this evaluation's records
    assert {r.alert for r in tiles.rules if r.alert} <= {*STATE_ALERTS, "SLAErrorBudgetBurn"}
    tile_tiers = sorted(_burn_tier(r) for r in tiles.rules if r.alert == "SLAErrorBudgetBurn")
    assert tile_tiers == sorted(t.name for t in tiers if min(t.long, t.short) > RAW_RANGE_LIMIT.total_seconds())
    assert all(_window_of(r.record) > RAW_RANGE_LIMIT for r in tiles.rules
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


def _duration(delta: dt.timedelta) -> str:
    seconds, text = int(delta.total_seconds()), ""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if seconds >= size:
            text += f"{seconds // size}{unit}"
            seconds %= size
    return text


# --- (3) no long range over raw metrics ----------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_no_long_range_over_raw_series(name: str) -> None:
    """increase(x[30d]) over raw series is exact but very slow: raw metrics are read at most 1h back;
    longer windows are built from recorded pledge: series."""
    long_reads_of_recorded = 0
    for rule in _rules(name):
        for metric, reach in _raw_reach(_parsed(rule.expr)):
            if metric.startswith("pledge:"):
                long_reads_of_recorded += reach > RAW_RANGE_LIMIT
            else:
                assert reach <= RAW_RANGE_LIMIT, f"{rule.name} reads {metric} {reach} back: {rule.expr[:200]}"
    assert long_reads_of_recorded, "the period figures must come from recorded series"


def test_raw_reach_helper_sees_subqueries() -> None:
    reach = dict(_raw_reach(_parsed("max_over_time(rate(x[5m])[2h:1m]) + sum_over_time(pledge:a:b[30d])")))
    assert reach == {"x": dt.timedelta(hours=2, minutes=5), "pledge:a:b": dt.timedelta(days=30)}
    reach = dict(_raw_reach(_parsed("(y - y offset 5m) + sum_over_time(z[55m] offset 10m)")))
    assert reach == {"y": dt.timedelta(minutes=5), "z": dt.timedelta(minutes=65)}


# --- (4) no NaN: every division that could be by zero is guarded ----------------------------------------


def _unguarded_divisions(expr: str) -> list[str]:
    bad = []
    for node in _nodes(_parsed(expr)):
        if isinstance(node, promql_parser.BinaryExpr) and str(node.op) == "/":
            denominator = _strip(node.rhs)
            if isinstance(denominator, promql_parser.NumberLiteral):
                if denominator.val == 0:
                    bad.append(denominator.prettify())
                continue
            guarded = (isinstance(denominator, promql_parser.BinaryExpr) and str(denominator.op) == ">"
                       and not (denominator.modifier and denominator.modifier.return_bool)
                       and isinstance(_strip(denominator.rhs), promql_parser.NumberLiteral)
                       and _strip(denominator.rhs).val == 0)
            if not guarded:
                bad.append(denominator.prettify()[:120])
    return bad


@pytest.mark.parametrize("name", ALL)
def test_every_division_is_guarded_against_zero(name: str) -> None:
    divisions = 0
    for rule in _rules(name):
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
    sla = _slas()[name]
    objectives = {o.name for o in sla.spec.objectives}
    for rule in _rules(name):
        assert rule.labels["sla"] == sla.metadata.name, rule.name
        assert rule.labels["sla_namespace"] == sla.metadata.namespace, rule.name
        assert rule.labels["objective"] in objectives, rule.name
    for objective in objectives:
        assert any(r.labels["objective"] == objective for r in _records(name))


@pytest.mark.parametrize("name", ALL)
def test_recorded_series_are_read_with_their_identity(name: str) -> None:
    """Every read of a pledge: series selects its own SLA and objective, so one SLA never reads another's."""
    for rule in _rules(name):
        for node in _nodes(_parsed(rule.expr)):
            if isinstance(node, promql_parser.VectorSelector) and _metric(node).startswith("pledge:"):
                labels = {m.name: m.value for m in node.matchers.matchers}
                assert {k: labels.get(k) for k in IDENTITY} == {k: rule.labels[k] for k in IDENTITY}, rule.name


def test_recording_names_follow_the_convention() -> None:
    names = {r.record for n in ALL for r in _records(n)}
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
    text = to_yaml(rule_file(_groups(name)))
    assert not NOISY_FLOAT.findall(text)


def test_budget_and_burn_thresholds_for_99_9() -> None:
    records = {r.record: r for r in _records("api-availability")}
    assert records["pledge:error_budget:ratio"].expr == "vector(0.001)"
    assert records["pledge:slo_target:ratio"].expr == "vector(0.999)"
    assert records["pledge:slo_warning:ratio"].expr == "vector(0.9995)"
    assert records["pledge:error_budget_remaining:ratio"].expr.endswith(" / 0.001")
    burns = _fastest_first(_alerts("api-availability", "SLAErrorBudgetBurn"))
    rendered = [re.findall(r"> ([0-9.]+)\)", r.expr) for r in burns]
    assert rendered == [["0.0144", "0.0144"], ["0.006", "0.006"], ["0.003", "0.003"], ["0.001", "0.001"]]
    assert [r.labels["burn_rate"] for r in burns] == ["14.4", "6", "3", "1"]
    text = to_yaml(rule_file(_groups("api-availability")))
    for number in ("0.0144", "0.006", "0.003", "0.001"):
        assert f"> {number})" in text


@settings(max_examples=40, deadline=None)
@given(st.decimals(min_value=Decimal("50"), max_value=Decimal("99.999"), places=3))
def test_budget_renders_exactly_for_any_target(target: Decimal) -> None:
    sla = _sla("prop", {"service": "x", "objectives": [{"name": "a", "target": str(target), "sli": RATIO}]})
    groups = generate(sla)
    budget = (Decimal(100) - target) / Decimal(100)
    records = {r.record: r for g in groups for r in g.rules if r.record}
    assert records["pledge:error_budget:ratio"].expr == f"vector({format(budget.normalize(), 'f')})"
    burns = _fastest_first([r for g in groups for r in g.rules if r.alert == "SLAErrorBudgetBurn"])
    for rule, rate in zip(burns, ("14.4", "6", "3", "1"), strict=True):
        (threshold,) = set(re.findall(r"> ([0-9.]+)\)", rule.expr))
        assert Decimal(threshold) == Decimal(rate) * budget
        assert threshold == format((Decimal(rate) * budget).normalize(), "f")
    assert not NOISY_FLOAT.findall(to_yaml(rule_file(groups)))


# --- (7) grouping labels in by (...) and on(...) --------------------------------------------------------


def _reads_raw_series(node: Any) -> bool:
    return any(isinstance(n, promql_parser.VectorSelector) and not _metric(n).startswith("pledge:") for n in _nodes(node))


def _reads_series(node: Any) -> bool:
    return any(isinstance(n, promql_parser.VectorSelector) for n in _nodes(node))


def _is_label_replace(node: Any, label: str = "pledge_part") -> bool:
    node = _strip(node)
    return (isinstance(node, promql_parser.Call) and node.func.name == "label_replace"
            and node.args[1].val == label and [a.val for a in node.args[3:]] == ["", ""])


def _or_chain(node: Any) -> list[Any]:
    node = _strip(node)
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op) == "or" and not (node.modifier and node.modifier.matching):
        return _or_chain(node.lhs) + _or_chain(node.rhs)
    return [node]


def _part_sums(node: Any) -> list[Any]:
    """Every `sum by (...) (label_replace(...) or label_replace(...) ...)`: parts told apart by pledge_part."""
    return [n for n in _nodes(node) if isinstance(n, promql_parser.AggregateExpr)
            and all(_is_label_replace(part) for part in _or_chain(n.expr))]


@pytest.mark.parametrize("name", GROUPED)
def test_grouping_labels_are_kept_by_aggregations_and_matches(name: str) -> None:
    """Every aggregation keeps the grouping labels. A match between two recorded series is on the identity
    and grouping labels; one between a sum over raw series (grouping labels only) and a recorded series is
    `on(<grouping>)` exactly; a sum of tile parts is `by (sla, sla_namespace, objective, <grouping>)`."""
    grouping = _slas()[name].spec.grouping
    assert grouping
    aggregations = matches = raw_matches = 0
    for rule in _rules(name):
        parsed = _parsed(rule.expr)
        part_sums = _part_sums(parsed)
        for node in _nodes(parsed):
            if isinstance(node, promql_parser.AggregateExpr):
                aggregations += 1
                assert node.modifier is not None and node.modifier.type == promql_parser.AggModifierType.By, rule.name
                assert set(grouping) <= set(node.modifier.labels), (rule.name, node.modifier.labels)
                if any(node is p for p in part_sums):
                    assert node.modifier.labels == [*IDENTITY, *grouping] and str(node.op) == "sum", rule.name
                elif _reads_pledge_series(node):
                    raise AssertionError(f"{rule.name}: an aggregation over recorded series outside the tile parts")
            if _is_label_replace(node):
                # a part's label is dropped by its sum: every label_replace is a part of one
                assert any(any(node is part for part in _or_chain(p.expr)) for p in part_sums), rule.name
            if isinstance(node, promql_parser.BinaryExpr) and node.modifier and node.modifier.matching:
                matching = node.modifier.matching
                if matching.labels:
                    assert matching.type == promql_parser.LabelModifierType.Include
                    if _reads_raw_series(node.lhs) or _reads_raw_series(node.rhs):
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
    grouping = _slas()[name].spec.grouping
    expected = [*IDENTITY, *grouping]
    joins = raw_joins = 0
    for rule in _rules(name):
        parsed = _parsed(rule.expr)
        parts = {id(part) for p in _part_sums(parsed) for part in _or_chain(p.expr)}
        for node in _nodes(parsed):
            if not isinstance(node, promql_parser.BinaryExpr) or str(node.op) not in ("/", "*", "-", "+", "and", "unless", "or"):
                continue
            if not (_reads_series(node.lhs) and _reads_series(node.rhs)):
                continue  # a number or a time condition (`and on() (vector(time()) ...)`)
            if not _reads_pledge_series(node):
                continue  # the SLI's own arithmetic, e.g. a counter read at both ends
            matching = node.modifier.matching if node.modifier else None
            if str(node.op) == "or" and matching is None:
                assert {id(_strip(n)) for n in _or_chain(node)} <= parts, rule.name
                continue
            assert matching is not None and matching.type == promql_parser.LabelModifierType.Include, rule.name
            if _reads_raw_series(node.lhs) or _reads_raw_series(node.rhs):
                raw_joins += 1
                assert _reads_pledge_series(node.lhs) or _reads_pledge_series(node.rhs), rule.name
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
    sla = _sla("clash", {"service": "api", "grouping": [label],
                         "objectives": [{"name": "a", "target": "99", "warning": "99.5", "sli": RATIO}]})
    clobbered = sorted({r.alert for g in generate(sla) for r in g.rules if r.alert and label in r.labels})
    assert not clobbered, f"alerts that set the grouping label {label!r} statically: {clobbered}"


def test_burn_alerts_keep_the_sla_tier() -> None:
    """The SLA's tier (gold, silver: multilevel SLAs) is on every alert under one label name; the burn alert's
    own tier (page-fast, ...) must not replace it, or routing on the SLA tier misses the pages."""
    for name in ("acme-monthly", "checkout-grouped", "two-objectives"):
        sla_tier = _slas()[name].spec.tier
        assert sla_tier
        alerts = _alerts(name)
        carrying = [{k for k, v in r.labels.items() if v == sla_tier} for r in alerts]
        assert all(carrying), (name, [r.labels for r, c in zip(alerts, carrying) if not c][:1])
        assert set.intersection(*carrying), (name, carrying)  # one label name for it on every alert


# --- (8) dependency levels --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_dependency_levels(name: str) -> None:
    groups = _groups(name)
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
    counters = {o.sli.kind for o in _slas()[name].spec.objectives} <= {"ratio", "latency"}
    assert level_of[TILES[0]] == {int(counters)} and level_of[HOUR_TILES[1]] == {1}
    assert level_of[HOUR_TILES[0]] == {1 + int(counters)}
    for depth, level in enumerate(levels):
        for group in level:
            for rule in group.rules:
                reads = _recorded_names(_parsed(rule.expr))
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
    sla = _slas()[name]
    groups = _groups(name)
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
    sla = _slas()["api-availability"]
    obj = prometheus_rule(sla, _groups("api-availability"), labels={"app.kubernetes.io/managed-by": "helm"})
    assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pledge"


def test_rule_dict_shape() -> None:
    data = rule_file(_groups("edge-probes"))
    first_alert = next(r for g in data["groups"] for r in g["rules"] if "alert" in r)
    first_record = data["groups"][0]["rules"][0]
    assert list(first_record) == ["record", "expr", "labels"]
    assert list(first_alert)[:2] == ["alert", "expr"]
    absent = next(r for g in data["groups"] for r in g["rules"] if r.get("alert") == "SLAMetricAbsent")
    assert absent["for"] == "15m"
    assert list(absent["labels"]) == sorted(absent["labels"])


# --- (10) alerts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_burn_alert_per_tier(name: str) -> None:
    sla = _slas()[name]
    tiers = alert_windows(sla.spec.alerting, sla.spec.window)
    for objective in sla.spec.objectives:
        order = [t.name for t in tiers]  # tiers on tiles alone sit in -tiles, which comes before -alerts
        burns = sorted((r for r in _alerts(name, "SLAErrorBudgetBurn") if r.labels["objective"] == objective.name),
                       key=lambda r: order.index(_burn_tier(r)))
        assert len(burns) == len(tiers)
        for rule, tier in zip(burns, tiers):
            labels = rule.labels
            assert labels["severity"] == tier.severity in ("page", "ticket")
            assert _burn_tier(rule) == tier.name
            assert promql_parser.parse_duration(labels["long_window"]).total_seconds() == tier.long
            assert promql_parser.parse_duration(labels["short_window"]).total_seconds() == tier.short
            assert Decimal(labels["burn_rate"]) == tier.burn_rate
            windows = sorted(n for n in _recorded_names(_parsed(rule.expr)))
            assert windows == sorted({f"pledge:sli_error_ratio:rate{labels['long_window']}",
                                      f"pledge:sli_error_ratio:rate{labels['short_window']}"})
            budget = (Decimal(100) - objective.target) / 100
            assert {Decimal(t) for t in re.findall(r"> ([0-9.]+)\)", rule.expr)} == {tier.burn_rate * budget}
            for key, value in sla.spec.alerting.labels.items():
                assert labels[key] == value
            assert "summary" in rule.annotations and "description" in rule.annotations


@pytest.mark.parametrize("name", ALL)
def test_budget_at_risk_only_with_a_warning(name: str) -> None:
    for objective in _slas()[name].spec.objectives:
        at_risk = [r for r in _alerts(name, "SLABudgetAtRisk") if r.labels["objective"] == objective.name]
        exhausted = [r for r in _alerts(name, "SLABudgetExhausted") if r.labels["objective"] == objective.name]
        assert len(exhausted) == 1 and exhausted[0].labels["state"] == "Breached"
        if objective.warning is None:
            assert at_risk == []
        else:
            (rule,) = at_risk
            assert rule.labels["state"] == "AtRisk" and rule.labels["severity"] == "ticket"
            tolerance = (Decimal(100) - objective.warning) / 100
            budget = (Decimal(100) - objective.target) / 100
            top = _strip(_parsed(rule.expr))
            assert str(top.op) == "<=" and Decimal(str(top.rhs.val)) == budget
            assert str(_strip(top.lhs).op) == ">" and Decimal(repr(_strip(top.lhs).rhs.val)) == tolerance


@pytest.mark.parametrize("name", ALL)
def test_absent_alert_iff_enabled(name: str) -> None:
    sla = _slas()[name]
    absent = _alerts(name, "SLAMetricAbsent")
    if not sla.spec.alerting.absent:
        assert absent == []
        return
    assert len(absent) == len(sla.spec.objectives)
    for rule in absent:
        assert rule.for_ == str(sla.spec.alerting.absent_for)
        parsed = _strip(_parsed(rule.expr))
        if sla.spec.exclusions:
            parsed = _strip(parsed.lhs)
        # fires only for series seen within the last day: never for a service that never had traffic
        assert str(parsed.op) == "unless"
        present = _strip(parsed.lhs)
        assert isinstance(present, promql_parser.Call) and present.func.name == "present_over_time"


@pytest.mark.parametrize("name", ALL)
def test_runbook_annotation_iff_runbook(name: str) -> None:
    sla = _slas()[name]
    alerts = _alerts(name)
    assert alerts or sla.spec.alerting.policy == "none"
    for rule in alerts:
        assert rule.annotations.get("runbook_url") == sla.spec.alerting.runbook
        for key, value in sla.spec.alerting.annotations.items():
            assert rule.annotations[key] == value


def test_policy_none_keeps_only_state_alerts() -> None:
    names = sorted({r.alert for r in _alerts("probes-quiet") if r.alert is not None})
    assert names == ["SLABudgetExhausted"]


def test_alert_names_are_the_documented_ones() -> None:
    names = {r.alert for n in ALL for r in _alerts(n)}
    assert names == {"SLAErrorBudgetBurn", "SLABudgetAtRisk", "SLABudgetExhausted", "SLAMetricAbsent", "SLABreachPredicted"}


# --- (10b) predicted breach ------------------------------------------------------------------------------

GAUGE = "pledge_breach_probability"
EQUAL = promql_parser.MatchOp.Equal


@pytest.mark.parametrize("name", ALL)
def test_breach_predicted_alert_iff_enabled(name: str) -> None:
    sla = _slas()[name]
    prediction = sla.spec.alerting.breach_prediction
    predicted = _alerts(name, "SLABreachPredicted")
    if not prediction.enabled:
        assert predicted == []
        return
    assert [r.labels["objective"] for r in predicted] == [o.name for o in sla.spec.objectives]
    (group,) = [g for g in _groups(name) if any(r in predicted for r in g.rules)]
    assert group.name.endswith("-alerts")
    for rule in predicted:
        assert rule.for_ == str(prediction.for_)
        assert rule.labels["severity"] == prediction.severity
        top = _strip(_parsed(rule.expr))
        assert str(top.op) == ">=" and Decimal(repr(top.rhs.val)) == prediction.min_probability
        aggregation = _strip(top.lhs)
        # one alert per group value, however many API replicas export the gauge
        assert str(aggregation.op) == "max"
        assert aggregation.modifier is None if not sla.spec.grouping else (
            aggregation.modifier.type == promql_parser.AggModifierType.By and aggregation.modifier.labels == sla.spec.grouping)
        gauge = _strip(aggregation.expr)
        assert isinstance(gauge, promql_parser.VectorSelector) and gauge.name == GAUGE
        # the gauge's contract: sla, namespace (the SLA's), objective -- not the recorded series' sla_namespace
        assert {m.name: (m.op, m.value) for m in gauge.matchers.matchers} == {
            "sla": (EQUAL, sla.metadata.name), "namespace": (EQUAL, sla.metadata.namespace),
            "objective": (EQUAL, rule.labels["objective"])}
        assert "summary" in rule.annotations and "{{ $value | humanizePercentage }}" in rule.annotations["description"]


def test_breach_predicted_labels_match_the_other_alerts() -> None:
    """Routing works the same as for the burn alerts: identity, service, sla_tier, owner and the SLA's labels."""
    for name in ("checkout-grouped", "two-objectives"):
        for predicted in _alerts(name, "SLABreachPredicted"):
            (exhausted,) = [r for r in _alerts(name, "SLABudgetExhausted") if r.labels["objective"] == predicted.labels["objective"]]
            expected = {k: v for k, v in exhausted.labels.items() if k not in ("state", "severity")}
            assert {k: v for k, v in predicted.labels.items() if k != "severity"} == expected
            assert predicted.annotations.keys() == exhausted.annotations.keys()


def test_breach_predicted_settings_reach_the_rule() -> None:
    (availability, latency) = _alerts("two-objectives", "SLABreachPredicted")
    assert availability.expr == (f'max ({GAUGE}{{namespace="test",objective="availability",sla="two-objectives"}})'
                                 " >= 0.925")
    assert (availability.for_, availability.labels["severity"]) == ("30m", "page")
    assert "fires from 92.5 %" in latency.annotations["description"]
    (grouped, _) = _alerts("checkout-grouped", "SLABreachPredicted")
    assert grouped.expr.startswith("max by (customer) (") and grouped.expr.endswith(") >= 0.8")
    assert (grouped.for_, grouped.labels["severity"]) == ("15m", "ticket")
    assert "customer" not in grouped.labels and "{{ $labels.customer }}" in grouped.annotations["summary"]


@pytest.mark.parametrize("name", ALL)
def test_only_the_prediction_alert_reads_the_gauge(name: str) -> None:
    """SLAMetricAbsent and every recording rule ignore the gauge: a forecast that is missing says nothing
    about the SLI's data."""
    for rule in _rules(name):
        reads = {_metric(n) for n in _nodes(_parsed(rule.expr)) if isinstance(n, promql_parser.VectorSelector)}
        assert (GAUGE in reads) == (rule.alert == "SLABreachPredicted"), rule.name


# --- (11) exclusions -------------------------------------------------------------------------------------


def _is_masked(expr: str) -> bool:
    top = _strip(_parsed(expr))
    if not (isinstance(top, promql_parser.BinaryExpr) and str(top.op) == "unless"):
        return False
    matching = top.modifier.matching if top.modifier else None
    return (matching is not None and matching.type == promql_parser.LabelModifierType.Include
            and matching.labels == [] and not _reads_pledge_series(top.rhs)
            and not any(_metric(n) for n in _nodes(top.rhs) if isinstance(n, promql_parser.VectorSelector)))


MASKED_ALERTS = ("SLAErrorBudgetBurn", "SLAMetricAbsent")


@pytest.mark.parametrize("name", ALL)
def test_exclusions_mask_tiles_and_burn_alerts(name: str) -> None:
    """Maintenance drops the 5 m tiles (so every long window and the period leave it out) and silences the
    burn and absent alerts; nothing else is masked: the rest reads the masked tiles."""
    sla = _slas()[name]
    tiles = [r for r in _records(name) if r.record in TILES]
    alerts = [r for r in _alerts(name) if r.alert in MASKED_ALERTS]
    assert len(tiles) == 2 * len(sla.spec.objectives)
    others = [r for r in _rules(name) if r not in tiles and r not in alerts]
    assert not any(_is_masked(r.expr) or "unless on()" in r.expr for r in others)
    if sla.spec.exclusions:
        assert all(_is_masked(r.expr) for r in tiles + alerts)
        assert all("unless on()" in r.expr for r in tiles + alerts)
    else:
        assert not any(_is_masked(r.expr) for r in tiles + alerts)
        assert not any("unless on()" in r.expr for r in _rules(name))


def test_absolute_exclusion_is_held_for_the_windows_that_saw_it() -> None:
    """A 5 m tile touching maintenance is dropped whole: the mask holds 5 minutes after it ends. A burn alert
    with a raw window (<= 1h) stays silent until that window is past maintenance; one on tiles only needs
    no extension (its tiles are masked already)."""
    end = int(dt.datetime(2026, 11, 1, 4, tzinfo=dt.timezone.utc).timestamp())
    for tile in (r for r in _records("two-objectives") if r.record in TILES):
        assert f"< {end + 300})" in tile.expr
    for absent in _alerts("two-objectives", "SLAMetricAbsent"):
        assert f"< {end + 300})" in absent.expr
    burns = {_burn_tier(r): r for r in _alerts("two-objectives", "SLAErrorBudgetBurn") if r.labels["objective"] == "latency"}
    assert (burns["page-fast"].labels["long_window"], burns["page-fast"].labels["short_window"]) == ("56m", "5m")
    assert f"< {end + 56 * 60})" in burns["page-fast"].expr
    assert burns["page-slow"].labels["short_window"] == "28m" and f"< {end + 28 * 60})" in burns["page-slow"].expr
    for tier in ("ticket-fast", "ticket-slow"):
        windows = [promql_parser.parse_duration(burns[tier].labels[k]) for k in ("long_window", "short_window")]
        assert min(windows) > RAW_RANGE_LIMIT and f"< {end})" in burns[tier].expr


def test_recurring_exclusion_is_held_for_the_windows_that_saw_it() -> None:
    """The daily 30 min window of weekly-good: tiles and the absent alert held 5 min longer, burn alerts by
    their raw window."""
    for rule in _rules("weekly-good"):
        held = [int(n) for n in re.findall(r"% 86400 < (\d+)\)", rule.expr)]
        if rule.record in TILES or rule.alert == "SLAMetricAbsent":
            assert held == [1800 + 300], rule.name
        elif rule.alert == "SLAErrorBudgetBurn":
            raw = [promql_parser.parse_duration(rule.labels[k]) for k in ("long_window", "short_window")]
            reach = max((w for w in raw if w <= RAW_RANGE_LIMIT), default=dt.timedelta())
            assert held == [1800 + int(reach.total_seconds())], rule.name
        else:
            assert held == [], rule.name


# --- (12) tiles, hour tiles, calendar windows ------------------------------------------------------------


def _matrices(node: Any) -> list[Any]:
    return [n for n in _nodes(node) if isinstance(n, promql_parser.MatrixSelector)]


def _offset(matrix: Any) -> dt.timedelta:
    return matrix.vector_selector.offset or dt.timedelta()


def _selector_labels(selector: Any) -> dict[str, str]:
    return {m.name: m.value for m in selector.matchers.matchers if m.name != "__name__"}


def _hour_condition(node: Any) -> tuple[int, int] | None:
    """(a, b) of `on() (vector(time()) % 3600 >= a < b)`, the evaluation of the tiles group in the hour."""
    node = _strip(node)
    text = node.prettify().replace("\n", " ")
    found = re.fullmatch(r"\(?\s*vector\(time\(\)\) % 3600 >= (\d+) < (\d+)\s*\)?", " ".join(text.split()))
    return (int(found[1]), int(found[2])) if found else None


@pytest.mark.parametrize("name", ALL)
def test_tiles_read_counters_at_both_ends(name: str) -> None:
    """A 5 m tile is the counter's growth over 5 m read at both ends, `(x - x offset 5m) >= 0 or
    (x and x offset 5m)`: not extrapolated, so tiles add up to exactly what the counters grew by."""
    sla = _slas()[name]
    for rule in (r for r in _records(name) if r.record in TILES):
        objective = next(o for o in sla.spec.objectives if o.name == rule.labels["objective"])
        parsed = _parsed(rule.expr)
        if objective.sli.kind in ("bool_gauge", "raw"):
            ranges = {n.range for n in _nodes(parsed) if isinstance(n, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr))}
            assert ranges == {dt.timedelta(minutes=5)} and " * 300" in rule.expr, rule.name
            continue
        growths = [n for n in _nodes(parsed) if isinstance(n, promql_parser.BinaryExpr) and str(n.op) == "or"
                   and not (n.modifier and n.modifier.matching) and _reads_series(n)]
        counters = [n for n in _nodes(parsed) if isinstance(n, promql_parser.VectorSelector) and not _metric(n).startswith("pledge:")]
        assert growths and len(counters) == 4 * len(growths), rule.name  # every counter read is in one
        for growth in growths:
            difference, both = _strip(growth.lhs), _strip(growth.rhs)
            assert str(difference.op) == ">=" and _strip(difference.rhs).val == 0
            now, then = _strip(_strip(difference.lhs).lhs), _strip(_strip(difference.lhs).rhs)
            assert str(_strip(difference.lhs).op) == "-" and str(both.op) == "and"
            assert [_strip(both.lhs).prettify(), _strip(both.rhs).prettify()] == [now.prettify(), then.prettify()]
            assert now.offset is None and then.offset == dt.timedelta(minutes=5)
            assert _selector_labels(now) == _selector_labels(then) and _metric(now) == _metric(then)


@pytest.mark.parametrize("name", ALL)
def test_hour_tiles_read_only_the_5m_tiles_of_the_hour_before(name: str) -> None:
    """An hour tile, recorded at the second evaluation of an hour, sums the twelve 5 m tiles of its kind
    recorded up to the first (`[55m1s] offset 5m`); rolling SLAs record one per kind, calendar SLAs three,
    tagged `pledge_period="0|1|2"` (the period the hour started in, modulo 3)."""
    sla = _slas()[name]
    calendar = sla.spec.window.calendar is not None
    for objective in sla.spec.objectives:
        for tile, hour_tile in zip(TILES, HOUR_TILES):
            rules = [r for r in _records(name) if r.record == hour_tile and r.labels["objective"] == objective.name]
            periods = sorted(r.labels.get("pledge_period", "") for r in rules)
            assert periods == (["0", "1", "2"] if calendar else [""])
            for rule in rules:
                parsed = _parsed(rule.expr)
                assert _recorded_names(parsed) == {tile}, rule.name
                (matrix,) = _matrices(parsed)
                assert (matrix.range, _offset(matrix)) == (dt.timedelta(minutes=55, seconds=1), dt.timedelta(minutes=5))
                top = _strip(parsed)
                conditions = []
                while isinstance(top, promql_parser.BinaryExpr) and str(top.op) == "and":
                    assert top.modifier is not None and top.modifier.matching is not None
                    assert top.modifier.matching.labels == [] and not _reads_series(top.rhs)
                    conditions.append(top.rhs)
                    top = _strip(top.lhs)
                assert isinstance(top, promql_parser.Call) and top.func.name == "sum_over_time"
                assert _hour_condition(conditions[-1]) == (300, 600)
                if calendar:
                    (index,) = conditions[:-1]
                    modulo = _strip(index)
                    assert str(modulo.op) == "==" and modulo.rhs.val == int(rule.labels["pledge_period"])
                    assert str(_strip(modulo.lhs).op) == "%" and _strip(modulo.lhs).rhs.val == 3
                else:
                    assert len(conditions) == 1


LONGEST = {"week": dt.timedelta(days=7), "month": dt.timedelta(days=31), "quarter": dt.timedelta(days=92)}


@pytest.mark.parametrize(("name", "calendar"), [("acme-monthly", "month"), ("weekly-good", "week"),
                                                ("quarterly-latency", "quarter")])
def test_calendar_period_reads_tagged_hour_tiles_and_5m_tiles(name: str, calendar: str) -> None:
    """A calendar period: the hour tiles tagged with the current period's index (each of the three tags over
    the longest period), plus the 5 m tiles since the newest hour tile; no subquery."""
    sla = _slas()[name]
    assert sla.spec.window.calendar == calendar
    for objective in sla.spec.objectives:
        mine = {r.record: r for r in _records(name) if r.labels["objective"] == objective.name}
        for period, tile, hour_tile in zip(PERIOD_EVENTS, TILES, HOUR_TILES):
            parsed = _parsed(mine[period].expr)
            assert not any(isinstance(n, promql_parser.SubqueryExpr) for n in _nodes(parsed))
            assert _recorded_names(parsed) == {tile, hour_tile}
            (part_sum,) = _part_sums(parsed)
            assert _strip(parsed) is part_sum or _strip(parsed).prettify() == part_sum.prettify()
            hours = [m for m in _matrices(parsed) if _metric(m.vector_selector) == hour_tile]
            assert sorted(_selector_labels(m.vector_selector).get("pledge_period", "") for m in hours) == ["0", "1", "2"]
            assert all(m.range == LONGEST[calendar] and _offset(m) == dt.timedelta() for m in hours)
            recent = [m for m in _matrices(parsed) if _metric(m.vector_selector) == tile]
            # one part per evaluation of the hour: the 5 m tiles since the newest hour tile
            assert sorted(m.range for m in recent) == sorted(
                dt.timedelta(seconds=max(1, k * 300 - 299)) for k in [12, *range(1, 12)])
            assert all(_offset(m) == dt.timedelta() for m in recent)
            conditions = sorted(c for p in _or_chain(part_sum.expr) for n in _nodes(p)
                                if isinstance(n, promql_parser.BinaryExpr) and (c := _hour_condition(n)) is not None)
            assert conditions == [(k * 300, k * 300 + 300) for k in range(12)]
        assert mine["pledge:slo_period:seconds"].expr == "vector(%d)" % {
            "week": 7 * 86_400, "month": 30 * 86_400, "quarter": 91 * 86_400}[calendar]


@pytest.mark.parametrize("name", [n for n in ALL if _slas()[n].spec.window.rolling is not None])
def test_rolling_period_sums_tiles(name: str) -> None:
    """A rolling period up to 31 days: one sum of the 5 m tiles that started within it; longer: hour tiles
    patched at both ends with 5 m tiles. No subquery over recorded series."""
    sla = _slas()[name]
    rolling = dt.timedelta(seconds=int(sla.spec.window.rolling or 0))
    for rule in _rules(name):
        assert not any(isinstance(n, promql_parser.SubqueryExpr) and _reads_pledge_series(n) for n in _nodes(_parsed(rule.expr)))
        if rule.record not in PERIOD_EVENTS:
            continue
        tile = TILES[PERIOD_EVENTS.index(rule.record)]
        parsed = _parsed(rule.expr)
        if rolling <= dt.timedelta(days=31):
            call = _strip(parsed)
            assert isinstance(call, promql_parser.Call) and call.func.name == "sum_over_time"
            (matrix,) = call.args
            assert _metric(matrix.vector_selector) == tile and _offset(matrix) == dt.timedelta()
            assert matrix.range + dt.timedelta(minutes=5) - dt.timedelta(seconds=1) == rolling
        else:
            assert _recorded_names(parsed) == {tile, HOUR_TILES[TILES.index(tile)]}
            assert _part_sums(parsed)


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
        sla = _sla("modifiers", spec)
    except SpecError:
        return
    for group in generate(sla):
        for rule in group.rules:
            promql_parser.parse(rule.expr)


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
    sla = _sla("hostile", {
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


# --- (13) tiles: counters read once, bounded ranges, every tile counted once ---------------------------------


def _total_selector(objective: Any) -> Any:
    """The SLI's valid-events counter as a parsed selector (ratio: total; latency: the histogram's _count)."""
    sli = objective.sli
    if sli.ratio is not None:
        return promql_parser.parse(sli.ratio.total)
    own = sli.latency.selector or ""
    return promql_parser.parse(f"{sli.latency.histogram}_count{own}")


def _same_selector(a: Any, b: Any) -> bool:
    def key(s: Any) -> set[tuple[str, str, str]]:
        return {(m.name, str(m.op), m.value) for m in s.matchers.matchers if m.name != "__name__"}
    return _metric(a) == _metric(b) and key(a) == key(b)


@pytest.mark.parametrize("name", [n for n in ALL if any(o.sli.kind in ("ratio", "latency") for o in _slas()[n].spec.objectives)])
def test_no_rule_reads_a_raw_total_twice(name: str) -> None:
    """The valid-events counter is read by the requests rate of each raw window and by the requests tile
    only; each error ratio (<= 1h) and errors tile reads the recorded requests of its own window instead."""
    for objective in _slas()[name].spec.objectives:
        if objective.sli.kind not in ("ratio", "latency"):
            continue
        total = _total_selector(objective)
        mine = [r for r in _rules(name) if r.labels["objective"] == objective.name]
        readers = [r.record for r in mine if any(isinstance(n, promql_parser.VectorSelector) and _same_selector(n, total)
                                                 for n in _nodes(_parsed(r.expr)))]
        windows = sorted({w for r in mine if r.record and SLI_RECORDS.fullmatch(r.record)
                          and (w := _window_of(r.record)) <= RAW_RANGE_LIMIT})
        assert sorted(readers, key=str) == sorted([f"pledge:sli_requests:rate{_duration(w)}" for w in windows] + [TILES[1]],
                                                   key=str)
        for rule in mine:
            if rule.record and rule.record.startswith("pledge:sli_error_ratio:rate") and _window_of(rule.record) <= RAW_RANGE_LIMIT:
                assert _recorded_names(_parsed(rule.expr)) == {rule.record.replace("error_ratio", "requests")}
                assert _reads_raw_series(_parsed(rule.expr)), rule.name
            if rule.record == TILES[0]:
                assert _recorded_names(_parsed(rule.expr)) == {TILES[1]}


LONG_PERIODS = [{"rolling": f"{d}d"} for d in (1, 2, 7, 14, 28, 30, 31, 32, 45, 60, 90, 91, 92)] + [
    {"calendar": c, "timezone": "Europe/Berlin"} for c in ("week", "month", "quarter")]


@pytest.mark.parametrize("window", LONG_PERIODS, ids=lambda w: w.get("rolling") or w["calendar"])
def test_no_range_over_tiles_reads_more_than_10000_samples(window: dict[str, str]) -> None:
    """promtool's rule tests refuse a query over 10,000 samples of one series: a range over 5 m tiles
    holds range / 5m + 1 of them (closed on the left), one over hour tiles range / 1h + 1."""
    sla = _sla("samples", {"service": "x", "window": window, "grouping": ["customer"],
                           "objectives": [{"name": "a", "target": "99.9", "sli": RATIO}]})
    longest = dt.timedelta()
    groups = generate(sla)
    # other recorded series are read over short ranges (the newest ratio, recent tiles): at their group's pace
    step = {r.record: dt.timedelta(seconds=g.interval) for g in groups for r in g.rules if r.record}
    step.update(TILE_STEP)
    for group in groups:
        for rule in group.rules:
            for matrix in _matrices(_parsed(rule.expr)):
                metric = _metric(matrix.vector_selector)
                if metric.startswith("pledge:"):
                    assert metric in step, (rule.name, metric)
                    assert metric in TILE_STEP or matrix.range <= dt.timedelta(minutes=10), (rule.name, metric)
                    samples = matrix.range // step[metric] + 1
                    assert samples <= MAX_SAMPLES, (rule.name, metric, matrix.range, samples)
                    longest = max(longest, matrix.range + _offset(matrix))
                else:
                    assert matrix.range <= RAW_RANGE_LIMIT
    period = dt.timedelta(seconds=int(sla.spec.window.rolling or 0)) or LONGEST[window.get("calendar", "")]
    assert longest >= period - dt.timedelta(minutes=5)  # the period itself is read from tiles


# A simulation of the tiles group: tiles recorded every 5 m at `offset` seconds into each 5 minutes, each
# holding the tile that started 5 m before it; hour tiles and sums evaluated from the generated AST.

Tiles = Any  # Counter of tile start times, or None for an empty vector


class _TileSim:
    def __init__(self, rules: list[Rule], offset: int, left_open: bool) -> None:
        from tests.unit.test_promql import compile_promql  # the time-arithmetic evaluator

        self.compile = cache(compile_promql)
        self.rules = {(r.record, r.labels.get("pledge_period", "")): r for r in rules if r.record}
        self.offset, self.left_open = offset, left_open
        self.memo: dict[tuple[str, str, int], Any] = {}

    def samples(self, selector: Any, low: int, high: int) -> Iterator[tuple[int, Any]]:
        first = low + (self.offset - low) % 300
        for t in range(first, high + 1, 300):
            if t == low and self.left_open:
                continue
            if _metric(selector) in TILES:
                yield t, {"": Counter({t - 300: 1})}
            else:
                value = self.hour_tile(_metric(selector), _selector_labels(selector).get("pledge_period", ""), t)
                if value is not None:
                    yield t, value

    def hour_tile(self, name: str, period: str, t: int) -> Any:
        key = (name, period, t)
        if key not in self.memo:
            self.memo[key] = self.value(_parsed(self.rules[(name, period)].expr), t)
        return self.memo[key]

    def value(self, node: Any, t: int) -> Any:
        """{pledge_part: Counter} or None."""
        node = _strip(node)
        if isinstance(node, promql_parser.Call) and node.func.name == "sum_over_time":
            (matrix,) = node.args
            end = t - int(_offset(matrix).total_seconds())
            total: Counter[int] = Counter()
            found = False
            for _, v in self.samples(matrix.vector_selector, end - int(matrix.range.total_seconds()), end):
                total.update(v[""])
                found = True
            return {"": total} if found else None
        if isinstance(node, promql_parser.Call) and node.func.name == "label_replace":
            inner = self.value(node.args[0], t)
            return None if inner is None else {node.args[2].val: inner[""]}
        if isinstance(node, promql_parser.AggregateExpr):
            inner = self.value(node.expr, t)
            if inner is None:
                return None
            summed: Counter[int] = Counter()
            for part in inner.values():
                summed.update(part)
            return {"": summed}
        assert isinstance(node, promql_parser.BinaryExpr), node.prettify()[:200]
        if str(node.op) == "and":
            assert not _reads_series(node.rhs)
            return self.value(node.lhs, t) if self.compile(_strip(node.rhs).prettify())(t) is not None else None
        assert str(node.op) == "or" and not (node.modifier and node.modifier.matching), node.prettify()[:200]
        lhs, rhs = self.value(node.lhs, t), self.value(node.rhs, t)
        if lhs is None or rhs is None:
            return lhs if rhs is None else rhs
        return {**rhs, **lhs}  # `or` keeps the left side's series where label sets collide


def _evaluations(start: int, count: int, offset: int) -> list[int]:
    first = start + (offset - start) % 300
    return [first + 300 * k for k in range(count)]


def _check_window(sim: _TileSim, rule: Rule, t: int, oldest: int) -> None:
    got = sim.value(_parsed(rule.expr), t)
    counted = Counter() if got is None else got[""]
    expected = Counter({s: 1 for s in range(t - 300, oldest - 1, -300)})
    missing, extra = expected - counted, counted - expected
    assert not missing and not extra, (rule.name, dt.datetime.fromtimestamp(t, dt.timezone.utc), len(missing), len(extra),
                                       sorted(missing)[:3], sorted(extra)[:3])


@pytest.mark.parametrize(("days", "offset", "left_open"), [(2, 0, False), (2, 299, True), (31, 299, False),
                                                         (32, 0, True), (32, 137, False), (90, 299, True)])
def test_rolling_windows_count_every_tile_once(days: int, offset: int, left_open: bool) -> None:
    """At every evaluation of an hour, a rolling period (and each long window) sums exactly the tiles that
    started in the window before the evaluation: none twice, none missing."""
    sla = _sla("sim", {"service": "x", "window": {"rolling": f"{days}d"},
                       "objectives": [{"name": "a", "target": "99.9", "sli": RATIO}]})
    rules = [r for g in generate(sla) for r in g.rules]
    sim = _TileSim(rules, offset, left_open)
    summed = [r for r in rules if r.record in PERIOD_EVENTS]
    start = int(dt.datetime(2026, 5, 4, 22, 50, tzinfo=dt.timezone.utc).timestamp())
    for t in _evaluations(start, 14, offset):
        for rule in summed:
            _check_window(sim, rule, t, t - days * 86_400)


@pytest.mark.parametrize(("calendar", "zone", "boundary", "offset", "left_open"), [
    ("week", "America/New_York", dt.datetime(2026, 11, 2, 5, tzinfo=dt.timezone.utc), 0, False),  # Monday 00:00 EST
    ("week", "America/New_York", dt.datetime(2026, 11, 2, 5, tzinfo=dt.timezone.utc), 299, True),
    ("month", "Europe/Berlin", dt.datetime(2026, 3, 31, 22, tzinfo=dt.timezone.utc), 137, True),  # April 1st CEST
    ("quarter", "UTC", dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc), 299, False),
])
def test_calendar_period_counts_every_tile_since_it_began(calendar: str, zone: str, boundary: dt.datetime, offset: int,
                                                          left_open: bool) -> None:
    """Around a period boundary: before it, every tile since the previous one began; after it, only the
    tiles that started since, each once (a tile belongs to the period it starts in)."""
    sla = _sla("sim", {"service": "x", "window": {"calendar": calendar, "timezone": zone},
                       "objectives": [{"name": "a", "target": "99.9", "sli": RATIO}]})
    rules = [r for g in generate(sla) for r in g.rules]
    sim = _TileSim(rules, offset, left_open)
    summed = [r for r in rules if r.record in PERIOD_EVENTS]
    b = int(boundary.timestamp())
    # the week before Nov 2 2026 holds the end of daylight-saving time in New York: 7 days and 1 hour
    previous = {"week": int(dt.datetime(2026, 10, 26, tzinfo=ZoneInfo(zone)).timestamp()), "month": int(dt.datetime(2026, 3, 1, tzinfo=ZoneInfo(zone)).timestamp()),
                "quarter": int(dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc).timestamp())}[calendar]
    for t in _evaluations(b - 1_200, 4, offset) + _evaluations(b, 14, offset):
        for rule in summed:
            _check_window(sim, rule, t, b if t >= b else previous)

"""The Grafana dashboards against data: every query parses (promql-parser) and every panel, variable
and maintenance annotation shows something in a real Prometheus holding the demo's world (a week
of its history for the example SLAs, as `pledge demo` builds it, plus the API's forecast gauge as
Prometheus would scrape it). A panel that shows nothing fails, and the check is shown to catch one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pledge.clock import parse_moment
from pledge.demo.scenario import demo_metrics
from pledge.rules import generate, rule_file, to_yaml
from pledge.rules.names import BREACH_PROBABILITY
from pledge.sla import ServiceLevelAgreement
from pledge.sla.units import DAY, MINUTE
from pledge.testing import LocalPrometheus
from pledge.testing.history import load_history
from pledge.testing.synthetic import Metric, Timeline
from tests.support.dashboards import ALL_QUERIES, PANELS, SLAS, Query, promql

pytestmark = pytest.mark.integration
END = parse_moment("2026-11-18T14:37:00Z")  # a Wednesday: the last week holds one Sunday maintenance
DAYS = 7
def forecast_gauges(slas: list[ServiceLevelAgreement], timeline: Timeline) -> list[Metric]:
    """pledge_breach_probability as the API exports it (the grouped SLA per customer), for the detail panels."""
    gauges = []
    for sla in slas:
        groups = [{"customer": c} for c in ("acme", "globex", "initech")] if sla.spec.grouping else [{}]
        for objective in sla.spec.objectives:
            for group in groups:
                labels = {"sla": sla.metadata.name, "namespace": sla.metadata.namespace, "objective": objective.name,
                          **group, "job": "pledge-api"}
                gauges.append(Metric(BREACH_PROBABILITY, labels, [0.3] * len(timeline.timestamps), "gauge"))
    return gauges


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrometheus]:
    timeline, metrics = demo_metrics(END, days=DAYS)
    groups = [g for sla in SLAS for g in generate(sla)]
    rules = tmp_path_factory.mktemp("rules") / "rules.yaml"
    rules.write_text(to_yaml(rule_file(groups)), encoding="utf-8")
    with LocalPrometheus() as prom:
        asyncio.run(load_history(prom, timeline, [*metrics, *forecast_gauges(SLAS, timeline)], groups))
        prom.reload([rules])
        yield prom


def answer(prom: LocalPrometheus, query: Query, values: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The series Prometheus returns: at END for an instant query, else over the last minutes before it
    (the tail the world records every series for) or, for an annotation, over the whole week."""
    expr = promql(query.expr, values)
    if query.instant:
        response = httpx.get(f"{prom.url}/api/v1/query", params={"query": expr, "time": END + 1}, timeout=60)
    else:
        span = DAYS * DAY if query.where.startswith("annotation") else 10 * MINUTE
        response = httpx.get(f"{prom.url}/api/v1/query_range", timeout=60,
                             params={"query": expr, "start": END + 1 - span, "end": END + 1, "step": 60})
    body = response.json()
    assert body["status"] == "success", f"{query.id}: {body}"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


@pytest.mark.parametrize("query", PANELS, ids=lambda q: q.id)
def test_every_panel_shows_data(prometheus: LocalPrometheus, query: Query) -> None:
    assert answer(prometheus, query), f"{query.id} shows nothing: {promql(query.expr)}"


def test_an_empty_panel_is_caught(prometheus: LocalPrometheus) -> None:
    """The check above can fail: the same query on a misspelled series returns nothing."""
    budget = next(q for q in PANELS if "pledge:error_budget_remaining:ratio" in q.expr)
    broken = Query(budget.board, budget.where, budget.expr.replace("remaining:ratio", "remaining:ratios"), budget.instant)
    assert answer(prometheus, budget) and not answer(prometheus, broken)


def _overview_rows(prom: LocalPrometheus, **values: str) -> set[tuple[str, str]]:
    table = next(q for q in PANELS if q.board == "pledge-overview.json" and q.where.startswith("SLAs/SLI"))
    return {(s["metric"]["sla_namespace"] + "/" + s["metric"]["sla"], s["metric"].get("customer", "-"))
            for s in answer(prom, table, values)}


def test_overview_variables_filter(prometheus: LocalPrometheus) -> None:
    every = _overview_rows(prometheus)
    payments = _overview_rows(prometheus, owner="team-payments")
    acme = _overview_rows(prometheus, customer="acme")
    gold_platform = _overview_rows(prometheus, namespace="platform", tier="gold")
    assert {sla for sla, _ in every} == {s.key for s in SLAS}
    assert {sla for sla, _ in payments} == {"shop/checkout", "shop/acme-checkout"}
    # the per-customer SLA's acme rows, and the customer-based SLA of acme (its customer is metadata)
    assert acme == {("shop/checkout", "acme"), ("shop/acme-checkout", "-")}
    assert gold_platform == set()


def test_maintenance_annotation_covers_the_sunday_window(prometheus: LocalPrometheus) -> None:
    """The weekly Sunday 02:00-04:00 Berlin window of shop/acme-checkout, and nothing else."""
    query = next(q for q in ALL_QUERIES if q.where.startswith("annotation Maintenance"))
    (series,) = answer(prometheus, query)
    stamps = [float(t) for t, _ in series["values"]]
    assert stamps[-1] - stamps[0] == 2 * 3600 - 60, stamps  # two hours of one-minute steps
    assert query.board == "pledge-shop-acme-checkout.json"


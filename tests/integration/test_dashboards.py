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
from pledge.rules import generate
from pledge.rules.names import BREACH_PROBABILITY
from pledge.sla import ServiceLevelAgreement
from pledge.sla.units import DAY, HOUR, MINUTE
from pledge.testing import LocalPrometheus
from pledge.testing.history import go_live, load_history
from pledge.testing.synthetic import Metric, Timeline
from pledge.dashboards import uid
from pledge.slo.exclusions import intervals
from pledge.sla.model import Exclusion
from pledge.prom import PrometheusClient
from pledge.sla.identity import Row, SLARef
from pledge.slo.budget import STATE_CODE
from pledge.status import Reading, read_status
from tests.support.dashboards import BOARDS, PANELS, SLAS, Query, promql

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
                labels = {**sla.ref.labels(), "objective": objective.name,
                          **group, "job": "pledge-api"}
                gauges.append(Metric(BREACH_PROBABILITY, labels, [0.3] * len(timeline.timestamps), "gauge"))
    return gauges


@pytest.fixture(scope="module")
def prometheus() -> Iterator[LocalPrometheus]:
    timeline, metrics = demo_metrics(END, days=DAYS)
    groups = [g for sla in SLAS for g in generate(sla)]
    with LocalPrometheus() as prom:
        asyncio.run(load_history(prom, timeline, [*metrics, *forecast_gauges(SLAS, timeline)], groups))
        go_live(prom, groups)
        yield prom


def answer(prom: LocalPrometheus, query: Query, values: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The series Prometheus returns: at END for an instant query, else over the last minutes before it
    (the tail the world records every series for)."""
    expr = promql(query.expr, values)
    if query.instant:
        response = httpx.get(f"{prom.url}/api/v1/query", params={"query": expr, "time": END + 1}, timeout=60)
    else:
        response = httpx.get(f"{prom.url}/api/v1/query_range", timeout=60,
                             params={"query": expr, "start": END + 1 - 10 * MINUTE, "end": END + 1, "step": 60})
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


MAINTENANCE = [(sla, n, exclusion) for sla in SLAS for n, exclusion in enumerate(sla.spec.exclusions)]


@pytest.mark.parametrize(("sla", "n", "exclusion"), MAINTENANCE, ids=lambda v: getattr(v, "key", None))
def test_maintenance_annotation_marks_each_window(prometheus: LocalPrometheus, sla: ServiceLevelAgreement, n: int,
                                                  exclusion: Exclusion) -> None:
    """Minute by minute, the annotation holds exactly while the exclusion does (a one-off window where it
    lies, a recurring one over the world's week), as pledge.slo.exclusions expands it."""
    start, end = (exclusion.start.timestamp() - HOUR, exclusion.end.timestamp() + HOUR) if exclusion.start and \
        exclusion.end else (END - DAYS * DAY, END)
    board = BOARDS[f"{uid(sla)}.json"]
    expr = board["annotations"]["list"][n]["expr"]
    response = httpx.get(f"{prometheus.url}/api/v1/query_range", timeout=60,
                         params={"query": expr, "start": start, "end": end, "step": 60}).json()
    marked = {float(t) for series in response["data"]["result"] for t, _ in series["values"]}
    expected = {t for a, b in intervals([exclusion], start, end) for t in range(int(a), int(b), 60)}
    assert expected and marked == expected


def _overview_column(prom: LocalPrometheus, column: str) -> dict[tuple[SLARef, Row], float]:
    table = next(q for q in PANELS if q.board == "pledge-overview.json" and q.where.startswith(f"SLAs/{column}#"))
    grouping = {sla.ref: sla.spec.grouping for sla in SLAS}
    found = {}
    for sample in answer(prom, table):
        ref = SLARef.of_labels(sample["metric"])
        found[ref, Row.of_labels(sample["metric"], grouping[ref])] = float(sample["value"][1])
    return found


def test_the_overview_shows_the_state_and_sli_the_api_and_operator_read(prometheus: LocalPrometheus) -> None:
    """One state: the overview's PromQL gives every row the STATE_CODE of pledge.slo.budget.state, and
    its SLI, as pledge.status reads them for the API and the operator (the demo's world holds all three
    states). Both columns once read an `or` of selectors unparenthesised: every grouped row showed 2."""

    async def read() -> list[Reading]:
        async with PrometheusClient(prometheus.url) as client:
            return await read_status(client, SLAS, END + 1)

    readings = [r for r in asyncio.run(read()) if r.compliance.state != "NoData"]
    assert _overview_column(prometheus, "state") == {(r.sla.ref, r.row): STATE_CODE[r.compliance.state] for r in readings}
    assert {r.compliance.state for r in readings} == set(STATE_CODE)
    assert _overview_column(prometheus, "SLI") == pytest.approx({(r.sla.ref, r.row): r.compliance.sli for r in readings},
                                                                abs=1e-12)

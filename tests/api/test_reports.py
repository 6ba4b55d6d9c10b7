"""Closed-period reports, the SLA list (constant queries, filters, pages) and history series."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import httpx
import pytest

from pledge.slo.exclusions import excluded_seconds, intervals
from pledge.sla.units import DAY
from tests.api import world
from tests.api.conftest import World, client

pytestmark = pytest.mark.integration


def month_label(start: float) -> str:
    local = dt.datetime.fromtimestamp(start, world.BERLIN)
    return f"{local.year}-{local.month:02d}"


async def test_closed_month_report_with_exclusions_and_capped_credit(api: str, loaded: World) -> None:
    start, end = world.PREVIOUS_MONTH
    spec = world.SLAS["monthly"].spec
    excluded = intervals(spec.exclusions, start, end)
    exact = 1 - loaded.truth["monthly"].ratio(start, end, world.masked(excluded))
    with_maintenance = 1 - loaded.truth["monthly"].ratio(start, end)
    async with client(api) as http:
        response = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(start)})
        as_csv = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(start)},
                                headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    body = response.json()
    [row] = body["rows"]
    print(f"report {body['period']['label']}: exact {exact:.8f} (maintenance counted: {with_maintenance:.8f}), API {row['sli']:.8f}")
    assert body["closed"] is True
    assert body["period"]["start"] == world.iso(start) and body["period"]["end"] == world.iso(end)
    assert body["period"]["excluded_seconds"] == pytest.approx(excluded_seconds(spec.exclusions, start, end))
    assert ["upgrade" for a, b in excluded if (a, b) == world.ONE_OFF] == ["upgrade"]
    # The recorded 5 m rates place up to 5 minutes of events wrongly at each edge (the month's two and
    # each maintenance window's): about 1e-4 of the month's events per edge, at a 1.4 % error ratio up
    # to ~2e-6 on the SLI. Measured 5e-7 to 2.4e-6 over runs (the data moves with the clock).
    assert row["sli"] == pytest.approx(exact, abs=5e-6)
    assert exact < 0.99, "the outage should cost more than the 25 % tier"
    assert row["breached"] is True and row["credit_percent"] == "20"  # 25 % tier, capped at 20 %
    assert body["credits"] == {"": "20"}
    assert as_csv.headers["content-type"].startswith("text/csv")
    [line] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert float(line["sli"]) == row["sli"] and line["credit_percent"] == "20" and line["breached"] == "true"


async def test_report_from_to_and_bad_parameters(api: str, loaded: World) -> None:
    frm, to = world.END - 3 * DAY, world.END - DAY
    async with client(api) as http:
        good = await http.get(f"/v1/slas/{world.NS}/bursty/report", params={"from": frm, "to": to})
        queries: tuple[dict[str, str | float], ...] = (
            {"period": "2026-13"}, {}, {"from": to, "to": frm}, {"period": "2026-10", "from": frm})
        bad = [await http.get(f"/v1/slas/{world.NS}/bursty/report", params=p) for p in queries]
    [row] = good.json()["rows"]
    # two days hold ~500 bad events: the 5m base window blurs each edge by about one of them
    assert row["sli"] == pytest.approx(1 - loaded.truth["bursty"].ratio(frm, to), abs=3e-6)
    for response in bad:
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
        assert re.match(r"^(period|to): ", response.json()["detail"]), response.json()


async def prometheus_calls(http: httpx.AsyncClient) -> float:
    """Instant queries and alert reads: the background forecast rounds only make range queries."""
    text = (await http.get("/metrics")).text
    found = re.findall(r'^pledge_api_prometheus_request_duration_seconds_count\{path="([^"]*)"\} (\S+)$', text, re.M)
    return sum(float(v) for path, v in found if not path.endswith("query_range"))


async def test_list_uses_two_queries_and_filters(api: str, loaded: World) -> None:
    async with client(api) as http:
        before = await prometheus_calls(http)
        everything = (await http.get("/v1/slas", params={"at": world.AT})).json()
        assert await prometheus_calls(http) - before == 2
        page = (await http.get("/v1/slas", params={"limit": 2, "offset": 2, "at": world.AT})).json()
        by_customer = (await http.get("/v1/slas", params={"customer": "acme", "at": world.AT})).json()
        quiet = (await http.get("/v1/slas", params={"state": "NoData", "at": world.AT})).json()
        none = (await http.get("/v1/slas", params={"namespace": 'api"}', "at": world.AT})).json()
    names = [i["name"] for i in everything["items"]]
    assert sorted(names) == sorted(world.SLAS) and everything["total"] == len(world.SLAS) and everything["next_offset"] is None
    assert [i["name"] for i in page["items"]] == names[2:4] and page["next_offset"] == 4
    assert [(i["name"], [o["group"] for o in i["objectives"]]) for i in by_customer["items"]] == [("grouped", [{"customer": "acme"}])]
    # a calendar period has figures from its first 5 m tile on: none in the first two tiles at most
    if world.AT - world.month_start(world.END) >= 600:
        assert [i["name"] for i in quiet["items"]] == ["quiet"]
    else:
        assert [i["name"] for i in quiet["items"]] in (["monthly", "quiet"], ["quiet"])
    assert none["items"] == [] and none["total"] == 0
    bursty = next(i for i in everything["items"] if i["name"] == "bursty")
    exact = 1 - loaded.truth["bursty"].ratio(world.AT - 30 * DAY, world.AT)
    assert bursty["objectives"][0]["sli"] == pytest.approx(exact, abs=2e-5)  # recorded every 5 m: may lag


async def test_history_series(api: str, loaded: World) -> None:
    async with client(api) as http:
        response = await http.get(f"/v1/slas/{world.NS}/grouped/history",
                                  params={"from": world.END - DAY, "to": world.END, "step": "1m", "window": "6h"})
        too_many = await http.get(f"/v1/slas/{world.NS}/grouped/history", params={"from": 0, "to": world.END, "step": "1s"})
    assert response.status_code == 200, response.text
    series = {s["group"]["customer"]: s["points"] for s in response.json()["series"]}
    assert set(series) == set(world.CUSTOMERS)
    points = series["acme"]
    assert len(points) == 1441
    # the tests backfill the period series for the last 15 minutes only: older points have no SLI
    recorded = [p for p in points if p["sli"] is not None]
    assert len(recorded) >= 10
    for p in recorded:
        assert p["budget_remaining"] == pytest.approx(1 - (1 - p["sli"]) / 0.005, abs=1e-9)
    # a 7-day SLA records no 6h window: the API sums the 5m base rates, recorded all along
    assert all(p["burn_rate"] is not None for p in points)
    moment = world.END - 12 * 3600
    [point] = [p for p in points if p["t"] == world.iso(moment)]
    expected = loaded.truth["acme"].ratio(moment - 6 * 3600, moment) / 0.005
    assert point["burn_rate"] == pytest.approx(expected, rel=0.05)
    assert too_many.status_code == 422 and too_many.json()["detail"].startswith("step:")

"""GET /v1/review (issue 28): a review pack of one scope and period on the API tests' world
(tests/support/world.py). Its rows are the per-SLA report route's; what it adds (budget used, the
breach moment and longest bad stretch of the monthly SLA's 6-hour outage, exclusions with their
reasons, burn alerts' intervals, completeness) is checked against the world's own data and against
Prometheus asked directly. Holds in the month-edge world too (PLEDGE_WORLD_END, Makefile EDGE_END)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
from typing import Any

import httpx
import pytest

from pledge.predictions import predict
from pledge.prom import PrometheusClient
from pledge.review.pack import Pack, content_hash
from pledge.sla.units import HOUR
from pledge.slo.exclusions import intervals
from pledge.slo.periods import calendar_period
from tests.support import world
from tests.support.api_checks import month_label, prometheus_calls
from tests.support.world import World, client

pytestmark = pytest.mark.integration
BURN = "SLAErrorBudgetBurn"


def month_in(zone: str, months_back: int = 0) -> str:
    """The month label of the world's end in ``zone`` (``months_back`` before it)."""
    period = calendar_period("month", zone, world.AT)
    for _ in range(months_back):
        period = calendar_period("month", zone, period.start - 1)
    return period.label


def local_offset(unix: float) -> str:
    """The offset Berlin time has at ``unix``, as ISO 8601 writes it ("+01:00")."""
    return dt.datetime.fromtimestamp(unix, world.BERLIN).isoformat()[-6:]


def moment(text: str | None) -> float | None:
    return None if text is None else dt.datetime.fromisoformat(text).timestamp()


async def review(http: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await http.get("/v1/review", params={"at": world.AT, **params})


async def burn_tiers(loaded: World, sla: str, start: float, end: float) -> set[str]:
    """The burn tiers Prometheus holds a firing sample of for ``sla`` within [start, end]."""
    expr = f'count_over_time(ALERTS{{alertname="{BURN}",alertstate="firing",sla="{sla}"}}[{int(end - start)}s])'
    async with httpx.AsyncClient(base_url=loaded.prom.url) as prom:
        answer = (await prom.get("/api/v1/query", params={"query": expr, "time": end})).json()
    return {s["metric"]["burn_tier"] for s in answer["data"]["result"]}


def check_hash(response: httpx.Response) -> dict[str, Any]:
    """The served bytes hash to the pack's content hash, as a reader holding a signed copy checks it."""
    body: dict[str, Any] = json.loads(response.content)
    claimed = body.pop("content_hash")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == claimed
    assert content_hash(Pack.model_validate(body)) == claimed and len(claimed) == 64
    return {**body, "content_hash": claimed}


@pytest.mark.parametrize("token", ["initech-token", "sre-token"])
async def test_a_customer_pack_holds_the_per_sla_reports(api: str, token: str) -> None:
    period = month_in("UTC", 1)  # initech's SLA (bursty) reads UTC months; its previous one has data throughout
    async with client(api, token) as http:
        response = await review(http, customer="initech", period=period, compare=1)
        assert response.status_code == 200, response.text
        pack = check_hash(response)
        reports = {row["name"]: (await http.get(f"/v1/slas/{world.NS}/{row['name']}/report",
                                                params={"period": period, "at": world.AT})).json()
                   for row in pack["rows"]}
        earlier = {name: (await http.get(f"/v1/slas/{world.NS}/{name}/report",
                                         params={"period": month_in("UTC", 2), "at": world.AT})).json()
                   for name in reports}
    assert pack["scope"] == {"customer": "initech"} and pack["period"] == period
    assert [r["name"] for r in pack["rows"]] == ["bursty"]
    for row in pack["rows"]:
        report = reports[row["name"]]
        [line] = [r for r in report["rows"] if r["objective"] == row["objective"] and r["group"] == row["group"]]
        assert (row["sli"], row["credit_percent"], row["state"]) == (line["sli"], line["credit_percent"], line["state"])
        assert (row["events_total"], row["events_bad"]) == (line["events_total"], line["events_bad"])
        assert row["terms"]["words"] == report["terms"]["words"] and row["terms"]["target"] == "99.9"
        assert row["budget_used"] == pytest.approx(line["events_bad"] / (line["events_total"] * 0.001))
        [before] = row["earlier"]
        [then] = earlier[row["name"]]["rows"]
        assert (before["period"], before["sli"], before["state"]) == (month_in("UTC", 2), then["sli"], then["state"])
        if then["sli"] is None:  # the month-edge world holds no data that far back
            assert before["sli_change"] is None and then["state"] == "NoData"
        else:
            assert before["sli_change"] == pytest.approx(row["sli"] - then["sli"])
        assert pack["closed"] is report["closed"] is True
        assert moment(pack["end"]) == moment(report["period"]["end"]) == moment(pack["computed_at"])
    # the world's data starts a day before its previous Berlin month: all of this UTC month, or its last day
    month = calendar_period("month", "UTC", calendar_period("month", "UTC", world.AT).start - 1)
    recorded = (month.end - max(month.start, world.TIMELINE.start)) / (month.end - month.start)
    assert pack["summary"]["completeness"] == pytest.approx(recorded, abs=0.002)
    assert pack["summary"]["completeness"] <= 1
    assert pack["summary"]["met"] + pack["summary"]["breached"] <= 1 and len(pack["summary"]["lines"]) == 1


async def test_the_outage_month_pack(api: str, loaded: World) -> None:
    sla = world.SLAS["monthly"]  # Europe/Berlin months: the world's previous one holds a 6-hour outage
    start, end = world.PREVIOUS_MONTH
    async with client(api) as http:
        first = await review(http, service="monthly", period=month_label(start), compare=1)
        again = await http.get("/v1/review", params={"service": "monthly", "period": month_label(start), "compare": 1})
    assert first.status_code == 200, first.text
    assert first.content == again.content  # a closed period: the same bytes, with or without at=
    pack = check_hash(first)
    [row] = pack["rows"]
    assert pack["closed"] is True and moment(pack["computed_at"]) == end and pack["restated"] is False
    assert row["state"] == "Breached" and row["met"] is False and row["credit_percent"] == "20"
    assert row["credit_tier"] == "below 99"  # the 25 % tier, capped at 20 %
    assert (row["credit_amount"], row["currency"]) == ("2500.00", "EUR")  # 20 % of the 12,500 EUR fee
    assert row["timezone"] == "Europe/Berlin" and row["breached_at"].endswith(local_offset(world.MONTH_OUTAGE[0]))
    assert row["budget_used"] == pytest.approx(row["events_bad"] / (row["events_total"] * 0.001)) and row["budget_used"] > 1
    outage_start, outage_end = world.MONTH_OUTAGE
    # a month's budget (0.1 % of its events) is gone within the outage's first hour; hours are whole UTC hours
    breached_at = moment(row["breached_at"])
    assert breached_at is not None and outage_start < breached_at <= outage_start + 2 * HOUR
    longest = moment(row["longest_bad_start"])
    assert longest is not None and longest <= outage_start and longest + row["longest_bad_seconds"] >= outage_end
    assert row["longest_bad_seconds"] <= 8 * HOUR  # the outage and an hour of edge on either side at most
    assert 0.95 < row["above_target_share"] < 1
    exclusions = [a for a in row["adjustments"] if a["kind"] == "exclusion"]
    held = [(moment(a["start"]), moment(a["end"])) for a in exclusions]
    assert sorted(held) == intervals(sla.spec.exclusions, start, end)  # the world's windows never overlap
    assert {(a["reason"], moment(a["start"]), moment(a["end"])) for a in exclusions if a["reason"] == "upgrade"} \
        == {("upgrade", *world.ONE_OFF)}
    assert all(a["category"] == "maintenance" and a["effect"] == "exclude" and a["reason"] for a in exclusions)
    assert len(exclusions) >= 5  # four or five Sundays and the upgrade
    tiers = await burn_tiers(loaded, "monthly", start, end)
    assert {i["tier"] for i in row["incidents"]} == tiers  # the world replays alerts at its end only: none
    summary = pack["summary"]
    assert re.fullmatch(r"api/monthly breached: 98\.\d+ %, credit 20 %", summary["lines"][0]), summary["lines"]
    assert (summary["met"], summary["breached"], summary["credits"]) == (0, 1, {"api/monthly": "20"})
    assert summary["credit_totals"] == {"EUR": "2500.00"}
    assert summary["worst"].startswith("api/monthly availability: 98.")
    forecast = summary["forecast"]  # as of the month's end, about the month after: the same whenever asked
    async with PrometheusClient(loaded.prom.url) as prom:
        [expected] = await predict(prom, [sla], end)
    print(forecast)
    assert moment(forecast["as_of"]) == end and forecast["as_of"].endswith(local_offset(end))
    assert forecast["probability"] == pytest.approx(expected.probability) and forecast["words"].startswith(expected.message)
    assert 0.9 < summary["completeness"] <= 1
    [before] = row["earlier"]
    assert before["period"] == month_label(world.month_start(world.END, 2))


async def test_burn_alerts_are_incidents_and_an_open_period_is_so_far(api: str, loaded: World) -> None:
    period = month_in("UTC")  # burning's alerts fire at the world's end
    async with client(api) as http:
        before = await prometheus_calls(http)
        response = await review(http, service="burning", period=period)
        used = sum((await prometheus_calls(http)).values()) - sum(before.values())
    assert response.status_code == 200, response.text
    pack = check_hash(response)
    [row] = pack["rows"]
    start = calendar_period("month", "UTC", world.AT).start
    assert pack["closed"] is False and moment(pack["computed_at"]) == world.AT
    assert pack["summary"]["forecast"] is not None and pack["summary"]["forecast"]["words"]
    incidents = row["incidents"]
    surely = await burn_tiers(loaded, "burning", start, world.AT - 60)  # firing a minute before the end
    anywhere = await burn_tiers(loaded, "burning", start, world.AT)
    assert surely and surely <= {i["tier"] for i in incidents} <= anywhere
    for incident in incidents:
        a, b = moment(incident["start"]), moment(incident["end"])
        assert a is not None and b is not None and start <= a <= b <= world.AT
        assert incident["severity"] in ("page", "ticket")
    assert any(moment(i["end"]) == world.AT for i in incidents)  # still firing: to the pack's moment
    # instant queries (range queries are not counted: the background rounds make them too): the period's
    # reports (one), the tiles present (one), whether raw counters reach further back (the world records
    # burning's tiles for ten days only)
    assert used <= 3


async def test_a_customer_token_sees_its_own_pack_only(api: str) -> None:
    period = month_in("UTC")  # the grouped SLA (UTC) has its customers' data this month
    async with client(api, "acme-token") as acme, client(api) as sre:
        own = await review(acme, customer="acme", period=period)
        other = await review(acme, customer="globex", period=period)
        unknown = await review(acme, customer="nobody", period=period)
        unknown_for_sre = await review(sre, customer="nobody", period=period)
        by_service = await review(acme, service="grouped", period=period)
        globex = await review(sre, customer="globex", period=period)
        hidden = await review(acme, service="burning", period=period)  # not acme's: as if it did not exist
        shown = await review(sre, service="burning", period=period)
    assert own.status_code == 200 and by_service.status_code == 200, (own.text, by_service.text)
    assert {(r["name"], r["customer"]) for r in own.json()["rows"]} == {("grouped", "acme")}
    assert [r["group"] for r in by_service.json()["rows"]] == [{"customer": "acme"}]  # not globex's
    assert globex.status_code == 200  # globex exists: the 404 below hides it
    for response in (other, unknown, unknown_for_sre):
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert shown.status_code == 200 and hidden.status_code == 404
    assert hidden.json()["detail"] == "no SLAs in scope service=burning"
    assert other.json()["detail"].replace("globex", "X") == unknown.json()["detail"].replace("nobody", "X") \
        == "no SLAs in scope customer=X"
    assert {k: v for k, v in other.json().items() if k != "detail"} == {k: v for k, v in unknown.json().items() if k != "detail"}


@pytest.mark.parametrize("params, named", [
    ({"period": "2026-10"}, "customer"),
    ({"period": "2026-13", "customer": "acme"}, "period"),
    ({"customer": "acme"}, "period"),
    ({"period": "2026-10", "customer": "acme", "compare": 13}, "compare"),
    ({"period": "2026-10", "customer": "acme", "format": "xml"}, "format"),
])
async def test_bad_requests_are_problems_naming_the_parameter(api: str, params: dict[str, Any], named: str) -> None:
    async with client(api) as http:
        response = await http.get("/v1/review", params=params)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert named in response.json()["detail"], response.json()


async def test_a_label_selector_scopes_the_pack_as_kubectl_would(api: str) -> None:
    period = month_label(world.PREVIOUS_MONTH[0])
    async with client(api) as http:
        gold = await review(http, selector="team=billing,tier in (gold,silver)", period=period)
        billing = await http.get("/v1/slas", params={"selector": "team=billing", "at": world.AT})
        others = await http.get("/v1/slas", params={"selector": "team!=billing", "at": world.AT})
        wrong = await review(http, selector="team in (billing", period=period)
    assert gold.status_code == 200, gold.text
    assert {r["name"] for r in gold.json()["rows"]} == {"monthly"}
    assert gold.json()["scope"] == {"selector": "team=billing,tier in (gold,silver)"}
    assert {i["name"] for i in billing.json()["items"]} == {"monthly", "burning"}
    assert {i["name"] for i in others.json()["items"]} == set(world.SLAS) - {"monthly", "burning"}
    assert wrong.status_code == 422 and "selector: unbalanced '('" in wrong.json()["detail"]


async def test_no_sla_in_scope_is_404(api: str) -> None:
    async with client(api) as http:
        response = await review(http, service="nothing-here", period=month_in("UTC"))
    assert response.status_code == 404 and response.json()["detail"] == "no SLAs in scope service=nothing-here"


async def test_the_pack_as_html_csv_and_pdf(api: str) -> None:
    params = {"service": "monthly", "period": month_label(world.PREVIOUS_MONTH[0])}
    async with client(api) as http:
        pack = check_hash(await review(http, **params))
        page = await review(http, **params, format="html")
        table = await review(http, **params, format="csv")
        printed = await review(http, **params, format="pdf")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "api" in page.text and "monthly" in page.text and "<script" not in page.text
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(table.text)))
    assert lines and {line["content_hash"] for line in lines} == {pack["content_hash"]}
    assert {line["name"] for line in lines} == {"monthly"}
    assert "attachment" in table.headers["content-disposition"]
    if shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome"):
        assert printed.status_code == 200 and printed.content.startswith(b"%PDF-"), printed.text[:300]
    else:  # no renderer: a clear error, as a problem
        assert printed.status_code == 503 and "pdf" in printed.json()["detail"]

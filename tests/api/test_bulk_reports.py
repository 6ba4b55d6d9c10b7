"""GET /v1/reports: every SLA's report of one period, exactly as the per-SLA report route answers it,
from one Prometheus query per moment the periods end at (the SLAs' time zones), plus the per-SLA raw
fallback for the SLAs whose recorded tiles do not cover the period. The console's customer view reads it."""

from __future__ import annotations

import pytest

from tests.support import world
from tests.support.api_checks import month_label, prometheus_calls
from tests.support.world import client

pytestmark = pytest.mark.integration
ZONES = {s.spec.window.timezone for s in world.SLAS.values()}


@pytest.mark.parametrize("token", ["sre-token", "acme-token", "initech-token"])
@pytest.mark.parametrize("months_back", [0, 1])  # the month so far (at the world's end), the closed one before
async def test_reports_are_the_per_sla_reports(api: str, token: str, months_back: int) -> None:
    period = month_label(world.month_start(world.END, months_back))
    async with client(api, token) as http, client(api) as sre:
        listed = [i["name"] for i in (await http.get("/v1/slas", params={"at": world.AT})).json()["items"]]
        single = {name: (await http.get(f"/v1/slas/{world.NS}/{name}/report", params={"period": period, "at": world.AT})).json()
                  for name in listed}
        before = await prometheus_calls(sre)
        bulk = (await http.get("/v1/reports", params={"period": period, "at": world.AT})).json()
        used = sum((await prometheus_calls(sre)).values()) - sum(before.values())
    expected = [single[n] for n in listed if single[n]["rows"]]
    assert bulk["items"] == expected and bulk["total"] == len(expected)
    assert expected or token != "sre-token"  # at any world moment some SLA has a month so far and one before
    # one query per time zone the periods end in (one moment for the month so far), then only the
    # fallbacks: whether the raw counters of an SLA whose tiles do not cover the month reach further back
    assert used <= (len(ZONES) if months_back else 1) + len(listed) + 1
    if token == "acme-token":  # a customer's token: its own group's rows only (none where its history is younger)
        assert all(r["group"] == {"customer": "acme"} for i in bulk["items"] for r in i["rows"])
        assert [i["name"] for i in bulk["items"]] in ([], ["grouped"])


async def test_reports_filter_page_and_refuse_a_bad_period(api: str) -> None:
    period = month_label(world.month_start(world.END))  # the month so far
    async with client(api) as http:
        everything = (await http.get("/v1/reports", params={"period": period, "at": world.AT})).json()
        first = (await http.get("/v1/reports", params={"period": period, "at": world.AT, "limit": 2})).json()
        rest = (await http.get("/v1/reports", params={"period": period, "at": world.AT, "offset": 2})).json()
        acme = (await http.get("/v1/reports", params={"period": period, "at": world.AT, "customer": "acme"})).json()
        bad = await http.get("/v1/reports", params={"period": "2026-13"})
        missing = await http.get("/v1/reports")
    assert first["next_offset"] == 2 and first["items"] + rest["items"] == everything["items"]
    customers = {r["group"].get("customer") for i in everything["items"] for r in i["rows"]}
    assert {r["group"].get("customer") for i in acme["items"] for r in i["rows"]} == customers & {"acme"}
    assert len(everything["items"]) > 2  # the paging above split something
    assert bad.status_code == 422 and "period" in bad.text
    assert missing.status_code == 422 and "period" in missing.text

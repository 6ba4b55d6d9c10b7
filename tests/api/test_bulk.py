"""GET /v1/details: every SLA's detail, exactly as the per-SLA route answers it, from two queries
(plus the per-SLA path for an SLA whose recorded history is incomplete)."""

from __future__ import annotations

import pytest

from tests.api import world
from tests.api.conftest import client
from tests.api.test_security import prometheus_calls

pytestmark = pytest.mark.integration
INCOMPLETE = (world.FRESH,)  # recorded history shorter than the period: the per-SLA path decides


@pytest.mark.parametrize("token", ["sre-token", "acme-token", "initech-token"])
async def test_details_are_the_per_sla_answers(api: str, token: str) -> None:
    async with client(api, token) as http, client(api) as sre:
        listed = (await http.get("/v1/slas", params={"at": world.AT})).json()["items"]
        single, calls = {}, {}
        for item in listed:
            before = await prometheus_calls(sre)
            single[item["name"]] = (await http.get(f"/v1/slas/{world.NS}/{item['name']}", params={"at": world.AT})).json()
            calls[item["name"]] = sum((await prometheus_calls(sre)).values()) - sum(before.values())
        before = await prometheus_calls(sre)
        bulk = (await http.get("/v1/details", params={"at": world.AT})).json()
        used = sum((await prometheus_calls(sre)).values()) - sum(before.values())
    assert bulk["items"] == [single[i["name"]] for i in listed] and bulk["total"] == len(listed)
    assert used == 2 + sum(n for name, n in calls.items() if name in INCOMPLETE)
    if token == "acme-token":
        assert [i["name"] for i in bulk["items"]] == ["grouped"]


async def test_details_filter_and_page(api: str) -> None:
    async with client(api) as http:
        first = (await http.get("/v1/details", params={"at": world.AT, "limit": 2})).json()
        rest = (await http.get("/v1/details", params={"at": world.AT, "offset": 2})).json()
        acme = (await http.get("/v1/details", params={"at": world.AT, "customer": "acme"})).json()
        everything = (await http.get("/v1/details", params={"at": world.AT})).json()
    assert first["next_offset"] == 2 and first["items"] + rest["items"] == everything["items"]
    assert [(i["name"], [o["group"] for o in i["objectives"]]) for i in acme["items"]] == [("grouped", [{"customer": "acme"}])]

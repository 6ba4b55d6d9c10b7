"""GET /v1/details: every SLA's detail, exactly as the per-SLA route answers it, from two queries
(two more for the SLAs whose recorded history is incomplete, however many), and the background
snapshot that answers requests about now with the same figures."""

from __future__ import annotations

import pytest

from tests.support import world
from tests.support.api_checks import prometheus_calls
from tests.support.world import client, until_snapshot

pytestmark = pytest.mark.integration
INCOMPLETE = (world.FRESH,)  # recorded history shorter than the period: the per-SLA path decides


@pytest.mark.parametrize("token", ["sre-token", "acme-token", "initech-token"])
async def test_details_are_the_per_sla_answers(api: str, token: str) -> None:
    async with client(api, token) as http, client(api) as sre:
        listed = (await http.get("/v1/slas", params={"at": world.AT})).json()["items"]
        single = {i["name"]: (await http.get(f"/v1/slas/{world.NS}/{i['name']}", params={"at": world.AT})).json()
                  for i in listed}
        before = await prometheus_calls(sre)
        bulk = (await http.get("/v1/details", params={"at": world.AT})).json()
        used = sum((await prometheus_calls(sre)).values()) - sum(before.values())
    assert bulk["items"] == [single[i["name"]] for i in listed] and bulk["total"] == len(listed)
    # the recorded figures and the alerts; then, for all incomplete SLAs at once, whether their raw
    # counters reach further back and, since they do, their figures from those counters
    assert used == 2 + 2 * bool(set(INCOMPLETE) & set(single))
    if token == "acme-token":
        assert [i["name"] for i in bulk["items"]] == ["grouped"]


@pytest.mark.parametrize("token", ["sre-token", "acme-token"])
async def test_the_snapshot_answers_as_request_time_figures_do(api: str, token: str) -> None:
    """Without at=, the routes answer from the background snapshot: the same answers as computed at
    the snapshot's moment (the world's clock), with the snapshot's Age."""
    routes = ["/v1/slas", "/v1/details", *(f"/v1/slas/{world.NS}/{name}" for name in [*world.SLAS, "nowhere"])]
    async with client(api, token) as http:
        await until_snapshot(http)
        for route in routes:
            now, live = await http.get(route), await http.get(route, params={"at": world.AT})
            assert now.status_code == live.status_code, route
            assert ("age" in now.headers, "age" in live.headers) == (now.status_code == 200, False), route
            if now.status_code == 200:
                assert now.json() == live.json(), route


async def test_details_filter_and_page(api: str) -> None:
    async with client(api) as http:
        first = (await http.get("/v1/details", params={"at": world.AT, "limit": 2})).json()
        rest = (await http.get("/v1/details", params={"at": world.AT, "offset": 2})).json()
        acme = (await http.get("/v1/details", params={"at": world.AT, "customer": "acme"})).json()
        everything = (await http.get("/v1/details", params={"at": world.AT})).json()
    assert first["next_offset"] == 2 and first["items"] + rest["items"] == everything["items"]
    assert [(i["name"], [o["group"] for o in i["objectives"]]) for i in acme["items"]] == [("grouped", [{"customer": "acme"}])]

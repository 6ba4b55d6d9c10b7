"""GET /v1/slas/{ns}/{name}/burndown: every point is the report of the period so far at its moment,
the last one is the detail's moment, and the route is scoped and fails like the other SLA routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from pledge.api.burndown import spaced
from tests.support import world
from tests.support.world import World, client, until_snapshot

pytestmark = pytest.mark.integration


async def report_at(http: httpx.AsyncClient, name: str, start: str, moment: str) -> dict[str, Any]:
    """What the console asked for each point before the route existed: the report of the period so far."""
    response = await http.get(f"/v1/slas/{world.NS}/{name}/report", params={"from": start, "to": moment, "at": moment})
    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    return dict(row)


async def test_points_are_the_reports_of_the_period_so_far(api: str, loaded: World) -> None:
    """The calendar SLA with maintenance: each point's events and SLI are its report's, its budget left
    is 1 - (1 - SLI) / (1 - target), its burn the error ratio since the point before over 1 - target,
    and the last point is the detail's own moment and budget."""
    async with client(api) as http:
        await until_snapshot(http)
        detail = (await http.get(f"/v1/slas/{world.NS}/monthly")).json()
        response = await http.get(f"/v1/slas/{world.NS}/monthly/burndown", params={"points": 6})
        assert response.status_code == 200, response.text
        body = response.json()
        [series] = body["series"]
        points = series["points"]
        reports = [await report_at(http, "monthly", body["period"]["start"], p["t"]) for p in points]
    assert body["at"] == detail["at"] and body["period"] == detail["period"] and body["source"] == "recorded"
    assert len(points) == 6 and points[-1]["t"] == detail["at"]
    target = series["target"]
    assert target == detail["objectives"][0]["target"] == 0.999
    before = {"events_bad": 0.0, "events_total": 0.0}
    for point, report in zip(points, reports):
        assert (point["sli"], point["events_total"], point["events_bad"]) == \
            (report["sli"], report["events_total"], report["events_bad"])
        # early in a month (the edge rerun's world) the first points have no events yet: no SLI, no budget
        # figure and no burn, rather than numbers made up
        sli, new_valid = report["sli"], report["events_total"] - before["events_total"]
        budget = None if sli is None else pytest.approx(1 - (1 - sli) / (1 - target), abs=1e-12)
        assert point["budget_remaining"] == budget
        burn = None if new_valid <= 0 else \
            pytest.approx((report["events_bad"] - before["events_bad"]) / new_valid / (1 - target), rel=1e-12)
        assert point["burn_rate"] == burn
        before = report
    assert points[-1]["sli"] is not None and points[-1]["burn_rate"] is not None
    own = detail["objectives"][0]
    # the detail sums the same tiles over the same span with its own query
    assert points[-1]["budget_remaining"] == pytest.approx(own["budget_remaining"], abs=1e-6)
    assert points[-1]["events_total"] == pytest.approx(own["events_total"], rel=1e-9)


async def test_burn_between_points_follows_the_world(api: str, loaded: World) -> None:
    """burning spends its budget ten times too fast in its last 8 hours: the last interval's burn
    (7 d / 24 = 7 h) reads that from the tiles, and the intervals before it read the steady 0.5x."""
    async with client(api) as http:
        body = (await http.get(f"/v1/slas/{world.NS}/burning/burndown", params={"at": world.AT})).json()
    [series] = body["series"]
    points = series["points"]
    assert len(points) == 24
    stamps = [dt.datetime.fromisoformat(t).timestamp() for t in [body["period"]["start"], *(p["t"] for p in points)]]
    truth = loaded.truth["burning"]
    for i, absolute, relative in ((5, 0.06, None), (12, 0.06, None), (23, None, 0.02)):
        expected = truth.ratio(stamps[i], stamps[i + 1]) / (1 - series["target"])
        # the 5 m tiles at both ends of a 7 h interval misplace a tile of events each: at 0.5x, a few
        # of its ~40 bad events (0.06 is 4 of them; measured up to 0.02); at 10x, about 1 %
        assert points[i]["burn_rate"] == pytest.approx(expected, abs=absolute, rel=relative), i
    assert points[-1]["burn_rate"] > 8 > 1 > points[12]["burn_rate"]


async def test_scoped_and_erring_like_the_other_sla_routes(api: str) -> None:
    async with client(api, "acme-token") as acme, client(api, "initech-token") as initech, client(api) as sre, \
            client(api, None) as nobody:
        await until_snapshot(sre)
        grouped = (await acme.get(f"/v1/slas/{world.NS}/grouped/burndown", params={"points": 3})).json()
        unknown = await initech.get(f"/v1/slas/{world.NS}/nowhere/burndown")
        hidden = await initech.get(f"/v1/slas/{world.NS}/grouped/burndown")
        at_unknown = await initech.get(f"/v1/slas/{world.NS}/nowhere/burndown", params={"at": world.AT})
        at_hidden = await initech.get(f"/v1/slas/{world.NS}/grouped/burndown", params={"at": world.AT})
        fresh = (await sre.get(f"/v1/slas/{world.NS}/{world.FRESH}/burndown", params={"points": 2})).json()
        bad = [await sre.get(f"/v1/slas/{world.NS}/monthly/burndown", params=p)
               for p in ({"points": 0}, {"points": 97}, {"points": "x"}, {"at": "yesterday"})]
        anonymous = await nobody.get(f"/v1/slas/{world.NS}/monthly/burndown")
    assert [s["group"] for s in grouped["series"]] == [{"customer": "acme"}]
    assert all(p["sli"] is not None for p in grouped["series"][0]["points"])
    for found, missing in ((hidden, unknown), (at_hidden, at_unknown)):
        assert found.status_code == missing.status_code == 404
        assert found.headers["content-type"] == missing.headers["content-type"] == "application/problem+json"
        assert found.text.replace("grouped", "nowhere") == missing.text
    # recorded for its last 6 hours only: the period's start is read from the raw counters
    assert fresh["source"] == "raw" and fresh["series"][0]["points"][0]["events_total"] > 0
    for response, name in zip(bad, ("points", "points", "points", "at")):
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
        assert [p["name"] for p in response.json()["invalid_params"]] == [name]
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"


def test_moments_are_whole_seconds_after_the_start_and_end_at_the_moment() -> None:
    assert spaced(100.0, 124.5, 4) == [106, 112, 118, 124.5]
    assert spaced(100.0, 103.0, 24) == [101, 102, 103.0]  # fewer points than asked: one a second at most
    assert spaced(100.0, 100.0, 24) == []  # the period has just begun

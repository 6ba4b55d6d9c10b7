"""A calendar period is judged when it closes: over Prometheus, the API's detail, list and reports
call an open month below target so far Behind (with the budget to win back) unless it can no longer
end above target, and a report owes its credit only once the month has closed (``final``)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from pledge.sla.units import DAY
from pledge.slo.budget import state, won_back
from pledge.slo.periods import current_period, elapsed_share, named_period
from tests.support import world
from tests.support.api_checks import detail, month_label
from tests.support.world import World, client

pytestmark = pytest.mark.integration

MONTHLY = world.SLAS["monthly"]  # calendar month in Berlin
GOAL = MONTHLY.spec.objectives[0]


def _judged(row: dict[str, Any], elapsed: float | None) -> None:
    """The row's state and won-back share are the pure rule's for its SLI and the share of the period gone."""
    assert row["state"] == state(row["sli"], GOAL, elapsed)
    expected = won_back(1 - row["sli"], GOAL, elapsed) if row["state"] == "Behind" and elapsed is not None else None
    assert row["won_back"] == (None if expected is None else pytest.approx(expected))
    assert row.get("breached", row["state"] == "Breached") == (row["state"] == "Breached")


async def test_the_open_month_is_judged_so_far_in_the_detail_and_the_list(api: str, loaded: World) -> None:
    elapsed = elapsed_share(current_period(MONTHLY.spec.window, world.AT), world.AT)
    assert elapsed is not None and 0 < elapsed < 1
    [row] = (await detail(api, "monthly"))["objectives"]
    _judged(row, elapsed)
    async with client(api) as http:
        listed = (await http.get("/v1/slas", params={"at": world.AT, "namespace": world.NS})).json()
    [summary] = [s for s in listed["items"] if s["name"] == "monthly"]
    assert summary["objectives"][0]["state"] == row["state"]
    assert summary["objectives"][0]["won_back"] == (None if row["won_back"] is None else pytest.approx(row["won_back"]))


# The previous month's 6-hour outage (100 % errors) starts 12 d 10 h into it: 25 minutes in, the month is below
# target so far but can still end above it (Behind); 90 minutes in, the errors exceed the whole month's budget.
@pytest.mark.parametrize(("days", "expected"), [(12 + (10 + 25 / 60) / 24, "Behind"), (12 + 11.5 / 24, "Breached"), (20, "Breached")])
async def test_a_month_reported_before_it_closes_is_so_far(api: str, loaded: World, days: float, expected: str) -> None:
    start, end = world.PREVIOUS_MONTH
    at = start + days * DAY
    async with client(api) as http:
        response = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(start), "at": at})
        as_csv = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(start), "at": at},
                                headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    body = response.json()
    [row] = body["rows"]
    elapsed = elapsed_share(named_period(month_label(start), world.BERLIN.key), at)
    assert elapsed == pytest.approx(days * DAY / (end - start))
    print(f"October so far ({days:.2f} d): SLI {row['sli']:.6f}, {row['state']}, won back {row['won_back']}")
    assert body["closed"] is False and row["final"] is False
    _judged(row, elapsed)
    assert row["state"] == expected
    [line] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert (line["state"], line["final"]) == (row["state"], "false")


async def test_a_closed_month_is_final(api: str, loaded: World) -> None:
    start, _ = world.PREVIOUS_MONTH
    async with client(api) as http:
        now = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(start)})
        this_month = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(world.END)})
    [row] = now.json()["rows"]
    assert now.json()["closed"] is True and row["final"] is True and row["won_back"] is None
    _judged(row, None)  # closed below target: Breached, the credit owed
    assert row["state"] == "Breached"
    [current] = this_month.json()["rows"]
    assert this_month.json()["closed"] is False and current["final"] is False
    _judged(current, elapsed_share(current_period(MONTHLY.spec.window, world.AT), world.AT))

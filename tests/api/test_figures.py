"""Every figure the API returns equals an independent computation from the raw counts."""

from __future__ import annotations

import pytest

from pledge.sla.units import DAY
from tests.support import api_checks as checks
from tests.support import world
from tests.support.api_checks import detail
from tests.support.world import World, client

pytestmark = pytest.mark.integration


async def test_burning_sla_shows_its_firing_alerts(api: str) -> None:
    await checks.burning_sla_shows_its_firing_alerts(api)


async def test_rolling_period_sli_budget_and_burn_rates(api: str, loaded: World) -> None:
    await checks.rolling_period_sli_budget_and_burn_rates(api, loaded)


async def test_calendar_month_with_exclusions(api: str, loaded: World) -> None:
    await checks.calendar_month_with_exclusions(api, loaded)


async def test_grouped_sla_per_customer(api: str, loaded: World) -> None:
    await checks.grouped_sla_per_customer(api, loaded)


async def test_period_without_traffic_is_no_data(api: str) -> None:
    await checks.period_without_traffic_is_no_data(api)


async def test_short_recorded_history_falls_back_to_the_raw_counters(api: str, loaded: World) -> None:
    """Rules deployed hours ago: the recorded series alone would miss the incident 12 days back."""
    truth = loaded.truth[world.FRESH]
    body = await detail(api, world.FRESH)
    assert body["source"] == "raw"
    assert (await detail(api, "bursty"))["source"] == "recorded"
    async with client(api) as http:  # a new service: its counters are no older than its recorded series
        young = await http.get(f"/v1/slas/{world.NS}/burning", params={"at": world.SHORT.start + 2 * DAY})
    assert young.json()["source"] == "recorded"
    [row] = body["objectives"]
    exact = 1 - truth.ratio(world.AT - 30 * DAY, world.AT)
    recorded_only = 1 - truth.ratio(world.AT - world.FRESH_HOURS * 3600, world.AT)
    print(f"fresh SLI: exact {exact:.8f}, API {row['sli']:.8f}, recorded history alone {recorded_only:.8f}")
    assert recorded_only - exact > 1e-4  # the fallback matters: 100 times the tolerance below
    assert row["sli"] == pytest.approx(exact, abs=1e-6)
    bad, valid = truth.events(world.AT - 30 * DAY, world.AT)
    assert row["events_total"] == pytest.approx(valid, rel=1e-4)  # raw counters: rate() extrapolates each range
    assert row["events_bad"] == pytest.approx(bad, rel=1e-3)
    assert row["state"] == ("Met" if exact >= 0.999 else "Breached")
    assert row["credit_percent"] == ("0" if exact >= 0.999 else "10")
    for label, seconds in (("5m", 300), ("1h", 3600), ("1d", DAY), ("3d", 3 * DAY)):
        assert row["burn_rates"][label] == pytest.approx(truth.rate_window(world.AT, seconds) / 0.001, abs=1e-6), label


async def test_report_beyond_the_recorded_history_reads_the_raw_counters(api: str, loaded: World) -> None:
    frm, to = world.AT - 20 * DAY, world.AT - 10 * DAY
    async with client(api) as http:
        response = await http.get(f"/v1/slas/{world.NS}/{world.FRESH}/report", params={"from": frm, "to": to})
    assert response.status_code == 200, response.text
    report = response.json()
    [row] = report["rows"]
    assert report["source"] == "raw"
    # increase() extrapolates each edge's partial minute at the range's average rate, which the
    # fresh SLA's 100 % incident raises: 5.0e-6 measured at the default world end
    assert row["sli"] == pytest.approx(1 - loaded.truth[world.FRESH].ratio(frm, to), abs=1e-5)

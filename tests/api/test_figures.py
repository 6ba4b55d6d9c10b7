"""Every figure the API returns equals an independent computation from the raw counts."""

from __future__ import annotations

from typing import Any

import pytest

from pledge.prom import PrometheusClient
from pledge.slo.exclusions import excluded_seconds, intervals
from pledge.sla.units import DAY
from tests.api import world
from tests.api.conftest import World, client

pytestmark = pytest.mark.integration
TILE = 300  # a 5 m tile: the newest lags the moment by up to one, the first starts up to one after the period


async def detail(url: str, name: str, token: str = "sre-token") -> dict[str, Any]:
    async with client(url, token) as http:
        response = await http.get(f"/v1/slas/{world.NS}/{name}", params={"at": world.AT})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def recorded_at(loaded: World, series: str, sla: str) -> float:
    """When the recorded sample the API read was evaluated: the truth is computed for that moment."""
    async with PrometheusClient(loaded.prom.url) as prom:
        [sample] = await prom.query(f'max(timestamp({series}{{sla="{sla}"}}))', at=world.AT)
    return sample.value


async def test_burning_sla_shows_its_firing_alerts(api: str) -> None:
    body = await detail(api, "burning")
    [row] = body["objectives"]
    names = {(a["name"], a["labels"].get("burn_tier")) for a in row["alerts"]}
    assert ("SLAErrorBudgetBurn", "ticket-slow") in names, names  # its windows never go stale
    assert all(a["labels"]["sla"] == "burning" for a in row["alerts"])


async def test_rolling_period_sli_budget_and_burn_rates(api: str, loaded: World) -> None:
    truth = loaded.truth["bursty"]
    body = await detail(api, "bursty")
    [row] = body["objectives"]
    exact = 1 - truth.ratio(world.AT - 30 * DAY, world.AT)
    evaluated = await recorded_at(loaded, "pledge:sli_requests:period_increase", "bursty")  # up to 5m old
    bad, valid = truth.events(evaluated - 30 * DAY, evaluated)  # the tiles of exactly those 30 days
    print(f"bursty SLI: exact {exact:.8f}, API {row['sli']:.8f}; period recorded {world.AT - evaluated:.0f} s before")
    assert row["sli"] == pytest.approx(exact, abs=1e-6)
    assert (row["events_total"], row["events_bad"]) == (valid, bad)
    budget = 0.001 * row["events_total"]
    assert row["budget_events"]["total"] == pytest.approx(budget, rel=1e-9)
    assert row["budget_events"]["consumed"] == pytest.approx(row["events_bad"], rel=1e-9)
    assert row["budget_remaining"] == pytest.approx(1 - (1 - exact) / 0.001, abs=1e-3)
    assert row["budget_events"]["remaining"] == pytest.approx(budget - row["events_bad"], rel=1e-9)
    minutes = row["budget_minutes"]
    assert minutes["total"] == pytest.approx(0.001 * 30 * DAY / 60)
    assert minutes["consumed"] == pytest.approx((1 - exact) * 30 * DAY / 60, rel=1e-3)
    assert row["burn_rates"]["period"] == pytest.approx((1 - exact) / 0.001, abs=1e-3)
    for label, seconds in (("5m", 300), ("30m", 1800), ("1h", 3600)):  # recorded from raw counters: exact
        evaluated = await recorded_at(loaded, f"pledge:sli_error_ratio:rate{label}", "bursty")
        assert row["burn_rates"][label] == pytest.approx(truth.rate_window(evaluated, seconds, loaded.rate_from_previous_sample) / 0.001, abs=1e-6), label
    for label, seconds in (("6h", 6 * 3600), ("1d", DAY), ("3d", 3 * DAY)):  # sums of 5m tiles: exact
        evaluated = await recorded_at(loaded, f"pledge:sli_error_ratio:rate{label}", "bursty")
        expected = truth.ratio(evaluated - seconds, evaluated) / 0.001
        assert row["burn_rates"][label] == pytest.approx(expected, abs=1e-9), label
    assert row["state"] == ("Met" if exact >= 0.9995 else "AtRisk" if exact >= 0.999 else "Breached")
    assert row["credit_percent"] == ("0" if exact >= 0.999 else "10")


async def test_calendar_month_with_exclusions(api: str, loaded: World) -> None:
    truth, spec = loaded.truth["monthly"], world.SLAS["monthly"].spec
    body = await detail(api, "monthly")
    start = world.month_start(world.END)
    excluded = intervals(spec.exclusions, start, world.AT)
    [row] = body["objectives"]
    exact = 1 - truth.ratio(start, world.AT, world.masked(excluded))
    print(f"monthly SLI: exact {exact:.8f}, API {row['sli']:.8f}, {len(excluded)} exclusions so far")
    assert body["period"]["start"] == world.iso(start)
    assert body["period"]["excluded_seconds"] == pytest.approx(excluded_seconds(spec.exclusions, start, world.AT))
    assert len(body["period"]["excluded"]) == len(excluded)
    # whole 5 m tiles: each end of the range moves by up to a tile, negligible mid-month, a sizeable
    # share of the first hour of a month
    edges = 2 * TILE / (world.AT - start) * (1 - exact)
    assert row["sli"] == pytest.approx(exact, abs=1e-6 + edges)
    bad, valid = truth.events(start + TILE, world.AT, world.masked(excluded))
    # up to a tile at each end (the newest lags the moment): a sizeable share of a month's first hour
    assert row["events_total"] == pytest.approx(valid, rel=2e-3 + 2 * TILE / (world.AT - start))
    period_seconds = world.month_start(world.END, -1) - start
    whole = excluded_seconds(spec.exclusions, start, start + period_seconds)
    assert row["budget_minutes"]["total"] == pytest.approx(0.001 * (period_seconds - whole) / 60)


async def test_grouped_sla_per_customer(api: str, loaded: World) -> None:
    rows = {r["group"]["customer"]: r for r in (await detail(api, "grouped"))["objectives"]}
    assert set(rows) == set(world.CUSTOMERS)
    evaluated = await recorded_at(loaded, "pledge:sli_requests:period_increase", "grouped")  # up to 5m old
    for customer, row in rows.items():
        truth = loaded.truth[customer]
        exact = 1 - truth.ratio(evaluated - 7 * DAY, evaluated)
        print(f"grouped {customer!r}: exact {exact:.8f}, API {row['sli']:.8f}, 1h burn {row['burn_rates']['1h']}")
        # the recorded period: the tiles of exactly the 7 days before it was recorded
        assert row["sli"] == pytest.approx(exact, abs=1e-9), customer
        assert row["budget_remaining"] == pytest.approx(1 - (1 - exact) / 0.005, abs=1e-5 / 0.005)
        assert row["state"] == ("Met" if exact >= 0.995 else "Breached")
        assert row["credit_percent"] == ("0" if exact >= 0.995 else "5")
        # a 7-day SLA records no 1d or 3d window: the API sums the recorded 5m tiles instead
        for label, seconds in (("1d", DAY), ("3d", 3 * DAY)):
            expected = truth.ratio(world.AT - seconds, world.AT) / 0.005
            assert row["burn_rates"][label] == pytest.approx(expected, rel=0.03), (customer, label)


async def test_period_without_traffic_is_no_data(api: str) -> None:
    [row] = (await detail(api, "quiet"))["objectives"]
    assert row["state"] == "NoData" and row["sli"] is None and row["budget_remaining"] is None
    assert row["events_total"] == 0 and row["events_bad"] == 0
    assert row["budget_events"] == {"total": 0, "consumed": 0, "remaining": 0}
    assert all(value is None for value in row["burn_rates"].values())
    assert row["credit_percent"] is None and row["alerts"] == []


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

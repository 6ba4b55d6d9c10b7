"""Corrections after the fact over Prometheus (spec.corrections, pledge.slo.corrections): the world's
October (tests.support.world, SLA "monthly": a 6-hour outage at 100 % errors on the 13th, Berlin
time) is reported with a forgotten maintenance added afterwards, with an interval counted bad, and
with the correction withdrawn again. Nothing is re-recorded between the answers: the same recorded
tiles give every figure, and each is checked against the world's raw counts worked out by hand."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from pledge.api.server import running_api
from pledge.clock import fixed
from pledge.rules import generate
from pledge.sla import ServiceLevelAgreement, parse_sla
from pledge.sla.units import DAY, HOUR
from pledge.testing import LocalPrometheus
from pledge.testing.history import load_history
from pledge.testing.synthetic import Metric, Timeline
from tests.support import world
from tests.support.api_checks import month_label
from tests.support.corrections import FORGOTTEN, MONTHLY, OCTOBER, OUTAGE, credit, held
from tests.support.slas import sla
from tests.support.world import World, client, entries

pytestmark = pytest.mark.integration

QUIET = (OCTOBER[0] + 5 * DAY + 2 * HOUR, OCTOBER[0] + 5 * DAY + 4 * HOUR)  # 2 h of ordinary traffic
NOW_PERIOD = (world.month_start(world.END), world.END)
# a Monday/Tuesday night; in the month-edge world (40 minutes into a month) 20 of those minutes
THIS_MONTH = (NOW_PERIOD[0] + 9 * DAY + 1 * HOUR, NOW_PERIOD[0] + 9 * DAY + 3 * HOUR) \
    if NOW_PERIOD[0] + 9 * DAY + 3 * HOUR <= world.END else (NOW_PERIOD[0] + 10 * 60, NOW_PERIOD[0] + 30 * 60)



def with_corrections(*corrections: dict[str, Any]) -> ServiceLevelAgreement:
    document = MONTHLY.model_dump(by_alias=True, mode="json", exclude_none=True)
    document["spec"]["corrections"] = list(corrections)
    return parse_sla(document, now=world.AT)


@asynccontextmanager
async def serving(sla: ServiceLevelAgreement, loaded: World) -> AsyncIterator[str]:
    async with running_api([sla], loaded.prom.url, entries(), clock=fixed(world.AT), snapshot_seconds=0) as url:
        yield url


async def october(url: str, csv_too: bool = False) -> tuple[dict[str, Any], dict[str, str] | None]:
    async with client(url) as http:
        body = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(OCTOBER[0])})
        assert body.status_code == 200, body.text
        lines = None
        if csv_too:
            text = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(OCTOBER[0])},
                                  headers={"Accept": "text/csv"})
            [lines] = list(csv.DictReader(io.StringIO(text.text)))
    return body.json(), lines


async def test_a_forgotten_maintenance_added_later_changes_the_month_and_withdrawing_it_restores_it(loaded: World) -> None:
    async with serving(MONTHLY, loaded) as url:
        [before] = (await october(url))[0]["rows"]
    async with serving(with_corrections(FORGOTTEN), loaded) as url:
        body, line = await october(url, csv_too=True)
    async with serving(MONTHLY, loaded) as url:  # withdrawn: nothing was stored
        [after] = (await october(url))[0]["rows"]
    [row] = body["rows"]
    held_bad, held_valid = await held(loaded, OUTAGE)  # the outage's 72 tiles
    assert held_bad > 0.95 * held_valid  # errors, but for the minutes the tiles reach past it
    bad, valid = before["events_bad"] - held_bad, before["events_total"] - held_valid
    sli = 1 - bad / valid
    print(f"October: recorded {before['events_bad']:.0f}/{before['events_total']:.0f} bad, SLI {before['sli']:.6f}, "
          f"credit {before['credit_percent']}; outage {held_bad}/{held_valid}; corrected {bad:.0f}/{valid:.0f}, "
          f"SLI {sli:.6f} (API {row['sli']:.6f}), credit {credit(sli)} (API {row['credit_percent']})")
    assert (row["events_bad"], row["events_total"]) == (bad, valid)
    assert row["sli"] == pytest.approx(sli, abs=1e-12)
    assert before["credit_percent"] == "20" and row["credit_percent"] == credit(sli)
    assert row["sli_uncorrected"] == before["sli"] and row["credit_percent_uncorrected"] == "20"
    assert (row["events_bad_uncorrected"], row["events_total_uncorrected"]) == (before["events_bad"], before["events_total"])
    [applied] = row["corrections"]
    assert applied == {"start": world.iso(OUTAGE[0]), "end": world.iso(OUTAGE[1]), "effect": "exclude",
                       "category": "maintenance", "reason": FORGOTTEN["reason"], "ref": "CHG-1234",
                       "approved_by": "cs-lead", "events_bad": -held_bad, "events_total": -held_valid,
                       "sli_change": pytest.approx(sli - before["sli"])}
    assert line is not None and line["credit_percent_uncorrected"] == "20" and float(line["sli_uncorrected"]) == before["sli"]
    assert "exclude maintenance: database upgrade" in line["corrections"] and "ref=CHG-1234" in line["corrections"]
    assert after == before


async def test_an_interval_counted_bad(loaded: World) -> None:
    bad_hours = {"start": world.iso(QUIET[0]), "end": world.iso(QUIET[1]), "effect": "bad", "category": "data-error",
                 "reason": "the probe reported 200 while checkout was down"}
    async with serving(MONTHLY, loaded) as url:
        [before] = (await october(url))[0]["rows"]
    async with serving(with_corrections(bad_hours, FORGOTTEN), loaded) as url:
        [row] = (await october(url))[0]["rows"]
    quiet_bad, quiet_valid = await held(loaded, QUIET)
    outage_bad, outage_valid = await held(loaded, OUTAGE)
    bad = before["events_bad"] + (quiet_valid - quiet_bad) - outage_bad
    valid = before["events_total"] - outage_valid
    print(f"October with {quiet_valid} events counted bad ({quiet_bad} were) and the outage excluded: "
          f"{bad:.0f}/{valid:.0f}, SLI {1 - bad / valid:.6f}, credit {credit(1 - bad / valid)}")
    assert (row["events_bad"], row["events_total"]) == (bad, valid)
    assert row["credit_percent"] == credit(1 - bad / valid)
    first, second = row["corrections"]  # in time order
    assert (first["effect"], first["events_bad"], first["events_total"]) == ("bad", quiet_valid - quiet_bad, 0)
    assert (second["effect"], second["events_bad"]) == ("exclude", -outage_bad)


async def test_the_list_the_detail_and_the_bulk_routes_agree_on_a_corrected_current_period(loaded: World) -> None:
    counted_bad = {"start": world.iso(THIS_MONTH[0]), "end": world.iso(THIS_MONTH[1]), "effect": "bad",
                   "category": "upstream", "reason": "payment provider outage, hidden by retries"}
    async with serving(MONTHLY, loaded) as url:
        async with client(url) as http:
            plain = (await http.get(f"/v1/slas/{world.NS}/monthly", params={"at": world.AT})).json()
    async with serving(with_corrections(counted_bad), loaded) as url:
        async with client(url) as http:
            detail = (await http.get(f"/v1/slas/{world.NS}/monthly", params={"at": world.AT})).json()
            listed = (await http.get("/v1/slas", params={"at": world.AT})).json()
            details = (await http.get("/v1/details", params={"at": world.AT})).json()
            month = (await http.get(f"/v1/slas/{world.NS}/monthly/report",
                                    params={"period": month_label(NOW_PERIOD[0]), "at": world.AT})).json()
            reports = (await http.get("/v1/reports", params={"period": month_label(OCTOBER[0]), "at": world.AT})).json()
    [old], [row] = plain["objectives"], detail["objectives"]
    held_bad, held_valid = await held(loaded, THIS_MONTH)
    assert row["events_bad"] == old["events_bad"] + held_valid - held_bad
    assert row["events_total"] == old["events_total"]
    [summary] = listed["items"]
    [bulk] = details["items"][0]["objectives"]
    [reported] = month["rows"]
    print(f"November so far: {old['events_bad']:.0f} -> {row['events_bad']:.0f} bad of {row['events_total']:.0f}; "
          f"SLI detail {row['sli']:.8f}, list {summary['objectives'][0]['sli']:.8f}, bulk {bulk['sli']:.8f}")
    for other in (summary["objectives"][0]["sli"], bulk["sli"], reported["sli"]):
        assert other == pytest.approx(row["sli"], abs=1e-12)
    assert summary["objectives"][0]["state"] == row["state"] == bulk["state"]
    assert reports["items"][0]["rows"][0]["corrections"] == []  # October untouched by a November correction


def test_a_correction_in_the_future_is_refused_when_read() -> None:
    late = {**FORGOTTEN, "start": world.iso(world.END - HOUR), "end": world.iso(world.END + HOUR)}
    with pytest.raises(ValueError, match=r"spec\.corrections\[0\]\.end: is in the future"):
        with_corrections(late)


# --- effect good on a time-slice SLI: a probe's week ---------------------------------------------------

WEEK_START = 1794182400.0  # Monday 2026-11-09T00:00:00Z
PROBE_DOWN = (WEEK_START + 2 * DAY + 10 * HOUR, WEEK_START + 2 * DAY + 11 * HOUR)  # an hour down on Wednesday
PROBE_AT = WEEK_START + 8 * DAY  # the week closed a day before
PROBE = sla("probe", world.NS, service="edge", window={"calendar": "week", "timezone": "UTC"},
            sli={"boolGauge": {"metric": 'probe_success{job="edge"}'}}, credits=[{"below": "99.9", "percent": "10"}])
UPSTREAM = {"start": world.iso(PROBE_DOWN[0] - 600), "end": world.iso(PROBE_DOWN[1] + 600), "effect": "good",
            "category": "upstream", "reason": "the probe's own network was down, not the service", "ref": "INC-77"}


@pytest.fixture(scope="module")
def probe_store() -> Iterator[LocalPrometheus]:
    timeline = Timeline(WEEK_START - DAY, PROBE_AT, 60)
    up = [0.0 if PROBE_DOWN[0] <= t < PROBE_DOWN[1] else 1.0 for t in timeline.timestamps]
    with LocalPrometheus() as prom:
        asyncio.run(load_history(prom, timeline, [Metric("probe_success", {"job": "edge"}, up, "gauge")], generate(PROBE)))
        yield prom


async def probe_week(prom: LocalPrometheus, sla: ServiceLevelAgreement) -> dict[str, Any]:
    async with running_api([sla], prom.url, entries(), clock=fixed(PROBE_AT), snapshot_seconds=0) as url:
        async with client(url) as http:
            response = await http.get(f"/v1/slas/{world.NS}/probe/report", params={"period": "2026-W46"})
    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    return dict(row)


async def test_bad_time_counted_good_on_a_probe(probe_store: LocalPrometheus) -> None:
    before = await probe_week(probe_store, PROBE)
    document = PROBE.model_dump(by_alias=True, mode="json", exclude_none=True)
    document["spec"]["corrections"] = [UPSTREAM]
    row = await probe_week(probe_store, parse_sla(document, now=PROBE_AT))
    after = await probe_week(probe_store, PROBE)  # withdrawn
    print(f"probe week: {before['events_bad']:.0f} bad seconds of {before['events_total']:.0f}, SLI {before['sli']:.6f}, "
          f"credit {before['credit_percent']}; corrected {row['events_bad']:.0f}, SLI {row['sli']}, credit {row['credit_percent']}")
    # by hand: the hour down is 3,600 bad seconds (a tile at each edge reads part of it) of the week's 604,800
    assert before["events_bad"] == pytest.approx(3600, abs=300) and before["events_total"] == pytest.approx(7 * DAY, abs=600)
    assert before["credit_percent"] == "10"
    # the correction holds every tile that saw the probe down: none is bad any more, no time is taken out
    assert (row["events_bad"], row["events_total"], row["sli"]) == (0, before["events_total"], 1.0)
    assert row["credit_percent"] == "0" and row["credit_percent_uncorrected"] == "10"
    [applied] = row["corrections"]
    assert (applied["effect"], applied["events_bad"], applied["events_total"]) == ("good", -before["events_bad"], 0)
    assert applied["sli_change"] == pytest.approx(1.0 - before["sli"])
    assert after == before


async def test_a_report_from_the_raw_counters_is_corrected_from_them(loaded: World) -> None:
    """The fresh SLA's rules were deployed 6 hours ago: its report of older days reads the raw counters,
    and so does its correction (each piece one range of the SLI's rate pinned with ``@``)."""
    fresh = world.SLAS[world.FRESH]
    incident = (world.END - 12 * DAY, world.END - 12 * DAY + 3 * HOUR)  # 100 % errors
    frm, to = world.AT - 20 * DAY, world.AT - 10 * DAY
    document = fresh.model_dump(by_alias=True, mode="json", exclude_none=True)
    document["spec"]["corrections"] = [{"start": world.iso(incident[0]), "end": world.iso(incident[1]), "effect": "exclude",
                                        "category": "deployment", "reason": "a canary, rolled back"}]
    rows = []
    for sla in (fresh, parse_sla(document, now=world.AT)):
        async with running_api([sla], loaded.prom.url, entries(), clock=fixed(world.AT), snapshot_seconds=0) as url:
            async with client(url) as http:
                report = (await http.get(f"/v1/slas/{world.NS}/{world.FRESH}/report", params={"from": frm, "to": to})).json()
        assert report["source"] == "raw"
        rows.append(report["rows"][0])
    before, row = rows
    truth = loaded.truth[world.FRESH]
    held_bad, held_valid = truth.events(*incident)
    exact = 1 - (truth.events(frm, to)[0] - held_bad) / (truth.events(frm, to)[1] - held_valid)
    print(f"fresh, raw: {before['events_bad']:.0f} bad -> {row['events_bad']:.0f} (by hand {held_bad} removed), "
          f"SLI {before['sli']:.6f} -> {row['sli']:.6f} (by hand {exact:.6f})")
    [applied] = row["corrections"]
    # rate() over each range extrapolates its edges' partial minutes: about one minute's events per edge
    assert applied["events_bad"] == pytest.approx(-held_bad, rel=0.01)
    assert applied["events_total"] == pytest.approx(-held_valid, rel=0.01)
    assert row["sli"] == pytest.approx(exact, abs=2e-5)

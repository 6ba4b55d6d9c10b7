"""The proof of issue 27 ("terms in force") on recorded data: the world's monthly SLA (tests.support.world:
a 6-hour outage at 100 % errors on its previous month's 13th) kept in a real git repository whose commits
fall inside that month, served by `pledge serve --sla-dir` over the world's Prometheus. Every figure is
checked against counts worked out here from the raw counters: the tiles each period holds (those that
start in it, without those the maintenance windows mask), the seconds each revision was in force in
Berlin time, and the credits table applied by hand."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pledge.sla.units import DAY
from tests.support import world
from tests.support.api_checks import month_label
from tests.support.terms_world import MONTH, OUTAGE, document, judged, repo_of, served, tiles
from tests.support.world import World, client

pytestmark = pytest.mark.integration
OLD, NEW = "99.9", "99.95"  # the credits table's tiers (99.9 % at most) allow no target below 99.9 %
FORGOTTEN = {"start": world.iso(OUTAGE[0]), "end": world.iso(OUTAGE[1]), "effect": "exclude", "category": "maintenance",
             "reason": "database upgrade, announced but left out of exclusions"}


def local(day: int, hour: int = 0) -> float:
    """The month's ``day`` at ``hour`` o'clock, Berlin time."""
    first = dt.datetime.fromtimestamp(MONTH[0], world.BERLIN)
    return dt.datetime(first.year, first.month, day, hour, tzinfo=world.BERLIN).timestamp()


async def report(url: str, revision: int | None = None) -> dict[str, Any]:
    params: dict[str, str | int] = {"period": month_label(MONTH[0]), **({"revision": revision} if revision else {})}
    async with client(url) as http:
        answer = await http.get(f"/v1/slas/{world.NS}/monthly/report", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def check_row(row: dict[str, Any], counts: tuple[int, int], target: Decimal) -> None:
    bad, valid = counts
    state, credit = judged(bad, valid, target)
    print(f"{month_label(MONTH[0])} by hand: {bad}/{valid} bad, SLI {1 - bad / valid:.6f}, target {target} %: {state}, "
          f"credit {credit}; API {row['events_bad']:.0f}/{row['events_total']:.0f}, {row['target']}, {row['state']}, "
          f"{row['credit_percent']}")
    assert (row["events_bad"], row["events_total"]) == (bad, valid)
    assert row["sli"] == pytest.approx(1 - bad / valid, abs=1e-12)
    assert row["target"] == pytest.approx(float(target) / 100, abs=1e-12)
    assert (row["state"], row["credit_percent"]) == (state, credit)


async def test_next_period_keeps_the_old_target_for_the_month_of_the_change(tmp_path: Path, loaded: World) -> None:
    raised = local(16, 12)
    assert OUTAGE[1] < raised < MONTH[1]
    repo = repo_of(tmp_path, (MONTH[0], document(OLD)), (raised, document(NEW)))
    async with served(repo, loaded) as url:
        body, what_if = await report(url), await report(url, revision=2)
    month = await tiles(loaded, *MONTH, read_at=MONTH[1])
    [row], terms = body["rows"], body["terms"]
    check_row(row, month, Decimal(OLD))
    assert judged(*month, Decimal(OLD)) == ("Breached", "20") and body["credits"] == {"": "20"}  # 25 % tier, capped
    assert (terms["revision"], terms["time_weighted"], terms["what_if"]) == (1, False, False)
    assert [(s["revision"], s["start"], s["end"], s["targets"]) for s in terms["segments"]] == [
        (1, world.iso(MONTH[0]), world.iso(MONTH[1]), {"availability": OLD})]
    assert [(d["revision"], d["takes_effect"], d["changes"]) for d in terms["deferred"]] == [
        (2, world.iso(MONTH[1]), ["objectives[availability].target"])]  # the next month's first instant
    next_month = dt.datetime.fromtimestamp(MONTH[1], world.BERLIN)
    assert (next_month.day, next_month.hour, next_month.minute) == (1, 0, 0)
    assert terms["words"].endswith(f"; revision 2 takes effect on {next_month:%d %b %Y}.")
    [row] = what_if["rows"]  # what if revision 2 had judged the month
    check_row(row, month, Decimal(NEW))
    assert judged(*month, Decimal(NEW)) == ("Breached", "20") and what_if["credits"] == {"": "20"}
    assert what_if["terms"]["what_if"] is True and what_if["terms"]["revision"] == 2


async def test_an_immediate_change_weights_the_target_by_the_seconds_in_force(tmp_path: Path, loaded: World) -> None:
    raised = local(16, 12)
    repo = repo_of(tmp_path, (MONTH[0], document(OLD, changePolicy="immediate")),
                   (raised, document(NEW, changePolicy="immediate")))
    async with served(repo, loaded) as url:
        body = await report(url)
    # seconds in force, on Berlin's calendar (October's second half holds the hour DST gives back)
    first, second = int(raised - MONTH[0]), int(MONTH[1] - raised)
    start, end = (dt.datetime.fromtimestamp(t, world.BERLIN) for t in MONTH)
    shift = (start.utcoffset() or dt.timedelta()) - (end.utcoffset() or dt.timedelta())
    assert first == 15 * DAY + 12 * 3600
    assert first + second == calendar.monthrange(start.year, start.month)[1] * DAY + shift.total_seconds()
    weighted = (Fraction(first) * Fraction(OLD) + Fraction(second) * Fraction(NEW)) / (first + second)
    target = round(Decimal(weighted.numerator) / Decimal(weighted.denominator), 6)
    month = await tiles(loaded, *MONTH, read_at=MONTH[1])  # the same events as under nextPeriod: the target records nothing
    [row], terms = body["rows"], body["terms"]
    check_row(row, month, target)
    assert Decimal(OLD) < target < Decimal(NEW) and judged(*month, target) == ("Breached", "20")
    assert (terms["revision"], terms["time_weighted"], terms["deferred"]) == (2, True, [])
    assert [(s["revision"], s["start"], s["end"], s["targets"]) for s in terms["segments"]] == [
        (1, world.iso(MONTH[0]), world.iso(raised), {"availability": OLD}),
        (2, world.iso(raised), world.iso(MONTH[1]), {"availability": NEW})]


async def test_a_forgotten_maintenance_committed_and_withdrawn_through_git(tmp_path: Path, loaded: World) -> None:
    """Corrections come from the newest revision: committed a week after the outage, the correction
    applies to the whole month at once (never deferred, no split); withdrawn, the month is as recorded."""
    target = world.SLAS["monthly"].spec.objectives[0].target
    original, corrected = document(str(target)), document(str(target), corrections=[FORGOTTEN])
    added, withdrawn = OUTAGE[1] + 7 * DAY, OUTAGE[1] + 9 * DAY
    assert withdrawn < MONTH[1]
    repo = repo_of(tmp_path, (MONTH[0], original))
    async with served(repo, loaded) as url:
        before = await report(url)
    repo.write("monthly.yaml", corrected)
    repo.commit("exclude the forgotten database upgrade", world.iso(added), "Bob", "bob@example.com")
    async with served(repo, loaded) as url:
        fixed_up = await report(url)
    repo.write("monthly.yaml", original)
    repo.commit("withdraw the correction", world.iso(withdrawn), "Bob", "bob@example.com")
    async with served(repo, loaded) as url:
        after = await report(url)
    month_bad, month_valid = await tiles(loaded, *MONTH, read_at=MONTH[1])
    held_bad, held_valid = await tiles(loaded, *OUTAGE)
    assert held_bad > 0.95 * held_valid  # the outage: errors, but for the minutes the tiles reach past it
    check_row(before["rows"][0], (month_bad, month_valid), target)
    assert judged(month_bad, month_valid, target) == ("Breached", "20")
    [row] = fixed_up["rows"]
    check_row(row, (month_bad - held_bad, month_valid - held_valid), target)
    assert judged(month_bad - held_bad, month_valid - held_valid, target) == ("Met", "0")
    assert (row["events_bad_uncorrected"], row["events_total_uncorrected"]) == (month_bad, month_valid)
    [applied] = row["corrections"]
    assert (applied["effect"], applied["events_bad"], applied["events_total"]) == ("exclude", -held_bad, -held_valid)
    assert fixed_up["terms"]["deferred"] == [] and fixed_up["terms"]["time_weighted"] is False
    check_row(after["rows"][0], (month_bad, month_valid), target)
    assert after["rows"] == before["rows"] and after["rows"][0]["corrections"] == []
    assert after["terms"]["deferred"] == [] and after["terms"]["time_weighted"] is False

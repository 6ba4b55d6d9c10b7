"""The proof of issue 28 ("review packs") on recorded data: a pack for customer acme over a quarter with a
breach, maintenance windows and a correction, every figure in it matching the per-SLA reports and counts
worked out here by hand from the raw counters.

The world's monthly SLA (tests.support.world: calendar months in Europe/Berlin, a 6-hour outage at 100 %
errors on the previous month's 13th, Sunday maintenance and a one-off upgrade excluded, credits 10 %
below 99.9, 25 % below 99, 100 % below 95, capped at 20 %) is kept with ``customer: acme`` in a real git
repository, created before the quarter; ten minutes after the previous month closed, a correction takes
the outage's first four hours out (acme's own load test), so that month is restated. Served as
`pledge serve --sla-dir` serves it, at the world's end (the default world and the month-edge one,
PLEDGE_WORLD_END=2026-12-01T00:40:00+01:00, both with the previous and the current month in 2026-Q4).

A quarter pack has one row per SLA x objective x group, for the quarter so far (open): the closed month
is checked in its own pack (period=the month), which is the restated one. The hours behind breached_at,
the longest bad stretch and the hours above target are the recorded tiles with the correction applied
(its tiles left out), as the report counts the events; the hand computation prints the breach moment of
the tiles as recorded beside it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from html import escape
from pathlib import Path
from typing import Any

import httpx
import pytest

from pledge.review.render import sli_text
from pledge.sla.units import DAY, HOUR
from pledge.slo.periods import Period, calendar_period, named_period
from tests.support import world
from tests.support.api_checks import TILE, month_label
from tests.support.gitrepo import Repo
from tests.support.terms_world import MONTH, OUTAGE, Tile, document, judged, recorded_tiles, repo_of, served
from tests.support.world import World, client

pytestmark = pytest.mark.integration
ZONE = "Europe/Berlin"
TARGET = world.SLAS["monthly"].spec.objectives[0].target  # 99.9
RATIO = float(TARGET / 100)  # the target as the API's rows give it
QUARTER = calendar_period("quarter", ZONE, world.AT)
MONTH_PERIOD = named_period(month_label(MONTH[0]), ZONE)
CORRECTED = (OUTAGE[0], OUTAGE[0] + 4 * HOUR)  # the outage's first four of its six hours
CORRECTION = {"start": world.iso(CORRECTED[0]), "end": world.iso(CORRECTED[1]), "effect": "exclude",
              "category": "customer", "reason": "acme load test against production, run without notice",
              "ref": "INC-4711", "approvedBy": "cs-lead"}
CREATED = QUARTER.start - DAY
COMMITTED = MONTH[1] + 600  # ten minutes after the previous month closed: a restatement
BURN = "SLAErrorBudgetBurn"


def moment(text: str | None) -> float | None:
    return None if text is None else dt.datetime.fromisoformat(text).timestamp()


@dataclass(frozen=True)
class Hand:
    """A period's figures by hand from the raw counters."""

    period: Period
    at: float  # the period read as of: its end once closed, the world's end while open
    tiles: list[Tile]  # the recorded tiles (maintenance masked), as recorded
    held: list[Tile]  # those the correction takes out

    @property
    def closed(self) -> bool:
        return self.period.end <= world.AT

    @property
    def recorded(self) -> tuple[int, int]:
        return sum(b for _, b, _ in self.tiles), sum(v for _, _, v in self.tiles)

    @property
    def taken(self) -> tuple[int, int]:
        return sum(b for _, b, _ in self.held), sum(v for _, _, v in self.held)

    @property
    def bad(self) -> int:
        return self.recorded[0] - self.taken[0]

    @property
    def valid(self) -> int:
        return self.recorded[1] - self.taken[1]

    @property
    def sli(self) -> float:
        return 1 - self.bad / self.valid

    @property
    def allowed(self) -> float:
        """The period's allowed bad events: its (corrected) valid events x (1 - target)."""
        return self.valid * (1 - RATIO)

    @property
    def elapsed(self) -> float | None:
        return None if self.closed else (world.AT - self.period.start) / (self.period.end - self.period.start)

    def state(self) -> str:
        """Closed: Met or Breached; open and below target: Breached once the errors so far exceed the whole
        period's budget pro rata (r x elapsed > 1 - target: it can no longer end above target), else Behind."""
        if self.elapsed is None:
            return judged(self.bad, self.valid, TARGET)[0]
        if self.sli >= RATIO:
            return "Met"
        lost = Fraction(self.bad, self.valid) * Fraction(self.elapsed) > Fraction(1) - Fraction(TARGET) / 100
        return "Breached" if lost else "Behind"

    def credit(self) -> str | None:
        return judged(self.bad, self.valid, TARGET)[1]

    def tier(self) -> str | None:
        """The credit tier the SLI falls in: the lowest ``below`` (at most the target) it is under."""
        percent = Decimal(self.valid - self.bad) / Decimal(self.valid) * 100
        below = [Decimal(c["below"]) for c in world.CREDITS if percent < Decimal(c["below"]) <= TARGET]
        return f"below {min(below)}" if below else None

    def hours(self) -> list[tuple[float, int, int]]:
        """(start, bad, valid) of each whole hour of the period so far that holds a recorded tile: the
        tiles that start in it, as recorded (no correction applied)."""
        found: dict[float, list[int]] = defaultdict(lambda: [0, 0])
        for start, bad, valid in self.tiles:
            hour = self.period.start + (start - self.period.start) // HOUR * HOUR
            if hour + HOUR <= self.at:
                found[hour][0] += bad
                found[hour][1] += valid
        return [(h, b, v) for h, (b, v) in sorted(found.items())]

    def breached_at(self, corrected: bool = True) -> float | None:
        """The end of the hour in which the errors so far first exceeded the period's allowed bad events
        (``corrected``: with the correction's tiles left out, as the API counts; else as recorded)."""
        spent = 0
        for start, bad, _ in self.hours_of(corrected):
            spent += bad
            if spent > self.allowed:
                return start + HOUR
        return None

    def hours_of(self, corrected: bool) -> list[tuple[float, int, int]]:
        if not corrected:
            return self.hours()
        kept = Hand(self.period, self.at, [t for t in self.tiles if t not in self.held], [])
        return kept.hours()

    def stretches(self) -> tuple[float, float | None, float | None]:
        """The longest run of consecutive hours below target (seconds, start), and the share of the
        hours with traffic at or above target."""
        best, best_start, run, run_start, previous, above, judged_hours = 0.0, None, 0.0, None, None, 0, 0
        for start, bad, valid in self.hours_of(corrected=True):
            if valid == 0:
                run, run_start, previous = 0.0, None, None
                continue
            judged_hours += 1
            if bad / valid <= 1 - RATIO:
                above += 1
                run, run_start, previous = 0.0, None, None
                continue
            if previous is None or start != previous + HOUR:
                run, run_start = 0.0, start
            run, previous = run + HOUR, start
            if run > best:
                best, best_start = run, run_start
        return best, best_start, above / judged_hours if judged_hours else None

    def expected_tiles(self) -> int:
        """The tiles the period so far would hold with no data missing: every 5 minutes at the recorded
        tiles' phase, from its start until recorded by ``at``, less those maintenance masks."""
        phase = self.tiles[0][0] % TILE
        found, tile = 0, self.period.start + (phase - self.period.start) % TILE
        while tile < self.period.end and tile + TILE <= self.at:
            found += not any(a <= tile + TILE < b + TILE for a, b, _ in self.exclusions())
            tile += TILE
        return found

    def exclusions(self) -> list[tuple[float, float, str]]:
        """Every maintenance window of the whole period by hand: each Sunday 02:00 to 04:00 Berlin wall
        clock (the SLA gives them no reason) and the one-off upgrade."""
        found = []
        day = dt.datetime.fromtimestamp(self.period.start, world.BERLIN).date()
        while _local(day, 0) < self.period.end:
            if day.weekday() == 6:
                found.append((_local(day, 2), _local(day, 4), "planned maintenance"))
            day += dt.timedelta(days=1)
        if self.period.start <= world.ONE_OFF[0] < self.period.end:
            found.append((*world.ONE_OFF, "upgrade"))
        return sorted(found)

    def line(self) -> str:
        bad, valid = self.recorded
        held_bad, held_valid = self.taken
        breached = self.breached_at()
        longest, longest_start, share = self.stretches()
        return (f"{self.period.label} {'closed' if self.closed else 'so far'} (to {world.iso(self.at)}): recorded "
                f"{bad}/{valid} bad, correction -{held_bad}/-{held_valid}, judged {self.bad}/{self.valid}: SLI "
                f"{self.sli:.6f} ({sli_text(self.sli)}), budget used {self.bad / self.allowed:.4f}, {self.state()}, "
                f"tier {self.tier()}, credit {self.credit()} %; breached_at {_iso(breached)} (as recorded: "
                f"{_iso(self.breached_at(corrected=False))}), longest bad {longest / HOUR:.0f} h from {_iso(longest_start)}, "
                f"hours above target {'-' if share is None else f'{share:.4f}'}, correction budget share {held_bad / self.allowed:.4f}, "
                f"{len(self.exclusions())} exclusions")


def _local(day: dt.date, hour: int) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=world.BERLIN).timestamp()


def _iso(unix: float | None) -> str:
    return "-" if unix is None else world.iso(unix)


async def by_hand(loaded: World, period: Period) -> Hand:
    at = min(period.end, world.AT)
    tiles = await recorded_tiles(loaded, period.start, period.end, read_at=at)
    return Hand(period, at, tiles, [t for t in tiles if CORRECTED[0] <= t[0] < CORRECTED[1]])


async def burn_tiers(loaded: World, start: float, end: float) -> set[str]:
    """The burn tiers Prometheus holds a firing sample of for the monthly SLA within [start, end]."""
    expr = f'count_over_time(ALERTS{{alertname="{BURN}",alertstate="firing",sla="monthly"}}[{int(end - start)}s])'
    async with httpx.AsyncClient(base_url=loaded.prom.url) as prom:
        answer = (await prom.get("/api/v1/query", params={"query": expr, "time": end})).json()
    return {s["metric"]["burn_tier"] for s in answer["data"]["result"]}


@dataclass(frozen=True)
class Served:
    pack: dict[str, Any]
    report: dict[str, Any]  # the per-SLA report route's, same period
    earlier: dict[str, Any]  # the per-SLA report of the period before
    html: str
    csv: list[dict[str, str]]


async def fetch(url: str, period: str, earlier: str) -> Served:
    params: dict[str, str | int] = {"customer": "acme", "period": period, "compare": 1}
    async with client(url) as http:
        pack = await http.get("/v1/review", params=params)
        page = await http.get("/v1/review", params={**params, "format": "html"})
        table = await http.get("/v1/review", params={**params, "format": "csv"})
        report = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": period})
        before = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": earlier})
    for answer in (pack, page, table, report, before):
        assert answer.status_code == 200, answer.text
    return Served(pack.json(), report.json(), before.json(), page.text, list(csv.DictReader(io.StringIO(table.text))))


def repository(tmp_path: Path) -> Repo:
    return repo_of(tmp_path, (CREATED, document(str(TARGET), customer="acme")),
                   (COMMITTED, document(str(TARGET), customer="acme", corrections=[CORRECTION])))


def check_row(row: dict[str, Any], hand: Hand, report: dict[str, Any], loaded_tiers: set[str]) -> None:
    """The pack's row against the hand's figures and the per-SLA report's row."""
    [line] = report["rows"]
    bad, valid = hand.recorded
    held_bad, held_valid = hand.taken
    assert (row["namespace"], row["name"], row["customer"], row["objective"], row["group"]) == (
        world.NS, "monthly", "acme", "availability", {})
    # the events, SLI, budget, state and credit
    assert (row["events_bad"], row["events_total"]) == (hand.bad, hand.valid)
    if hand.held:
        assert (line["events_bad_uncorrected"], line["events_total_uncorrected"]) == (bad, valid)
    assert row["sli"] == pytest.approx(hand.sli, abs=1e-12)
    assert row["budget_used"] == pytest.approx(hand.bad / (hand.valid * (1 - RATIO)), rel=1e-9)
    assert row["state"] == hand.state() and row["met"] is (hand.state() in ("Met", "AtRisk"))
    assert (row["credit_tier"], row["credit_percent"]) == (hand.tier(), hand.credit())
    # the terms: the revision in force at the period's end (the correction's, 2, came after the month closed)
    revision, accepted = (2, COMMITTED) if COMMITTED < hand.period.end else (1, CREATED)
    assert (row["terms"]["target"], row["terms"]["revision"]) == (str(TARGET), revision)
    assert moment(row["terms"]["revision_accepted_at"]) == accepted
    # the hours: the recorded tiles, the correction not applied
    breached_at = moment(row["breached_at"])
    assert (breached_at == hand.breached_at()) if row["state"] == "Breached" else (breached_at is None)
    longest, longest_start, share = hand.stretches()
    assert (row["longest_bad_seconds"], moment(row["longest_bad_start"])) == (longest, longest_start)
    assert row["above_target_share"] == (None if share is None else pytest.approx(share, abs=1e-12))
    # maintenance windows, with their reasons, and the correction with what it gave back
    exclusions = [(moment(a["start"]), moment(a["end"]), a["reason"]) for a in row["adjustments"] if a["kind"] == "exclusion"]
    assert exclusions == [(a, min(b, hand.at), reason) for a, b, reason in hand.exclusions() if a < hand.at]  # so far
    corrections = [a for a in row["adjustments"] if a["kind"] == "correction"]
    if hand.held:
        [correction] = corrections
        assert (correction["effect"], correction["category"], correction["reason"], correction["ref"],
                correction["approved_by"]) == ("exclude", "customer", CORRECTION["reason"], "INC-4711", "cs-lead")
        assert correction["events_bad"] == -held_bad
        assert correction["budget_share"] == pytest.approx(held_bad / hand.allowed, rel=1e-9)
        held_start, held_end = moment(correction["start"]), moment(correction["end"])
        assert held_start is not None and held_end is not None
        assert held_start <= hand.held[0][0] and hand.held[-1][0] < held_end  # the tiles it holds start within it
    else:
        assert corrections == [] and line["corrections"] == []
    # burn alerts: those Prometheus holds for the period (the world replays alerts at its end only)
    assert {i["tier"] for i in row["incidents"]} == loaded_tiers
    # the per-SLA report route's figures, to the event
    assert (row["sli"], row["events_total"], row["events_bad"], row["state"], row["credit_percent"]) == (
        line["sli"], line["events_total"], line["events_bad"], line["state"], line["credit_percent"])
    assert row["terms"]["words"] == report["terms"]["words"]
    if hand.held:
        [applied] = line["corrections"]
        assert (applied["events_bad"], applied["events_total"]) == (-held_bad, -held_valid)
        assert (applied["reason"], applied["approved_by"], moment(applied["start"]), moment(applied["end"])) == (
            correction["reason"], correction["approved_by"], held_start, held_end)
    assert report["closed"] is hand.closed and line["final"] is hand.closed


def check_earlier(row: dict[str, Any], earlier: dict[str, Any], label: str) -> None:
    [before] = row["earlier"]
    [then] = earlier["rows"]
    assert (before["period"], before["sli"], before["state"], before["credit_percent"]) == (
        label, then["sli"], then["state"], then["credit_percent"])
    if then["sli"] is None:
        assert before["sli_change"] is None and then["state"] == "NoData"
    else:
        assert before["sli_change"] == pytest.approx(row["sli"] - then["sli"], abs=1e-12)


def check_summary(pack: dict[str, Any], hand: Hand) -> None:
    summary, [row] = pack["summary"], pack["rows"]
    [line] = summary["lines"]
    state, credit = hand.state(), hand.credit()
    assert sli_text(hand.sli) in line and line.startswith("api/monthly")
    if state == "Breached":
        assert "breached" in line and f"credit {credit} %" in line
    owed = {"api/monthly": credit} if credit is not None and Decimal(credit) > 0 else {}
    assert (summary["met"], summary["breached"], summary["credits"]) == (
        int(state in ("Met", "AtRisk")), int(state == "Breached"), owed)
    assert summary["worst"] == f"api/monthly availability: {sli_text(hand.sli)} against {TARGET} %"
    # completeness: the tiles present (recorded_tiles: from the world's first tile on) over those the
    # period so far expects (5 m moments from its start, outside maintenance): a period with every tile
    # reads 100 %
    expected = hand.expected_tiles()
    present = len(hand.tiles)
    print(f"  completeness {summary['completeness']:.6f}: {present} tiles present of {expected} by hand")
    assert 0 < summary["completeness"] <= 1
    assert summary["completeness"] == pytest.approx(present / expected, abs=1e-12)
    assert row["restated"] is pack["restated"]


def check_renderings(served: Served, hand: Hand, earlier: str) -> None:
    pack, [row] = served.pack, served.pack["rows"]
    headlines = [sli_text(hand.sli), f"{hand.credit()} %"]
    ran = any(a < hand.at for a, _, _ in hand.exclusions())  # the edge world's month is 40 minutes old: none yet
    for headline in headlines + (["planned maintenance"] if ran else []) + ([escape(CORRECTION["reason"])] if hand.held else []):
        assert headline in served.html, headline
    lines = [(c["period"], c["namespace"], c["name"], c["objective"], c["group"]) for c in served.csv]
    assert lines == [(pack["period"], world.NS, "monthly", "availability", ""), (earlier, world.NS, "monthly", "availability", "")]
    mine = served.csv[0]
    assert (float(mine["sli"]), mine["credit_percent"], mine["state"]) == (row["sli"], hand.credit() or "", hand.state())
    assert (float(mine["events_bad"]), float(mine["events_total"])) == (hand.bad, hand.valid)
    assert mine["content_hash"] == pack["content_hash"] and mine["adjustments"] == str(len(row["adjustments"]))


async def test_the_quarter_pack_of_acme(tmp_path: Path, loaded: World) -> None:
    """The quarter so far: open, judged on its events so far (the outage's last two hours in them, its
    first four corrected out), the credit so far, every maintenance window of the quarter listed."""
    assert QUARTER.label == "2026-Q4" and QUARTER.start <= MONTH[0] < MONTH[1] < world.AT < QUARTER.end
    repo = repository(tmp_path)
    earlier = calendar_period("quarter", ZONE, QUARTER.start - 1).label
    async with served(repo, loaded) as url:
        got = await fetch(url, QUARTER.label, earlier)
    hand = await by_hand(loaded, QUARTER)
    print(f"\nby hand: {hand.line()}")
    pack, [row] = got.pack, got.pack["rows"]
    print(f"API: {row['events_bad']:.0f}/{row['events_total']:.0f}, SLI {row['sli']:.6f}, {row['state']}, "
          f"{row['credit_tier']}, credit {row['credit_percent']} %, breached_at {row['breached_at']}, "
          f"{len(row['adjustments'])} adjustments, {len(row['incidents'])} incidents, completeness "
          f"{pack['summary']['completeness']:.6f}")
    assert pack["scope"] == {"customer": "acme"} and pack["period"] == QUARTER.label
    assert (moment(pack["start"]), moment(pack["end"]), moment(pack["computed_at"])) == (QUARTER.start, QUARTER.end, world.AT)
    assert pack["closed"] is False and pack["restated"] is False  # an open period is never restated
    assert (row["restated"], row["sli_published"], row["credit_percent_published"]) == (False, None, None)
    tiers = await burn_tiers(loaded, QUARTER.start, world.AT)
    check_row(row, hand, got.report, tiers)
    assert hand.state() == "Breached" and hand.sli < RATIO  # can no longer end above 99.9 %
    # the breach moment of the corrected hours: after the correction's end, when the outage's rest spent
    # the budget; the tiles as recorded would have placed it inside the hours the correction takes out
    breach, as_recorded = hand.breached_at(), hand.breached_at(corrected=False)
    assert breach is not None and as_recorded is not None
    assert OUTAGE[0] < as_recorded <= CORRECTED[1] < breach <= OUTAGE[1] + HOUR
    # the quarter holds both months' maintenance: 13 Sundays and the upgrade, the later ones not yet run
    # (the pack lists those so far, as the report does)
    assert len(hand.exclusions()) == 14 and [r for *_, r in hand.exclusions()].count("upgrade") == 1
    so_far = [(moment(a), moment(b)) for a, b in got.report["period"]["excluded"]]
    assert so_far == [(a, b) for a, b, _ in hand.exclusions() if a < world.AT]
    check_earlier(row, got.earlier, earlier)
    check_summary(pack, hand)
    check_renderings(got, hand, earlier)


async def test_the_closed_month_in_the_pack_is_restated(tmp_path: Path, loaded: World) -> None:
    """The previous month, closed, as first published (no correction: 25 % tier, capped at 20 %) and as
    restated by the correction committed after its close (the outage's last two hours only: 10 %)."""
    repo = repository(tmp_path)
    earlier = month_label(world.month_start(world.END, 2))
    async with served(repo, loaded) as url:
        got = await fetch(url, MONTH_PERIOD.label, earlier)
    hand = await by_hand(loaded, MONTH_PERIOD)
    print(f"\nby hand: {hand.line()}")
    bad, valid = hand.recorded
    published = judged(bad, valid, TARGET)
    print(f"  as first published: {bad}/{valid} bad, SLI {1 - bad / valid:.6f} ({sli_text(1 - bad / valid)}), "
          f"{published[0]}, credit {published[1]} %")
    pack, [row] = got.pack, got.pack["rows"]
    assert pack["period"] == MONTH_PERIOD.label and pack["closed"] is True and moment(pack["computed_at"]) == MONTH[1]
    tiers = await burn_tiers(loaded, *MONTH)
    check_row(row, hand, got.report, tiers)
    assert hand.state() == "Breached" and (hand.tier(), hand.credit()) == ("below 99.9", "10")
    assert published == ("Breached", "20")
    # the breach moment of the corrected hours: after the correction's end, when the outage's rest spent
    # the budget; the tiles as recorded would have placed it inside the hours the correction takes out
    breach, as_recorded = hand.breached_at(), hand.breached_at(corrected=False)
    assert breach is not None and as_recorded is not None
    assert OUTAGE[0] < as_recorded <= CORRECTED[1] < breach <= OUTAGE[1] + HOUR
    longest, longest_start, _ = hand.stretches()  # the outage's hours after the correction, and its edge
    assert longest_start is not None and CORRECTED[1] - HOUR <= longest_start and longest_start + longest >= OUTAGE[1]
    # Sundays counted on the calendar: 4, 11, 18 and 25 October 2026 (the last one 3 hours long: 02:00 CEST
    # to 04:00 CET, the night summer time ends), or 1, 8, 15, 22 and 29 November 2026 (the month-edge world)
    sundays = [(a, b) for a, b, reason in hand.exclusions() if reason != "upgrade"]
    assert len(sundays) == {"2026-10": 4, "2026-11": 5}[MONTH_PERIOD.label]
    assert [(b - a) / HOUR for a, b in sundays] == ([2, 2, 2, 3] if MONTH_PERIOD.label == "2026-10" else [2] * 5)
    # restated: as first published, the month had no correction
    assert pack["restated"] is True and row["restated"] is True
    assert row["sli_published"] == pytest.approx(1 - bad / valid, abs=1e-12)
    assert row["credit_percent_published"] == published[1] == "20"
    restatement = got.report["restatement"]
    [again] = restatement["rows"]
    assert (restatement["published_revision"], restatement["restated_by"]) == (1, [2])
    assert (again["sli_published"], again["credit_percent_published"], again["sli_restated"]) == (
        row["sli_published"], row["credit_percent_published"], row["sli"])
    check_earlier(row, got.earlier, earlier)
    check_summary(pack, hand)
    check_renderings(got, hand, earlier)
    assert sli_text(row["sli_published"]) in got.html


async def test_the_current_month_so_far(tmp_path: Path, loaded: World) -> None:
    """The current month, open: so far (the report's rows not final), no correction in it, every Sunday
    of the month listed."""
    repo = repository(tmp_path)
    current = calendar_period("month", ZONE, world.AT)
    earlier = month_label(MONTH[0])
    async with served(repo, loaded) as url:
        got = await fetch(url, current.label, earlier)
    hand = await by_hand(loaded, current)
    print(f"\nby hand: {hand.line()}")
    pack, [row] = got.pack, got.pack["rows"]
    assert pack["period"] == current.label and pack["closed"] is False and moment(pack["computed_at"]) == world.AT
    assert hand.held == [] and hand.state() in ("Met", "AtRisk", "Behind")
    check_row(row, hand, got.report, await burn_tiers(loaded, current.start, world.AT))
    assert (row["restated"], pack["restated"]) == (False, False)
    check_earlier(row, got.earlier, earlier)
    check_summary(pack, hand)
    check_renderings(got, hand, earlier)


"""One-off corrections in the recorded period events (pledge.rules.corrections), through `promtool
test rules`: Prometheus's own rule engine, evaluating from Unix time 0 with fixed instants.

The tiles are exact only when promtool evaluates them every 5 minutes, so every run uses 5m with
counters scraped every minute. Expected figures are worked out here from the counters: a period
(or rolling window) holds the tiles that start in it, a correction piece the tiles that start in
its interval, and ``pledge.slo.corrections.apply`` (the API's arithmetic) turns both into the
corrected events the rules must record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

import pytest

from pledge.rules import generate, rule_file, to_yaml
from pledge.rules.names import BUDGET_REMAINING, ERRORS_PERIOD, REQUESTS_PERIOD, TILE
from pledge.sla import parse_sla
from pledge.slo.corrections import Events, Piece, apply, pieces
from pledge.slo.periods import calendar_period
from pledge.sla.units import DAY, HOUR, MINUTE
from tests.support.promtool_unit import Sample, counter_values, probe
from tests.support.slas import document

pytestmark = pytest.mark.integration

BUDGET = 0.001  # 99.9 %
EXHAUSTED, AT_RISK = "SLABudgetExhausted", "SLABudgetAtRisk"
OUTAGE = (6 * HOUR, 8 * HOUR)  # 10 % of the requests fail
QUIET = (12 * HOUR, 12 * HOUR + 10 * MINUTE)  # ordinary time a `bad` correction blames
LATE = 10 * HOUR  # route "b" of the grouped SLA has no series before this


@dataclass(frozen=True)
class Traffic:
    """One series pair (code 200 and 500) counted every minute from ``first`` on: requests vary by
    the hour, a few hours carry one error a minute, the outage fails 10 %. Zero before ``first``."""

    requests: list[int]  # cumulative, index i = the value at i minutes
    errors: list[int]
    first: int = 0

    @classmethod
    def of(cls, end: int, outage: tuple[int, int] | None, first: int = 0) -> Traffic:
        requests, errors = [], []
        for minute in range(end // MINUTE):
            t, hour = (minute + 1) * MINUTE, minute // 60
            total = (600 + 60 * (hour * 7 % 11)) if t > first else 0
            failing = outage is not None and outage[0] < t <= outage[1]
            errors.append(total // 10 if failing else int(hour % 5 == 2 and total > 0))
            requests.append(total)
        return cls(list(accumulate(requests, initial=0)), list(accumulate(errors, initial=0)), first)

    def series(self, labels: str) -> dict[str, str]:
        gap = f"_x{self.first // MINUTE} " if self.first else ""
        skip = self.first // MINUTE
        good = [r - e for r, e in zip(_steps(self.requests), _steps(self.errors))][skip:]
        return {f'http_requests_total{{{labels},code="200"}}': gap + counter_values(good),
                f'http_requests_total{{{labels},code="500"}}': gap + counter_values(_steps(self.errors)[skip:])}

    def held(self, start: float, end: float) -> Events:
        """(bad, valid) in the tiles that start within [start, end), recorded by ``end`` + a tile."""
        a, b = int(start) // MINUTE, int(end) // MINUTE
        return Events(self.errors[b] - self.errors[a], self.requests[b] - self.requests[a])


def _steps(cumulative: list[int]) -> list[float]:
    return [float(b - a) for a, b in pairwise(cumulative)]


def correction(span: tuple[int, int], effect: str) -> dict[str, str]:
    return {"start": _iso(span[0]), "end": _iso(span[1]), "effect": effect, "category": "other",
            "reason": f"{effect} in a test"}


def _iso(unix: int) -> str:
    return f"1970-01-{1 + unix // DAY:02d}T{unix % DAY // HOUR:02d}:{unix % HOUR // MINUTE:02d}:00Z"


def corrected(doc: dict[str, Any], traffic: Traffic, since: float, at: float) -> Events:
    """The period's events as the API corrects them: recorded ones since ``since``, then each
    correction piece of [since, at) changed by ``pledge.slo.corrections.apply``."""
    sla = parse_sla(doc)
    found: list[Piece] = pieces(sla.spec.corrections, sla.spec.exclusions, since, at, objective="availability")
    return apply(traffic.held(since, at), [(p, traffic.held(p.start, p.end)) for p in found])


def run(tmp_path: Path, docs: list[dict[str, Any]], series: dict[str, str], times: list[int],
        end: int) -> dict[tuple[str, float], list[Sample]]:
    path = tmp_path / "rules.yaml"
    path.write_text(to_yaml(rule_file([g for d in docs for g in generate(parse_sla(d))])))
    exprs = [ERRORS_PERIOD, REQUESTS_PERIOD, BUDGET_REMAINING, "ALERTS"]
    assert max(times) <= end
    return probe([path], series, [(e, t) for e in exprs for t in times], interval=TILE, scrape=MINUTE)


def value(found: dict[tuple[str, float], list[Sample]], name: str, sla: str, t: float, **labels: str) -> float | None:
    matching = [s.value for s in found[(name, t)] if s.labels.get("sla") == sla
                and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matching) <= 1, matching
    return matching[0] if matching else None


def firing(found: dict[tuple[str, float], list[Sample]], sla: str, t: float) -> set[str]:
    return {s.labels["alertname"] for s in found[("ALERTS", t)]
            if s.labels.get("sla") == sla and s.labels.get("alertstate") == "firing"}


# --- a calendar month (UTC; January 1970), one promtool run for four SLAs --------------------------

MONTH = {"calendar": "month", "timezone": "UTC"}
CAL_END = DAY + 2 * HOUR  # the moment every calendar SLA is read at
CAL_TIMES = [OUTAGE[1], OUTAGE[1] + TILE, DAY, CAL_END]


def _calendar_docs() -> dict[str, dict[str, Any]]:
    return {
        "outage": document("outage", window=MONTH),
        "excused": document("excused", window=MONTH, corrections=[correction(OUTAGE, "exclude")]),
        "quiet": document("quiet", window=MONTH, warning="99.95"),
        "blamed": document("blamed", window=MONTH, warning="99.95", corrections=[correction(QUIET, "bad")]),
        "grouped": document("grouped", window=MONTH, grouping=["route"], corrections=[correction(OUTAGE, "exclude")]),
    }


@dataclass(frozen=True)
class CalendarRun:
    docs: dict[str, dict[str, Any]]
    traffic: dict[str, Traffic]
    found: dict[tuple[str, float], list[Sample]]


@pytest.fixture(scope="module")
def calendar_run(tmp_path_factory: pytest.TempPathFactory) -> CalendarRun:
    docs = _calendar_docs()
    stormy, calm = Traffic.of(CAL_END, OUTAGE), Traffic.of(CAL_END, None)
    traffic = {"outage": stormy, "excused": stormy, "quiet": calm, "blamed": calm, "grouped/a": stormy,
               "grouped/b": Traffic.of(CAL_END, OUTAGE, first=LATE)}
    series: dict[str, str] = {}
    for key, one in traffic.items():
        name, _, route = key.partition("/")
        series.update(one.series(f'service="{name}"' + (f',route="{route}"' if route else "")))
    return CalendarRun(docs, traffic, run(tmp_path_factory.mktemp("calendar"), list(docs.values()), series, CAL_TIMES,
                                          CAL_END))


def _check_period(r: CalendarRun, name: str, t: int, expected: Events, **labels: str) -> None:
    assert value(r.found, ERRORS_PERIOD, name, t, **labels) == expected.bad, (name, t)
    assert value(r.found, REQUESTS_PERIOD, name, t, **labels) == expected.valid, (name, t)


def test_exclude_correction_over_an_outage_stops_budget_exhausted(calendar_run: CalendarRun) -> None:
    r, t = calendar_run, CAL_END
    month = calendar_period("month", "UTC", t).start
    assert month == 0
    stormy = r.traffic["outage"]
    recorded, held = stormy.held(month, t), stormy.held(*OUTAGE)
    assert recorded.bad / recorded.valid > BUDGET  # the outage spends the month's budget...
    assert EXHAUSTED in firing(r.found, "outage", t)
    _check_period(r, "outage", t, recorded)

    fixed = corrected(r.docs["excused"], stormy, month, t)  # ...which the correction gives back
    assert fixed == Events(recorded.bad - held.bad, recorded.valid - held.valid) and fixed.bad / fixed.valid < BUDGET
    _check_period(r, "excused", t, fixed)
    assert EXHAUSTED not in firing(r.found, "excused", t)
    remaining = value(r.found, BUDGET_REMAINING, "excused", t)
    assert remaining is not None and remaining == pytest.approx(1 - fixed.bad / fixed.valid / BUDGET, rel=1e-12) and 0 < remaining < 1
    assert value(r.found, BUDGET_REMAINING, "outage", t) == pytest.approx(1 - recorded.bad / recorded.valid / BUDGET,
                                                                          rel=1e-12)
    # one tile after the outage its last tile is recorded and the correction counts; a day on, still
    for moment in (OUTAGE[1] + TILE, DAY):
        _check_period(r, "excused", moment, corrected(r.docs["excused"], stormy, month, moment))
        assert EXHAUSTED not in firing(r.found, "excused", moment) and EXHAUSTED in firing(r.found, "outage", moment)


def test_bad_correction_over_quiet_time_spends_the_budget(calendar_run: CalendarRun) -> None:
    r, t = calendar_run, CAL_END
    calm = r.traffic["quiet"]
    recorded, held = calm.held(0, t), calm.held(*QUIET)
    assert firing(r.found, "quiet", t) == set() and recorded.bad / recorded.valid < BUDGET / 2
    fixed = corrected(r.docs["blamed"], calm, 0, t)
    assert fixed == Events(recorded.bad + held.valid - held.bad, recorded.valid)
    _check_period(r, "blamed", t, fixed)
    assert fixed.bad / fixed.valid > BUDGET
    assert EXHAUSTED in firing(r.found, "blamed", t)
    assert value(r.found, BUDGET_REMAINING, "blamed", t) == pytest.approx(1 - fixed.bad / fixed.valid / BUDGET,
                                                                          rel=1e-12)


def test_group_without_tiles_in_the_correction_keeps_its_period_series(calendar_run: CalendarRun) -> None:
    r, t = calendar_run, CAL_END
    a, b = r.traffic["grouped/a"], r.traffic["grouped/b"]
    assert b.held(*OUTAGE) == Events(0, 0) and b.held(0, t).valid > 0  # route b began after the correction
    _check_period(r, "grouped", t, corrected(r.docs["grouped"], a, 0, t), route="a")
    _check_period(r, "grouped", t, b.held(0, t), route="b")
    assert value(r.found, BUDGET_REMAINING, "grouped", t, route="b") is not None
    assert {s.labels.get("route") for s in r.found[(ERRORS_PERIOD, t)] if s.labels["sla"] == "grouped"} == {"a", "b"}
    assert EXHAUSTED not in firing(r.found, "grouped", t)


# --- a rolling day: full while the interval is in the window, fading, then gone ---------------------

ROLLING_END = DAY + 9 * HOUR


def test_rolling_window_counts_the_correction_while_it_is_in_the_window(tmp_path: Path) -> None:
    window = {"rolling": "1d"}
    plain = document("rolling", window=window)
    fixed = document("fixed", window=window, corrections=[correction(OUTAGE, "exclude")])
    stormy = Traffic.of(ROLLING_END, OUTAGE)
    start, stop = OUTAGE
    inside, edge, half, gone = DAY, DAY + start, DAY + (start + stop) // 2, DAY + stop + TILE
    found = run(tmp_path, [plain, fixed], {**stormy.series('service="rolling"'), **stormy.series('service="fixed"')},
                [inside, edge, half, gone], ROLLING_END)
    held = stormy.held(*OUTAGE)

    def events(sla: str, t: int) -> Events:
        bad, valid = value(found, ERRORS_PERIOD, sla, t), value(found, REQUESTS_PERIOD, sla, t)
        assert bad is not None and valid is not None, (sla, t)
        return Events(bad, valid)

    for t in (inside, edge):  # the whole interval lies in the window: the API's figures, to the event
        assert events("rolling", t) == stormy.held(t - DAY, t)
        assert events("fixed", t) == corrected(fixed, stormy, t - DAY, t) == stormy.held(t - DAY, t) - held
        assert EXHAUSTED in firing(found, "rolling", t) and EXHAUSTED not in firing(found, "fixed", t)
    # half of it has aged out: half the term (the documented approximation of its tiles leaving one by
    # one; here the busier first hour left first, so the errors' half term outweighs what is left: 0, not below)
    assert events("fixed", half).valid == pytest.approx(stormy.held(half - DAY, half).valid - held.valid / 2)
    assert events("fixed", half).bad == max(0, stormy.held(half - DAY, half).bad - held.bad / 2)
    # out of the window: no term at all, the recorded window as it is
    assert events("fixed", gone) == events("rolling", gone) == stormy.held(gone - DAY, gone)


# --- a calendar week in Tokyo: a correction across the boundary counts its own week's part only ----

TOKYO = "Asia/Tokyo"
# 1970-01-12 00:00 (Monday) in Tokyo; the week before starts at 3 d 15 h (the weeks of 1969 have a
# negative index, which the hour tiles' tags modulo 3 do not handle: no test data before 1970-01-05)
WEEK_BOUNDARY = 10 * DAY + 15 * HOUR
ACROSS = (WEEK_BOUNDARY - 2 * HOUR, WEEK_BOUNDARY + 2 * HOUR)


def test_calendar_correction_splits_at_the_period_boundary_in_the_sla_time_zone(tmp_path: Path) -> None:
    assert calendar_period("week", TOKYO, WEEK_BOUNDARY).start == WEEK_BOUNDARY
    end = WEEK_BOUNDARY + 6 * HOUR
    doc = document("weekly", window={"calendar": "week", "timezone": TOKYO}, corrections=[correction(ACROSS, "bad")])
    calm = Traffic.of(end, None)
    before, after = WEEK_BOUNDARY - TILE, end
    found = run(tmp_path, [doc], calm.series('service="weekly"'), [ACROSS[0] + HOUR, before, after], end)
    for t in (ACROSS[0] + HOUR, before):  # the first week's part ends with the week: never counted while it is open
        assert value(found, ERRORS_PERIOD, "weekly", t) == calm.held(WEEK_BOUNDARY - 7 * DAY, t).bad
    since = calendar_period("week", TOKYO, after).start
    mine, whole = calm.held(WEEK_BOUNDARY, ACROSS[1]), calm.held(*ACROSS)
    assert mine != whole
    expected = corrected(doc, calm, since, after)
    assert expected.bad == calm.held(since, after).bad + mine.valid - mine.bad
    assert value(found, ERRORS_PERIOD, "weekly", after) == expected.bad
    assert value(found, REQUESTS_PERIOD, "weekly", after) == expected.valid


# --- what reaches the rules (no promtool): maintenance outranks a correction, recurring ones stay out --

def _period_rules(doc: dict[str, Any]) -> dict[str, str]:
    return {r.record: r.expr for g in generate(parse_sla(doc)) for r in g.rules
            if r.record in (ERRORS_PERIOD, REQUESTS_PERIOD)}


def test_maintenance_is_cut_out_of_a_correction_and_recurring_ones_are_left_to_the_api() -> None:
    maintenance = {"start": _iso(7 * HOUR), "end": _iso(7 * HOUR + 30 * MINUTE), "reason": "planned"}
    weekly = {"schedule": "weekly", "day": "sunday", "at": "02:00", "duration": "2h", "effect": "exclude",
              "category": "maintenance", "reason": "every week"}
    doc = document("cut", window=MONTH, exclusions=[maintenance], corrections=[correction(OUTAGE, "exclude")])
    rules = _period_rules(doc)
    # [6 h, 7 h) and [7 h 30 m, 8 h): each range pinned a tile (less 1 s) after its piece's end
    for expr, tile in ((rules[ERRORS_PERIOD], "pledge:sli_errors:increase5m"),
                       (rules[REQUESTS_PERIOD], "pledge:sli_requests:increase5m")):
        pinned = re.findall(rf"sum_over_time\({re.escape(tile)}\{{[^}}]*\}}\[(\w+)\] @ ([0-9.]+)\)", expr)
        assert pinned == [("1h", f"{7 * HOUR + TILE - 1}.000"), ("30m", f"{8 * HOUR + TILE - 1}.000")]
        assert expr.startswith("clamp_min(")
    recurring = _period_rules(document("cut", window=MONTH, exclusions=[maintenance], corrections=[weekly]))
    assert recurring == _period_rules(document("cut", window=MONTH, exclusions=[maintenance]))
    assert "@" not in recurring[ERRORS_PERIOD]

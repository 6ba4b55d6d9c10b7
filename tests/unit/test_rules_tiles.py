"""Tiles: 5 m tiles read counters at both ends, hour tiles and periods sum them, counters are read once,
ranges stay under promtool's sample limit, and (simulated, tests.support.tiles) every tile is counted once."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import promql_parser
import pytest

from pledge.rules import generate
from tests.support.generated import (
    ALL,
    HOUR_TILES,
    MAX_SAMPLES,
    PERIOD_EVENTS,
    RATIO,
    RAW_RANGE_LIMIT,
    SLI_RECORDS,
    TILES,
    TILE_STEP,
    all_slas,
    duration,
    records_of,
    rules_of,
    window_of,
)
from tests.support.promql import (
    ast_of,
    matrices,
    metric_of,
    nodes,
    offset_of,
    or_chain,
    part_sums,
    reads_pledge_series,
    reads_raw_series,
    reads_series,
    recorded_names,
    selector_labels,
    strip,
)
from tests.support.slas import with_spec
from tests.support.tiles import TileSimulator, check_window, evaluations


# --- (12) tiles, hour tiles, calendar windows ------------------------------------------------------------


def _hour_condition(node: Any) -> tuple[int, int] | None:
    """(a, b) of `on() (vector(time()) % 3600 >= a < b)`, the evaluation of the tiles group in the hour."""
    node = strip(node)
    text = node.prettify().replace("\n", " ")
    found = re.fullmatch(r"\(?\s*vector\(time\(\)\) % 3600 >= (\d+) < (\d+)\s*\)?", " ".join(text.split()))
    return (int(found[1]), int(found[2])) if found else None


@pytest.mark.parametrize("name", ALL)
def test_tiles_read_counters_at_both_ends(name: str) -> None:
    """A 5 m tile is the counter's growth over 5 m read at both ends, `(x - x offset 5m) >= 0 or
    (x and x offset 5m)`: not extrapolated, so tiles add up to exactly what the counters grew by."""
    sla = all_slas()[name]
    for rule in (r for r in records_of(name) if r.record in TILES):
        objective = next(o for o in sla.spec.objectives if o.name == rule.labels["objective"])
        parsed = ast_of(rule.expr)
        if objective.sli.kind in ("bool_gauge", "raw"):
            ranges = {n.range for n in nodes(parsed) if isinstance(n, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr))}
            assert ranges == {dt.timedelta(minutes=5)} and " * 300" in rule.expr, rule.name
            continue
        growths = [n for n in nodes(parsed) if isinstance(n, promql_parser.BinaryExpr) and str(n.op) == "or"
                   and not (n.modifier and n.modifier.matching) and reads_series(n)]
        counters = [n for n in nodes(parsed) if isinstance(n, promql_parser.VectorSelector) and not metric_of(n).startswith("pledge:")]
        assert growths and len(counters) == 4 * len(growths), rule.name  # every counter read is in one
        for growth in growths:
            difference, both = strip(growth.lhs), strip(growth.rhs)
            assert str(difference.op) == ">=" and strip(difference.rhs).val == 0
            now, then = strip(strip(difference.lhs).lhs), strip(strip(difference.lhs).rhs)
            assert str(strip(difference.lhs).op) == "-" and str(both.op) == "and"
            assert [strip(both.lhs).prettify(), strip(both.rhs).prettify()] == [now.prettify(), then.prettify()]
            assert now.offset is None and then.offset == dt.timedelta(minutes=5)
            assert selector_labels(now) == selector_labels(then) and metric_of(now) == metric_of(then)


@pytest.mark.parametrize("name", ALL)
def test_hour_tiles_read_only_the_5m_tiles_of_the_hour_before(name: str) -> None:
    """An hour tile, recorded at the second evaluation of an hour, sums the twelve 5 m tiles of its kind
    recorded up to the first (`[55m1s] offset 5m`); rolling SLAs record one per kind, calendar SLAs three,
    tagged `pledge_period="0|1|2"` (the period the hour started in, modulo 3)."""
    sla = all_slas()[name]
    calendar = sla.spec.window.calendar is not None
    for objective in sla.spec.objectives:
        for tile, hour_tile in zip(TILES, HOUR_TILES):
            rules = [r for r in records_of(name) if r.record == hour_tile and r.labels["objective"] == objective.name]
            periods = sorted(r.labels.get("pledge_period", "") for r in rules)
            assert periods == (["0", "1", "2"] if calendar else [""])
            for rule in rules:
                parsed = ast_of(rule.expr)
                assert recorded_names(parsed) == {tile}, rule.name
                (matrix,) = matrices(parsed)
                assert (matrix.range, offset_of(matrix)) == (dt.timedelta(minutes=55, seconds=1), dt.timedelta(minutes=5))
                top = strip(parsed)
                conditions = []
                while isinstance(top, promql_parser.BinaryExpr) and str(top.op) == "and":
                    assert top.modifier is not None and top.modifier.matching is not None
                    assert top.modifier.matching.labels == [] and not reads_series(top.rhs)
                    conditions.append(top.rhs)
                    top = strip(top.lhs)
                assert isinstance(top, promql_parser.Call) and top.func.name == "sum_over_time"
                assert _hour_condition(conditions[-1]) == (300, 600)
                if calendar:
                    (index,) = conditions[:-1]
                    modulo = strip(index)
                    assert str(modulo.op) == "==" and modulo.rhs.val == int(rule.labels["pledge_period"])
                    assert str(strip(modulo.lhs).op) == "%" and strip(modulo.lhs).rhs.val == 3
                else:
                    assert len(conditions) == 1


LONGEST = {"week": dt.timedelta(days=7), "month": dt.timedelta(days=31), "quarter": dt.timedelta(days=92)}


@pytest.mark.parametrize(("name", "calendar"), [("acme-monthly", "month"), ("weekly-good", "week"),
                                                ("quarterly-latency", "quarter")])
def test_calendar_period_reads_tagged_hour_tiles_and_5m_tiles(name: str, calendar: str) -> None:
    """A calendar period: the hour tiles tagged with the current period's index (each of the three tags over
    the longest period), plus the 5 m tiles since the newest hour tile; no subquery."""
    sla = all_slas()[name]
    assert sla.spec.window.calendar == calendar
    for objective in sla.spec.objectives:
        mine = {r.record: r for r in records_of(name) if r.labels["objective"] == objective.name}
        for period, tile, hour_tile in zip(PERIOD_EVENTS, TILES, HOUR_TILES):
            parsed = ast_of(mine[period].expr)
            assert not any(isinstance(n, promql_parser.SubqueryExpr) for n in nodes(parsed))
            assert recorded_names(parsed) == {tile, hour_tile}
            (part_sum,) = part_sums(parsed)
            assert strip(parsed) is part_sum or strip(parsed).prettify() == part_sum.prettify()
            hours = [m for m in matrices(parsed) if metric_of(m.vector_selector) == hour_tile]
            assert sorted(selector_labels(m.vector_selector).get("pledge_period", "") for m in hours) == ["0", "1", "2"]
            assert all(m.range == LONGEST[calendar] and offset_of(m) == dt.timedelta() for m in hours)
            recent = [m for m in matrices(parsed) if metric_of(m.vector_selector) == tile]
            # one part per evaluation of the hour: the 5 m tiles since the newest hour tile
            assert sorted(m.range for m in recent) == sorted(
                dt.timedelta(seconds=max(1, k * 300 - 299)) for k in [12, *range(1, 12)])
            assert all(offset_of(m) == dt.timedelta() for m in recent)
            conditions = sorted(c for p in or_chain(part_sum.expr) for n in nodes(p)
                                if isinstance(n, promql_parser.BinaryExpr) and (c := _hour_condition(n)) is not None)
            assert conditions == [(k * 300, k * 300 + 300) for k in range(12)]
        assert mine["pledge:slo_period:seconds"].expr == "vector(%d)" % {
            "week": 7 * 86_400, "month": 30 * 86_400, "quarter": 91 * 86_400}[calendar]


@pytest.mark.parametrize("name", [n for n in ALL if all_slas()[n].spec.window.rolling is not None])
def test_rolling_period_sums_tiles(name: str) -> None:
    """A rolling period up to 31 days: one sum of the 5 m tiles that started within it; longer: hour tiles
    patched at both ends with 5 m tiles. No subquery over recorded series."""
    sla = all_slas()[name]
    rolling = dt.timedelta(seconds=int(sla.spec.window.rolling or 0))
    for rule in rules_of(name):
        assert not any(isinstance(n, promql_parser.SubqueryExpr) and reads_pledge_series(n) for n in nodes(ast_of(rule.expr)))
        if rule.record not in PERIOD_EVENTS:
            continue
        tile = TILES[PERIOD_EVENTS.index(rule.record)]
        parsed = ast_of(rule.expr)
        if rolling <= dt.timedelta(days=31):
            call = strip(parsed)
            assert isinstance(call, promql_parser.Call) and call.func.name == "sum_over_time"
            (matrix,) = call.args
            assert metric_of(matrix.vector_selector) == tile and offset_of(matrix) == dt.timedelta()
            assert matrix.range + dt.timedelta(minutes=5) - dt.timedelta(seconds=1) == rolling
        else:
            assert recorded_names(parsed) == {tile, HOUR_TILES[TILES.index(tile)]}
            assert part_sums(parsed)


# --- (13) tiles: counters read once, bounded ranges, every tile counted once ---------------------------------


def _total_selector(objective: Any) -> Any:
    """The SLI's valid-events counter as a parsed selector (ratio: total; latency: the histogram's _count)."""
    sli = objective.sli
    if sli.ratio is not None:
        return promql_parser.parse(sli.ratio.total)
    own = sli.latency.selector or ""
    return promql_parser.parse(f"{sli.latency.histogram}_count{own}")


def _same_selector(a: Any, b: Any) -> bool:
    def key(s: Any) -> set[tuple[str, str, str]]:
        return {(m.name, str(m.op), m.value) for m in s.matchers.matchers if m.name != "__name__"}
    return metric_of(a) == metric_of(b) and key(a) == key(b)


@pytest.mark.parametrize("name", [n for n in ALL if any(o.sli.kind in ("ratio", "latency") for o in all_slas()[n].spec.objectives)])
def test_no_rule_reads_a_raw_total_twice(name: str) -> None:
    """The valid-events counter is read by the requests rate of each raw window and by the requests tile
    only; each error ratio (<= 1h) and errors tile reads the recorded requests of its own window instead."""
    for objective in all_slas()[name].spec.objectives:
        if objective.sli.kind not in ("ratio", "latency"):
            continue
        total = _total_selector(objective)
        mine = [r for r in rules_of(name) if r.labels["objective"] == objective.name]
        readers = [r.record for r in mine if any(isinstance(n, promql_parser.VectorSelector) and _same_selector(n, total)
                                                 for n in nodes(ast_of(r.expr)))]
        windows = sorted({w for r in mine if r.record and SLI_RECORDS.fullmatch(r.record)
                          and (w := window_of(r.record)) <= RAW_RANGE_LIMIT})
        assert sorted(readers, key=str) == sorted([f"pledge:sli_requests:rate{duration(w)}" for w in windows] + [TILES[1]],
                                                   key=str)
        for rule in mine:
            if rule.record and rule.record.startswith("pledge:sli_error_ratio:rate") and window_of(rule.record) <= RAW_RANGE_LIMIT:
                assert recorded_names(ast_of(rule.expr)) == {rule.record.replace("error_ratio", "requests")}
                assert reads_raw_series(ast_of(rule.expr)), rule.name
            if rule.record == TILES[0]:
                assert recorded_names(ast_of(rule.expr)) == {TILES[1]}


LONG_PERIODS = [{"rolling": f"{d}d"} for d in (1, 2, 7, 14, 28, 30, 31, 32, 45, 60, 90, 91, 92)] + [
    {"calendar": c, "timezone": "Europe/Berlin"} for c in ("week", "month", "quarter")]


@pytest.mark.parametrize("window", LONG_PERIODS, ids=lambda w: w.get("rolling") or w["calendar"])
def test_no_range_over_tiles_reads_more_than_10000_samples(window: dict[str, str]) -> None:
    """promtool's rule tests refuse a query over 10,000 samples of one series: a range over 5 m tiles
    holds range / 5m + 1 of them (closed on the left), one over hour tiles range / 1h + 1."""
    sla = with_spec("samples", {"service": "x", "window": window, "grouping": ["customer"],
                           "objectives": [{"name": "a", "target": "99.9", "sli": RATIO}]})
    longest = dt.timedelta()
    groups = generate(sla)
    # other recorded series are read over short ranges (the newest ratio, recent tiles): at their group's pace
    step = {r.record: dt.timedelta(seconds=g.interval) for g in groups for r in g.rules if r.record}
    step.update(TILE_STEP)
    for group in groups:
        for rule in group.rules:
            for matrix in matrices(ast_of(rule.expr)):
                metric = metric_of(matrix.vector_selector)
                if metric.startswith("pledge:"):
                    assert metric in step, (rule.name, metric)
                    assert metric in TILE_STEP or matrix.range <= dt.timedelta(minutes=10), (rule.name, metric)
                    samples = matrix.range // step[metric] + 1
                    assert samples <= MAX_SAMPLES, (rule.name, metric, matrix.range, samples)
                    longest = max(longest, matrix.range + offset_of(matrix))
                else:
                    assert matrix.range <= RAW_RANGE_LIMIT
    period = dt.timedelta(seconds=int(sla.spec.window.rolling or 0)) or LONGEST[window.get("calendar", "")]
    assert longest >= period - dt.timedelta(minutes=5)  # the period itself is read from tiles


# --- (13b) the tiles group simulated ----------------------------------------------------------------


@pytest.mark.parametrize(("days", "offset", "left_open"), [(2, 0, False), (2, 299, True), (31, 299, False),
                                                         (32, 0, True), (32, 137, False), (90, 299, True)])
def test_rolling_windows_count_every_tile_once(days: int, offset: int, left_open: bool) -> None:
    """At every evaluation of an hour, a rolling period (and each long window) sums exactly the tiles that
    started in the window before the evaluation: none twice, none missing."""
    sla = with_spec("sim", {"service": "x", "window": {"rolling": f"{days}d"},
                       "objectives": [{"name": "a", "target": "99.9", "sli": RATIO}]})
    rules = [r for g in generate(sla) for r in g.rules]
    sim = TileSimulator(rules, offset, left_open)
    summed = [r for r in rules if r.record in PERIOD_EVENTS]
    start = int(dt.datetime(2026, 5, 4, 22, 50, tzinfo=dt.timezone.utc).timestamp())
    for t in evaluations(start, 14, offset):
        for rule in summed:
            check_window(sim, rule, t, t - days * 86_400)


@pytest.mark.parametrize(("calendar", "zone", "boundary", "offset", "left_open"), [
    ("week", "America/New_York", dt.datetime(2026, 11, 2, 5, tzinfo=dt.timezone.utc), 0, False),  # Monday 00:00 EST
    ("week", "America/New_York", dt.datetime(2026, 11, 2, 5, tzinfo=dt.timezone.utc), 299, True),
    ("month", "Europe/Berlin", dt.datetime(2026, 3, 31, 22, tzinfo=dt.timezone.utc), 137, True),  # April 1st CEST
    ("quarter", "UTC", dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc), 299, False),
])
def test_calendar_period_counts_every_tile_since_it_began(calendar: str, zone: str, boundary: dt.datetime, offset: int,
                                                          left_open: bool) -> None:
    """Around a period boundary: before it, every tile since the previous one began; after it, only the
    tiles that started since, each once (a tile belongs to the period it starts in)."""
    sla = with_spec("sim", {"service": "x", "window": {"calendar": calendar, "timezone": zone},
                       "objectives": [{"name": "a", "target": "99.9", "sli": RATIO}]})
    rules = [r for g in generate(sla) for r in g.rules]
    sim = TileSimulator(rules, offset, left_open)
    summed = [r for r in rules if r.record in PERIOD_EVENTS]
    b = int(boundary.timestamp())
    # the week before Nov 2 2026 holds the end of daylight-saving time in New York: 7 days and 1 hour
    previous = {"week": int(dt.datetime(2026, 10, 26, tzinfo=ZoneInfo(zone)).timestamp()), "month": int(dt.datetime(2026, 3, 1, tzinfo=ZoneInfo(zone)).timestamp()),
                "quarter": int(dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc).timestamp())}[calendar]
    for t in evaluations(b - 1_200, 4, offset) + evaluations(b, 14, offset):
        for rule in summed:
            check_window(sim, rule, t, b if t >= b else previous)
